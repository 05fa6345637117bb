package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/cowork-ai/resilience/wsreconnect"
)

// wsReasons are the values of wsreconnect.Reason, whose series are
// created at zero.
var wsReasons = [...]wsreconnect.Reason{
	wsreconnect.ReasonServerClose,
	wsreconnect.ReasonConnectionLost,
	wsreconnect.ReasonHeartbeat,
	wsreconnect.ReasonWriteTimeout,
	wsreconnect.ReasonForced,
	wsreconnect.ReasonLocalClose,
}

// WebSocketHooks returns hooks for [wsreconnect.Config.OnAttempt] and
// [wsreconnect.Config.OnDisconnect]. The first counts each dial attempt
// made after a connection was lost in websocket_reconnect_attempts_total.
// Attempts before the first connection are not reconnects. The second
// counts each connection's end in websocket_disconnects_total{reason},
// whose series are all created at zero.
func (m *Metrics) WebSocketHooks() (onAttempt func(wsreconnect.AttemptEvent),
	onDisconnect func(wsreconnect.DisconnectEvent)) {
	var disconnects [len(wsReasons)]prometheus.Counter
	for i, r := range wsReasons {
		disconnects[i] = m.wsDisconnects.WithLabelValues(r.String())
	}
	onAttempt = func(ev wsreconnect.AttemptEvent) {
		if ev.Reconnect {
			m.wsReconnects.Inc()
		}
	}
	onDisconnect = func(ev wsreconnect.DisconnectEvent) {
		for i, r := range wsReasons {
			if ev.Reason == r {
				disconnects[i].Inc()
				return
			}
		}
		// A reason added to wsreconnect after this adapter was written.
		m.wsDisconnects.WithLabelValues(ev.Reason.String()).Inc()
	}
	return onAttempt, onDisconnect
}
