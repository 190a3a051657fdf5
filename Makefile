# CareConnect developer entry points. `make` (or `make help`) lists them.
#
# The Temporal CLI (dev server) is pinned in scripts/temporal-cli.sh and built
# once into ~/.cache/careconnect; PostgreSQL for tests must answer on
# 127.0.0.1:5432 (scripts/ensure-postgres.sh starts or installs it).

SHELL := /bin/bash
.DEFAULT_GOAL := help

# Use the Go toolchain in /usr/local/go when go is not on PATH.
ifeq ($(shell command -v go 2>/dev/null),)
export PATH := /usr/local/go/bin:$(PATH)
endif

# Database for tests that need PostgreSQL; override on the command line or in the environment.
CARECONNECT_TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable
GO_TEST_FLAGS ?= -count=1 -timeout 20m
# How many inputs `make test` tries on each fuzz target (`make fuzz FUZZTIME=1000000x` for a
# longer hunt); a count, not a duration, which Go 1.26 can fail spuriously (scripts/fuzz.sh).
FUZZTIME ?= 50000x

.PHONY: help run test browser-test helm-test bench workflowcheck govulncheck fuzz vet build temporal-cli postgres

help: ## List the targets
	@echo "CareConnect make targets:"
	@grep -E '^[a-zA-Z_-]+:.*## ' $(firstword $(MAKEFILE_LIST)) | awk -F ':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

run: ## Run everything locally: Temporal dev server, worker, API and mail catcher (prints URLs)
	@TEMPORAL_BIN=$$(scripts/temporal-cli.sh) && \
	CARECONNECT_TEMPORAL_DEV_SERVER_BINARY=$$TEMPORAL_BIN go run ./cmd/careconnect dev

test: ## go vet, govulncheck (vendored database), workflowcheck, all tests (browser and fault tests included) against the Temporal dev server and PostgreSQL, the Helm chart's tests, then each fuzz target briefly (what CI runs)
	@TEMPORAL_BIN=$$(scripts/temporal-cli.sh) && \
	scripts/ensure-postgres.sh && \
	scripts/ensure-browser.sh && \
	echo "go vet ./..." && go vet ./... && \
	echo "govulncheck" && scripts/govulncheck.sh && \
	echo "workflowcheck" && scripts/workflowcheck.sh && \
	echo "go test $(GO_TEST_FLAGS) ./...  (temporal CLI: $$TEMPORAL_BIN)" && \
	CARECONNECT_TEST_TEMPORAL_CLI="$$TEMPORAL_BIN" \
	CARECONNECT_TEST_DATABASE_URL='$(CARECONNECT_TEST_DATABASE_URL)' \
	CARECONNECT_BROWSER_TESTS=1 \
	CARECONNECT_FAULT_TESTS=1 \
	go test $(GO_TEST_FLAGS) ./... && \
	echo "deploy/helm: the Helm chart (a module of its own)" && \
	(cd deploy/helm && go vet ./... && go test $(GO_TEST_FLAGS) ./...) && \
	echo "fuzz: every target briefly" && scripts/fuzz.sh $(FUZZTIME)

browser-test: ## Only the browser tests (e2e/, headless Debian Chromium); screenshots under e2e/artifacts/
	@TEMPORAL_BIN=$$(scripts/temporal-cli.sh) && \
	scripts/ensure-postgres.sh && \
	scripts/ensure-browser.sh && \
	CARECONNECT_TEST_TEMPORAL_CLI="$$TEMPORAL_BIN" \
	CARECONNECT_TEST_DATABASE_URL='$(CARECONNECT_TEST_DATABASE_URL)' \
	CARECONNECT_BROWSER_TESTS=1 \
	go test $(GO_TEST_FLAGS) -v ./e2e/

helm-test: ## Only the Helm chart's tests (deploy/helm, a Go module of its own: Helm's packages render the chart)
	cd deploy/helm && go vet ./... && go test $(GO_TEST_FLAGS) ./...

bench: ## Benchmarks, separate from test: table to stdout and bench/results.md (BENCH_SCALE=0.1 for a quick run)
	@scripts/bench.sh

workflowcheck: ## Temporal's workflowcheck over the module (fails on findings)
	@scripts/workflowcheck.sh

govulncheck: ## govulncheck over the module against the vendored database in testdata/vulndb (scripts/govulncheck.sh --refresh updates it)
	@scripts/govulncheck.sh

fuzz: ## Every fuzz target for FUZZTIME (default 50000x inputs); a crash is saved under the package's testdata
	@scripts/fuzz.sh $(FUZZTIME)

vet: ## go vet ./...
	go vet ./...

build: ## Build bin/careconnect (version and revision from git, as the image records them)
	go build -ldflags "-X careconnect/buildinfo.version=$$(git describe --tags --always --dirty 2>/dev/null || echo devel) \
		-X careconnect/buildinfo.revision=$$(git rev-parse HEAD 2>/dev/null || echo unknown)" -o bin/careconnect ./cmd/careconnect

temporal-cli: ## Build (once) the pinned Temporal CLI and print its path
	@scripts/temporal-cli.sh

postgres: ## Make sure PostgreSQL answers on 127.0.0.1:5432 (starts or installs it)
	@scripts/ensure-postgres.sh
