package benchmarks

var retryLibs = peerRetryLibs

var breakerLibs = peerBreakerLibs

var benchRetriers = peerBenchRetriers

var benchBreakers = peerBenchBreakers

var benchRedactors = peerBenchRedactors

var benchURLRedactors = peerBenchURLRedactors
