// Package wsreconnect is a WebSocket client on github.com/gorilla/websocket
// that keeps one connection up across network interruptions, silent
// drops and server restarts, and reports to its caller the outcome of
// every message.
//
// Create a [Client] with [New] from a [Config]; it connects in the
// background. Send with [Client.Send] (blocking) or [Client.SendAsync]
// (returns a [Receipt]), receive through Config.OnMessage, wait for a
// connection with [Client.WaitConnected], and stop with [Client.Close]. A
// Client is safe for concurrent use. See the package Example for a
// complete program.
//
// # Goroutines
//
// A client runs one supervisor goroutine for its whole life and, while a
// connection is up, one reader and one writer. The supervisor alone dials,
// numbers connections (the generation in events), changes state and calls
// the hooks, so hooks run one at a time in the order events happen. The
// reader and writer of a connection report only to that connection:
// whichever fails first ends it, and the other's error is ignored, so a
// read error racing a write error or a heartbeat timeout causes exactly
// one reconnect. The supervisor waits for both to return before it dials
// again. Close stops every goroutine.
//
// # Reconnecting and giving up
//
// The first dial happens at once. After a failed attempt or a dropped
// connection, the client waits the next delay of Config.Backoff and dials
// again. It gives up, calling Config.OnFailure exactly once, when:
//
//   - the backoff sequence has no delay left. The default,
//     backoff.Network(), allows 5 retries with delays of 1, 2, 4, 8 and
//     16 s before jitter, about 31 s of waiting in all (equal jitter keeps
//     each delay within its upper half, so 15.5 s to 31 s);
//   - Config.RetryBudget is set and the next wait would end later than
//     that long after the outage began;
//   - the server rejects the upgrade with a status that retrying cannot
//     fix (see below).
//
// For a client that never gives up, pass a schedule without a retry
// limit, such as [Unlimited] or a backoff.Policy with MaxRetries 0, and
// leave RetryBudget zero.
//
// The sequence starts afresh only when a connection has stayed up for
// Config.StableAfter. A connection that drops sooner takes the next delay
// of the same sequence, so a server that accepts and drops at once is
// retried with growing delays and eventually given up on, never in a
// tight loop. [Client.ForceReconnect] dials at once.
//
// # Server responses
//
// Close codes 1001 (going away), 1006 (connection lost), 1011 (internal
// error), 1012 (service restart), other codes not named here, and
// application codes 4000 to 4999 reconnect. 1013 (try again later)
// reconnects after twice the scheduled delay. 1002, 1003, 1007, 1008,
// 1009, 1010 and 1015 are terminal. 1000 (normal closure) reconnects
// unless Config.StopOnNormalClose is set.
//
// Handshake statuses 429 and 503 reconnect after the server's Retry-After
// (capped at Config.MaxRetryAfter) or, without one, twice the scheduled
// delay; 408, 500, 502 and 504 reconnect after the scheduled delay; 401
// and 403 allow one immediate retry with DialInfo.AuthFailed set, so
// Config.Target can refresh credentials, and are terminal the second
// time in a row; every other status is terminal.
//
// # Dead peers
//
// The writer sends a ping every Config.PingInterval, and any frame
// received (data, ping, pong or close) renews a read deadline of
// Config.ReadTimeout, whether or not the application consumes messages.
// A connection whose packets are silently dropped is therefore detected
// within ReadTimeout of the last frame received. Every write, data or
// control, has a deadline of Config.WriteTimeout.
//
// # Sending
//
// Messages go through a queue bounded by count (Config.QueueMessages) and
// bytes (Config.QueueBytes). By default messages wait in the queue while
// the client is disconnected; with Config.FailFast they are rejected with
// ErrNotConnected instead. A full queue rejects the new message with
// ErrQueueFull, or with Config.DropOldest evicts the oldest messages with
// ErrDropped. A message that waits longer than Config.QueueTTL, or whose
// Send context ends, expires with ErrExpired.
//
// One writer goroutine writes every data frame. When messages are queued
// faster than the socket takes them, it writes up to 64 of them (64 KiB)
// in one system call and resolves them once that call has returned.
//
// Every message ends as exactly one [Outcome]: sent, rejected or expired,
// returned by Send, recorded in its Receipt, and counted in [Stats].
// Sent means written to the socket; it does not mean the server received
// or processed it. A message whose write fails is rejected with
// ErrWriteFailed and not sent again, since part of it may have reached
// the server. Config.OnConnect runs before queued messages flush, so a
// subscription can be renewed before any of them.
package wsreconnect
