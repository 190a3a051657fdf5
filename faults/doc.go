// Package faults holds the fault-injection tests of issue 7 (tests only):
// the real system (the careconnect binary as a worker process, the API,
// a Temporal dev server, PostgreSQL and SMTP) with one part killed,
// stopped or unreachable mid-enrolment, and checks that nothing is lost or
// sent twice. They run only with CARECONNECT_FAULT_TESTS=1; see
// docs/faults.md.
package faults
