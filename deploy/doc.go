// Package deploy holds the tests for the deployment files: the compose
// stack at the repository root (docker-compose.yml, Dockerfile,
// .dockerignore) and its files here (Caddyfile, make-certs.sh, postgres/,
// the Temporal jobs' scripts). It has no code of its own. The Helm chart's
// tests are in deploy/helm, a Go module of its own.
package deploy
