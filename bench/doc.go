// Package bench is the benchmark harness behind `make bench`
// (scripts/bench.sh): end-to-end throughput of the physician journey
// against a no-op workflow floor, API latency against a trivial handler,
// a LearningHub callback burst, and the team queue and worker memory at
// scale. Its one test, TestBench, runs only with CARECONNECT_BENCH=1; the
// figures go to results.md and results.json beside this file. docs/bench.md
// explains the measures and the last full run.
package bench
