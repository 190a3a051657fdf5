// Package helmtest renders the careconnect Helm chart (careconnect/) with
// Helm's own Go packages and checks what it would create, without a
// cluster. It is a module of its own: Helm and the Kubernetes API types
// bring some sixty modules that the service itself never needs, so they
// stay out of the main go.mod. `make test` runs it.
package helmtest
