package metrics

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cowork-ai/resilience/strategy"
)

// StrategyHook returns a hook for [strategy.Config.OnEvent] that counts
// each attempt's end in strategy_attempts_total{strategy,outcome} and each
// step's end in plan_steps_total{status}. Events of other kinds are
// ignored.
//
// strategies is the closed set of strategy names, such as "vision",
// "ui-automation" and "coordinates". Their series are created at zero, and
// other names are recorded as "other". With no names, each strategy name
// is recorded as given. The plan_steps_total series of every status are
// created at zero either way.
func (m *Metrics) StrategyHook(strategies ...string) func(strategy.Event) {
	h := &strategyHook{m: m, names: newLabelSet(strategies)}
	for _, s := range h.names.values() {
		h.attemptsOf(s)
	}
	h.steps = make(map[strategy.StepStatus]prometheus.Counter)
	for _, st := range strategy.StepStatuses() {
		h.steps[st] = m.planSteps.WithLabelValues(st.String())
	}
	return h.observe
}

type strategyHook struct {
	m     *Metrics
	names labelSet
	steps map[strategy.StepStatus]prometheus.Counter
	// attempts maps a strategy label to its map[strategy.Outcome]prometheus.Counter.
	attempts sync.Map
}

// attemptsOf returns the attempt counters of one strategy label, creating
// them at zero on first use.
func (h *strategyHook) attemptsOf(name string) map[strategy.Outcome]prometheus.Counter {
	if cs, ok := h.attempts.Load(name); ok {
		return cs.(map[strategy.Outcome]prometheus.Counter)
	}
	cs := make(map[strategy.Outcome]prometheus.Counter)
	for _, o := range strategy.Outcomes() {
		cs[o] = h.m.strategyAttempts.WithLabelValues(name, o.String())
	}
	actual, _ := h.attempts.LoadOrStore(name, cs)
	return actual.(map[strategy.Outcome]prometheus.Counter)
}

func (h *strategyHook) observe(ev strategy.Event) {
	switch ev.Kind {
	case strategy.EventAttemptEnd:
		name := h.names.value(ev.Strategy)
		if c, ok := h.attemptsOf(name)[ev.Outcome]; ok {
			c.Inc()
			return
		}
		h.m.strategyAttempts.WithLabelValues(name, ev.Outcome.String()).Inc()
	case strategy.EventStepEnd:
		if c, ok := h.steps[ev.Status]; ok {
			c.Inc()
			return
		}
		h.m.planSteps.WithLabelValues(ev.Status.String()).Inc()
	}
}
