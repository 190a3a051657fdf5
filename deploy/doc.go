// Package deploy holds the tests for the deployment files at the repository
// root (docker-compose.yml, Dockerfile). It has no code of its own.
package deploy
