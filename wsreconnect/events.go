package wsreconnect

import (
	"fmt"
	"time"
)

// State is the stage of a client's life: connecting, connected, waiting
// or closed.
type State int

const (
	// StateConnecting means a dial or the OnConnect hook is in progress.
	StateConnecting State = iota
	// StateConnected means a connection is up and the queue is flushing.
	StateConnected
	// StateWaiting means the client is waiting out a backoff delay
	// before its next dial.
	StateWaiting
	// StateClosed means the client has stopped, after Close or on its
	// own; [Client.Err] returns the reason in the second case.
	StateClosed
)

// String returns the state's lower-case name.
func (s State) String() string {
	switch s {
	case StateConnecting:
		return "connecting"
	case StateConnected:
		return "connected"
	case StateWaiting:
		return "waiting"
	case StateClosed:
		return "closed"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// Reason is the cause of a connection's end. The set is closed, so a metrics
// adapter may use it as a label.
type Reason int

const (
	// ReasonServerClose means the server sent a close frame; the event's
	// CloseCode holds its code.
	ReasonServerClose Reason = iota
	// ReasonConnectionLost means a read or write failed without a close
	// frame: a reset, an end of stream, a broken pipe.
	ReasonConnectionLost
	// ReasonHeartbeat means no frame arrived within ReadTimeout.
	ReasonHeartbeat
	// ReasonWriteTimeout means a write did not finish within
	// WriteTimeout, usually because the peer stopped reading.
	ReasonWriteTimeout
	// ReasonForced means ForceReconnect was called.
	ReasonForced
	// ReasonLocalClose means Close was called.
	ReasonLocalClose
)

// String returns the reason's snake-case name, suitable as a label value.
func (r Reason) String() string {
	switch r {
	case ReasonServerClose:
		return "server_close"
	case ReasonConnectionLost:
		return "connection_lost"
	case ReasonHeartbeat:
		return "heartbeat"
	case ReasonWriteTimeout:
		return "write_timeout"
	case ReasonForced:
		return "forced"
	case ReasonLocalClose:
		return "local_close"
	}
	return fmt.Sprintf("Reason(%d)", int(r))
}

// StateEvent is a state change, passed to Config.OnStateChange.
type StateEvent struct {
	From, To State
	// Generation is the number of the connection the change belongs to:
	// the one being dialled, up, or just ended.
	Generation uint64
}

// AttemptEvent ends a dial attempt, passed to Config.OnAttempt. An attempt
// covers the dial, the upgrade and the OnConnect hook.
type AttemptEvent struct {
	// Attempt counts the attempts since the last stable connection, from 1.
	Attempt int
	// Reconnect is false only for attempts before the first connection.
	Reconnect bool
	// Delay is the backoff wait that preceded the attempt.
	Delay time.Duration
	// Duration is how long the attempt took.
	Duration time.Duration
	// StatusCode is the HTTP status of a rejected handshake, or 0.
	StatusCode int
	// Err is the error that failed the attempt, or nil when it connected.
	Err error
}

// ConnectEvent is a connection coming up, passed to Config.OnSuccess after
// the OnConnect hook succeeded. The queue flushes while OnSuccess runs, so
// the hook may Send.
type ConnectEvent struct {
	Generation uint64
	// Attempt is the attempt that connected, counted as in AttemptEvent.
	Attempt int
	// Reconnect is false for the client's first connection.
	Reconnect bool
	// Downtime is the time since the previous connection ended, or 0.
	Downtime time.Duration
}

// DisconnectEvent is a connection ending, passed to Config.OnDisconnect.
type DisconnectEvent struct {
	Generation uint64
	Reason     Reason
	// CloseCode is the code of the server's close frame, or 0 when there
	// was none.
	CloseCode int
	// Uptime is how long the connection was up.
	Uptime time.Duration
	// Err is the read or write error that ended the connection, or nil
	// for ReasonForced and ReasonLocalClose.
	Err error
}

// GiveUpEvent is the client stopping on its own, passed to
// Config.OnFailure exactly once.
type GiveUpEvent struct {
	// Err is the *Error that [Client.Err] returns from now on.
	Err *Error
}
