package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/cowork-ai/resilience/retry"
)

// retryReasons are the values of retry.RetryReason, whose series are
// created at zero for every component.
var retryReasons = [...]retry.RetryReason{
	retry.RetryReasonError,
	retry.RetryReasonAttemptTimeout,
	retry.RetryReasonRetryAfter,
}

// RetryHook returns a hook for [retry.OnRetry] that counts each retry in
// retry_attempts_total under the given component, such as "stt" or
// "backend", and the event's reason. It creates the component's series at
// zero. Pass a fixed string: the component is a label value, so it must
// come from a closed set.
func (m *Metrics) RetryHook(component string) func(retry.RetryEvent) {
	var counters [len(retryReasons)]prometheus.Counter
	for i, r := range retryReasons {
		counters[i] = m.retryAttempts.WithLabelValues(component, r.String())
	}
	return func(ev retry.RetryEvent) {
		for i, r := range retryReasons {
			if ev.Reason == r {
				counters[i].Inc()
				return
			}
		}
		// A reason added to retry after this adapter was written.
		m.retryAttempts.WithLabelValues(component, ev.Reason.String()).Inc()
	}
}
