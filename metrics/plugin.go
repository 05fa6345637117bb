package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/cowork-ai/resilience/plugin"
)

// Results of a plugin verification, the result label of
// plugin_verifications_total.
const (
	resultAccepted = "accepted"
	resultRejected = "rejected"
	resultError    = "error"
)

// PluginHooks returns hooks for [plugin.Config.OnVerify] and
// [plugin.Config.OnRun]. The first counts each verification in
// plugin_verifications_total{result,reason}, where result is "accepted",
// "rejected" (reason names why) or "error" (the check could not finish).
// The second counts each process in plugin_runs_total{outcome}, and in
// plugin_kills_total when SIGTERM did not stop it and it had to be killed.
// All their series are created at zero. Plugin ids are not labels,
// because third-party plugins do not form a closed set.
func (m *Metrics) PluginHooks() (onVerify func(plugin.VerifyEvent), onRun func(plugin.RunEvent)) {
	m.pluginVerifications.WithLabelValues(resultAccepted, plugin.ReasonNone.String())
	m.pluginVerifications.WithLabelValues(resultError, plugin.ReasonNone.String())
	for _, r := range plugin.Reasons() {
		m.pluginVerifications.WithLabelValues(resultRejected, r.String())
	}
	runs := make(map[plugin.Outcome]prometheus.Counter)
	for _, o := range plugin.Outcomes() {
		runs[o] = m.pluginRuns.WithLabelValues(o.String())
	}
	onVerify = func(ev plugin.VerifyEvent) {
		result := resultAccepted
		switch {
		case ev.Reason != plugin.ReasonNone:
			result = resultRejected
		case ev.Err != nil:
			result = resultError
		}
		m.pluginVerifications.WithLabelValues(result, ev.Reason.String()).Inc()
	}
	onRun = func(ev plugin.RunEvent) {
		if c, ok := runs[ev.Outcome]; ok {
			c.Inc()
		} else {
			m.pluginRuns.WithLabelValues(ev.Outcome.String()).Inc()
		}
		if ev.Killed {
			m.pluginKills.Inc()
		}
	}
	return onVerify, onRun
}
