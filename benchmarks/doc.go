// Package benchmarks measures this module beside its peers: the same
// operation in the same run, and a conformance suite of edge scenarios run
// against each library. It is a separate module so that the peers never
// enter the main module's go.mod; it has no code of its own outside tests.
package benchmarks
