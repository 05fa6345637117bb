package metrics

import (
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/cowork-ai/resilience/session"
)

// sessionReasons are the values of session.Reason, whose decision series
// are created at zero.
var sessionReasons = [...]session.Reason{
	session.ReasonNotGranted,
	session.ReasonGranted,
	session.ReasonExpired,
	session.ReasonRevoked,
	session.ReasonClockUncertain,
	session.ReasonStoreDegraded,
	session.ReasonInvalidScope,
	session.ReasonCanceled,
	session.ReasonClosed,
	session.ReasonInternal,
}

// grantEndReasons are the reasons an EndEvent carries.
var grantEndReasons = [...]session.Reason{
	session.ReasonExpired,
	session.ReasonRevoked,
	session.ReasonClockUncertain,
}

var storeEventKinds = [...]session.StoreEventKind{
	session.StoreLoaded,
	session.StoreRejected,
	session.StoreDegraded,
	session.StoreRecovered,
}

// reasonLabel returns r as a label value in snake case, such as
// "clock_uncertain".
func reasonLabel(r session.Reason) string {
	return strings.ReplaceAll(r.String(), " ", "_")
}

// SessionHooks returns the hooks of a permission manager, to be set as
// [session.Config.Hooks]. They count:
//
//	permission_decisions_total{result,reason}  result "allowed" or "denied"
//	permission_grants_total{kind}              kind "new" or "extended"
//	permission_grant_ends_total{reason}        expired, revoked, clock_uncertain
//	permission_store_events_total{kind}        loaded, rejected, degraded, recovered
//
// and set permission_store_degraded to 1 while the grant file cannot be
// written. Every series is created at zero. Scopes are not labels, because
// resources such as file paths do not form a closed set. OnRegrant is left
// nil: asking the user again is the application's decision.
func (m *Metrics) SessionHooks() session.Hooks {
	decisions := make(map[session.Reason]prometheus.Counter, len(sessionReasons))
	for _, r := range sessionReasons {
		decisions[r] = m.permissionDecisions.WithLabelValues(decisionResult(r), reasonLabel(r))
	}
	ends := make(map[session.Reason]prometheus.Counter, len(grantEndReasons))
	for _, r := range grantEndReasons {
		ends[r] = m.permissionEnds.WithLabelValues(reasonLabel(r))
	}
	grants := [2]prometheus.Counter{
		m.permissionGrants.WithLabelValues("new"),
		m.permissionGrants.WithLabelValues("extended"),
	}
	for _, k := range storeEventKinds {
		m.permissionStore.WithLabelValues(k.String())
	}
	return session.Hooks{
		OnGrant: func(ev session.GrantEvent) {
			if ev.Extended {
				grants[1].Inc()
			} else {
				grants[0].Inc()
			}
		},
		OnDecision: func(ev session.DecisionEvent) {
			r := ev.Decision.Reason
			if c, ok := decisions[r]; ok {
				c.Inc()
				return
			}
			m.permissionDecisions.WithLabelValues(decisionResult(r), reasonLabel(r)).Inc()
		},
		OnEnd: func(ev session.EndEvent) {
			if c, ok := ends[ev.Reason]; ok {
				c.Inc()
				return
			}
			m.permissionEnds.WithLabelValues(reasonLabel(ev.Reason)).Inc()
		},
		OnStore: m.observeStore,
	}
}

func (m *Metrics) observeStore(ev session.StoreEvent) {
	m.permissionStore.WithLabelValues(ev.Kind.String()).Inc()
	switch ev.Kind {
	case session.StoreDegraded:
		m.permissionDegraded.Set(1)
	case session.StoreRecovered, session.StoreLoaded:
		m.permissionDegraded.Set(0)
	}
}

// decisionResult returns "allowed" for ReasonGranted, the only reason that
// allows, and "denied" for every other.
func decisionResult(r session.Reason) string {
	if r == session.ReasonGranted {
		return "allowed"
	}
	return "denied"
}
