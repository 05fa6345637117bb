package benchmarks

var retryLibs = peerRetryLibs

var breakerLibs = peerBreakerLibs
