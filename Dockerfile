# syntax=docker/dockerfile:1
#
# careconnect: one static binary; the compose file picks the role with the
# command (`migrate`, `api` or `worker`).
#
#   docker build -t careconnect:local .

# Base images are pinned by digest (placeholders until scripts/pin-images.sh
# has resolved them from the registry; see docker-compose.yml).
FROM golang:1.26.11-bookworm@sha256:0000000000000000000000000000000000000000000000000000000000000000 AS build
WORKDIR /src
ENV CGO_ENABLED=0 GOFLAGS=-buildvcs=false
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
# timetzdata embeds the time zone database (the business-day calendar is
# America/Vancouver) so the image needs no tzdata package. VERSION and
# REVISION reach `careconnect version` and careconnect_build_info:
#   docker build --build-arg VERSION=v1.4.0 --build-arg REVISION=$(git rev-parse HEAD) .
ARG VERSION=devel
ARG REVISION=unknown
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    go build -trimpath -tags timetzdata \
      -ldflags="-s -w -X careconnect/buildinfo.version=${VERSION} -X careconnect/buildinfo.revision=${REVISION}" \
      -o /out/careconnect ./cmd/careconnect

# distroless static: CA certificates, /etc/passwd with "nonroot" (65532), no shell.
FROM gcr.io/distroless/static-debian12:nonroot@sha256:0000000000000000000000000000000000000000000000000000000000000000
COPY --from=build /out/careconnect /usr/local/bin/careconnect
USER 65532:65532
WORKDIR /home/nonroot
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/careconnect"]
CMD ["api"]
