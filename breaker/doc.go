// Package breaker guards calls to an external service with a circuit
// breaker built on github.com/sony/gobreaker/v2, adding classified
// outcomes, bounded half-open probes with a deadline, and state-change
// hooks that run outside any lock.
//
// Most callers build one [Breaker] per external service with [New] and wrap
// each call in [Breaker.Execute] or [ExecuteValue]. A [Set] groups the
// breakers of an application so that they can be looked up and enumerated,
// for example by a metrics adapter. A Breaker is safe for concurrent use.
//
// # States
//
// A breaker starts closed and admits every call. In the default
// consecutive mode it opens after 5 failures in a row. In failure-rate mode
// ([Config.FailureRatio]) it opens when the share of failures over a
// rolling window reaches a threshold, once the window holds a minimum
// number of calls. An open breaker rejects calls with an [*OpenError] matching
// [ErrOpen] for [Config.OpenTimeout] (60 s by default). After that it is
// half-open: it admits up to [Config.HalfOpenProbes] concurrent probes,
// closes after [Config.SuccessesToClose] successful ones, and opens again
// at the first failed one. [Breaker.State] moves an open breaker to
// half-open when its open period has passed, without waiting for a call.
//
// # Outcomes
//
// Each call that ran ends as a success, a failure or neutral, as decided by
// [Config.Classify] (by default [DefaultClassify]: nil is a success, an
// error after the caller's own context ended is neutral, any other error
// is a failure). A neutral call neither trips nor closes the breaker, and a
// neutral probe frees its half-open slot. An operation that panics counts
// as a failure, and the panic continues up the caller's stack.
//
// # Probes
//
// A half-open probe runs the operation on a separate goroutine under a
// context with deadline [Config.ProbeTimeout]. When the deadline passes
// first, the probe counts as a failure at once and the breaker opens again,
// so an operation that never returns cannot hold the breaker half-open.
// Execute still waits for the operation to return before it returns, so
// no goroutine outlives the call. In the closed state the operation runs
// on the calling goroutine with the caller's context as it is.
//
// # Hooks
//
// [Config.OnStateChange] receives one [StateChange] per transition, once
// each and in transition order. gobreaker reports transitions under its
// lock; the breaker queues them there and delivers them after that lock is
// released, on the goroutine of the Execute, ExecuteValue or State call
// that caused or observed the transition. Execute delivers them when the
// operation returns, or when a probe's deadline passes, whichever comes
// first. Only one goroutine delivers at a time. When another goroutine is already delivering, it delivers the new
// event too, so a call may return before the hook has seen the transition
// it caused. A hook may call any method of the breaker; events it causes
// are delivered after it returns.
package breaker
