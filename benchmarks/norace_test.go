//go:build !race

package benchmarks

// raceEnabled reports whether this test binary was built with -race.
const raceEnabled = false
