package wsreconnect

import (
	"errors"
	"fmt"
	"time"
)

// codedError is a sentinel with a stable code for user interfaces.
type codedError struct {
	code, msg string
	retryable bool
}

func (e *codedError) Error() string { return e.msg }

// Code returns the error's stable code, such as "ERR-WebSocketClosed".
func (e *codedError) Code() string { return e.code }

// Retryable reports whether the same message or connection can succeed
// later without a change: true for a full queue, a dropped connection or a
// spent reconnect budget, false for a closed client, an invalid or
// oversized message, and a server that refused the connection for good.
func (e *codedError) Retryable() bool { return e.retryable }

// Errors that resolve a message which was not sent. Each implements
// Code() string.
var (
	// ErrClosed is returned by sends on a client that has stopped, and
	// resolves the messages still queued when it stops.
	ErrClosed error = &codedError{"ERR-WebSocketClosed", "wsreconnect: client closed", false}
	// ErrNotConnected rejects a send while disconnected when the client
	// fails fast, and resolves the messages still queued when a
	// connection drops in that mode.
	ErrNotConnected error = &codedError{"ERR-WebSocketNotConnected", "wsreconnect: not connected", true}
	// ErrQueueFull rejects a send that does not fit in the queue under
	// the reject-new policy.
	ErrQueueFull error = &codedError{"ERR-WebSocketQueueFull", "wsreconnect: send queue full", true}
	// ErrDropped resolves a queued message evicted to make room for a
	// newer one under the drop-oldest policy.
	ErrDropped error = &codedError{"ERR-WebSocketDropped", "wsreconnect: message dropped from full send queue", true}
	// ErrTooLarge rejects a message larger than the queue's byte limit.
	ErrTooLarge error = &codedError{"ERR-WebSocketTooLarge", "wsreconnect: message larger than the send queue", false}
	// ErrExpired resolves a message whose deadline passed before it was
	// written: the queue's QueueTTL or the context given to Send.
	ErrExpired error = &codedError{"ERR-WebSocketExpired", "wsreconnect: message expired before it was sent", true}
	// ErrWriteFailed resolves a message whose write to the socket failed.
	// The message may have been partly written; it is not sent again.
	ErrWriteFailed error = &codedError{"ERR-WebSocketWriteFailed", "wsreconnect: write failed", true}
	// ErrInvalidMessage rejects a message type other than TextMessage or
	// BinaryMessage.
	ErrInvalidMessage error = &codedError{"ERR-WebSocketInvalidMessage", "wsreconnect: invalid message type", false}
)

// Errors that give the reason a client stopped on its own. [*Error] unwraps to one
// of them.
var (
	// ErrGaveUp means the reconnect schedule or the retry budget was spent.
	ErrGaveUp error = &codedError{"ERR-WebSocketGaveUp", "wsreconnect: gave up reconnecting", true}
	// ErrHandshakeRejected means the server rejected the upgrade with a
	// status that retrying cannot fix, such as 400, 404, or 401 and 403
	// after one credential refresh.
	ErrHandshakeRejected error = &codedError{"ERR-WebSocketRejected", "wsreconnect: server rejected the connection", false}
	// ErrTerminalClose means the server closed the connection with a code
	// that reconnecting cannot fix, such as 1008 (policy violation).
	ErrTerminalClose error = &codedError{"ERR-WebSocketTerminalClose", "wsreconnect: server closed the connection for good", false}
)

// Error is why a client stopped on its own, returned by [Client.Err] and
// carried by [GiveUpEvent]. It unwraps to its sentinel (ErrGaveUp,
// ErrHandshakeRejected or ErrTerminalClose) and to the last connection or
// dial error, so errors.Is works for both.
type Error struct {
	// Sentinel is ErrGaveUp, ErrHandshakeRejected or ErrTerminalClose.
	Sentinel error
	// Attempts is the number of dial attempts since the last stable
	// connection.
	Attempts int
	// Elapsed is the time since the outage began.
	Elapsed time.Duration
	// StatusCode is the HTTP status of the last rejected handshake, or 0.
	StatusCode int
	// CloseCode is the close code the server sent last, or 0.
	CloseCode int
	// Err is the last dial or connection error.
	Err error
}

func (e *Error) Error() string {
	msg := fmt.Sprintf("%v after %d attempts in %v", e.Sentinel, e.Attempts, e.Elapsed.Round(time.Millisecond))
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the sentinel and the last error.
func (e *Error) Unwrap() []error { return []error{e.Sentinel, e.Err} }

// Code returns the sentinel's stable code.
func (e *Error) Code() string {
	var c interface{ Code() string }
	if errors.As(e.Sentinel, &c) {
		return c.Code()
	}
	return "ERR-WebSocket"
}

// HandshakeError is a failed WebSocket upgrade that got an HTTP response.
// Its StatusCode method lets classification helpers decide on retrying.
type HandshakeError struct {
	// Status is the HTTP status code of the response.
	Status int
	// Wait is the delay the server requested with Retry-After, or 0.
	Wait time.Duration
	// Err is the dialer's error, usually websocket.ErrBadHandshake.
	Err error
}

func (e *HandshakeError) Error() string {
	return fmt.Sprintf("wsreconnect: handshake failed with HTTP status %d", e.Status)
}

// Unwrap returns the dialer's error.
func (e *HandshakeError) Unwrap() error { return e.Err }

// StatusCode returns the HTTP status code.
func (e *HandshakeError) StatusCode() int { return e.Status }

// RetryAfter returns the delay the server requested, or 0.
func (e *HandshakeError) RetryAfter() time.Duration { return e.Wait }
