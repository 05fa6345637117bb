package metrics

import (
	"slices"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cowork-ai/resilience/breaker"
)

// breakerTransitions are the transitions a breaker can make; their series
// are created at zero for every known service.
var breakerTransitions = [...][2]breaker.State{
	{breaker.StateClosed, breaker.StateOpen},
	{breaker.StateOpen, breaker.StateHalfOpen},
	{breaker.StateHalfOpen, breaker.StateOpen},
	{breaker.StateHalfOpen, breaker.StateClosed},
}

// breakerSeries are the series of one service label, resolved once so
// that an event costs a map lookup and two atomic updates.
type breakerSeries struct {
	state prometheus.Gauge
	// transitions is indexed by [from][to]; impossible pairs are nil.
	transitions [3][3]prometheus.Counter
}

func (m *Metrics) seriesFor(service string) *breakerSeries {
	if s, ok := m.breakerSeries.Load(service); ok {
		return s.(*breakerSeries)
	}
	s := &breakerSeries{state: m.breakerState.WithLabelValues(service)}
	for _, t := range breakerTransitions {
		s.transitions[t[0]][t[1]] = m.breakerTransitions.WithLabelValues(
			service, t[0].String(), t[1].String())
	}
	actual, _ := m.breakerSeries.LoadOrStore(service, s)
	return actual.(*breakerSeries)
}

// BreakerHook returns a hook for [breaker.Config.OnStateChange] that sets
// circuit_breaker_state and counts circuit_breaker_transitions_total for
// the breaker's name, recorded as "other" when [Options.Services] does
// not list it. One hook may serve any number of breakers.
//
// The state gauge follows the transitions that breakers deliver, so a
// breaker whose open period has passed is exported as open until a call or
// a State read moves it to half-open, unless [Metrics.WatchBreakers] was
// given its set. Several breakers recorded as "other" share one gauge,
// which then shows the last transition of any of them; WatchBreakers
// exports the worst of their states at each scrape instead.
func (m *Metrics) BreakerHook() func(breaker.StateChange) {
	return m.observeBreaker
}

func (m *Metrics) observeBreaker(ev breaker.StateChange) {
	s := m.seriesFor(m.services.value(ev.Name))
	s.state.Set(float64(ev.To))
	if ev.From < 0 || ev.From > breaker.StateOpen || ev.To < 0 || ev.To > breaker.StateOpen {
		return
	}
	if c := s.transitions[ev.From][ev.To]; c != nil {
		c.Inc()
	}
}

// WatchBreakers creates the series of every breaker in set at zero and
// makes each scrape read their states first, so that a breaker whose open
// period has passed is exported as half-open without waiting for a call.
// Where several breakers share a service label, the scrape exports the
// worst of their states, open before half-open before closed.
// The breakers should also have BreakerHook as their OnStateChange, which
// counts the transitions.
func (m *Metrics) WatchBreakers(set *breaker.Set) {
	for b := range set.All() {
		m.seriesFor(m.services.value(b.Name()))
	}
	m.mu.Lock()
	m.watched = append(m.watched, set)
	m.mu.Unlock()
}

// breakerStateCollector exports circuit_breaker_state after reading the
// state of every watched breaker.
type breakerStateCollector struct{ m *Metrics }

func (c breakerStateCollector) Describe(ch chan<- *prometheus.Desc) {
	c.m.breakerState.Describe(ch)
}

// Collect sets each watched service label to the worst state of the
// breakers recorded under it, so that an open breaker among several
// recorded as "other" still shows as open, then collects the gauge.
func (c breakerStateCollector) Collect(ch chan<- prometheus.Metric) {
	c.m.mu.Lock()
	sets := slices.Clone(c.m.watched)
	c.m.mu.Unlock()
	worst := make(map[string]breaker.State)
	for _, set := range sets {
		for b := range set.All() {
			label, now := c.m.services.value(b.Name()), b.State()
			// The values of breaker.State order closed < half-open < open.
			if st, seen := worst[label]; !seen || now > st {
				worst[label] = now
			}
		}
	}
	for label, st := range worst {
		c.m.seriesFor(label).state.Set(float64(st))
	}
	c.m.breakerState.Collect(ch)
}
