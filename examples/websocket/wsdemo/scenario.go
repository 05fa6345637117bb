// Package wsdemo is the scenario of examples/websocket: the assistant keeps
// a WebSocket open to its backend through package wsreconnect while the
// backend restarts, then goes down for good.
//
// The wiring to copy is in [Run]: backoff from package backoff, a
// subscription renewed in OnConnect, commands queued while disconnected
// and delivered after the reconnect, and the user told about the
// disconnect, the recovery and the final give-up, with the message that
// could not be delivered.
package wsdemo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/cowork-ai/resilience/backoff"
	"github.com/cowork-ai/resilience/examples/internal/narrate"
	"github.com/cowork-ai/resilience/examples/internal/standin"
	"github.com/cowork-ai/resilience/report"
	"github.com/cowork-ai/resilience/wsreconnect"
)

// path names this scenario in the narration.
const path = "websocket"

// topic is the stream the client subscribes to on every connection.
const topic = "transcripts"

// minReadTimeout is the shortest read timeout scaling gives, so that a
// loaded machine does not make a late pong look like a dead peer.
const minReadTimeout = 2 * time.Second

// restartDowntime is how long the backend stays down while it restarts,
// before scaling.
const restartDowntime = 3 * time.Second

// Config configures a run. The zero value runs with the real timings and
// without narration.
type Config struct {
	// Scale multiplies every timing: the reconnect backoff (1 s doubling
	// to 32 s, 5 retries), the 30 s read timeout (but not below 2 s) and
	// the backend's 3 s restart. Zero means 1.
	Scale float64

	// Narrator receives the account of the run. Nil means silent.
	Narrator *narrate.Narrator

	// Logger receives the client's log records and one record per failure
	// the user is told about. Nil means silent.
	Logger *slog.Logger

	// Reporter turns failures into notices and logs them through Logger.
	// Nil means a zero report.Reporter.
	Reporter *report.Reporter

	// OnDisconnect and OnAttempt, when set, also receive the client's
	// events, for example to feed metrics.
	OnDisconnect func(wsreconnect.DisconnectEvent)
	OnAttempt    func(wsreconnect.AttemptEvent)
}

// Result is the outcome of a run.
type Result struct {
	// Subscriptions lists the backend connection numbers on which the
	// client subscribed: one per connection, the renewals included.
	Subscriptions []int

	// Sent lists the ids of the commands sent, and Queued those of them
	// sent while the backend was restarting.
	Sent, Queued []string

	// Delivered lists the ids of the commands the backend received, in
	// order, with the connection each arrived on.
	Delivered []standin.Received

	// Acked lists the ids the backend acknowledged.
	Acked []string

	// Undelivered is the command sent after the backend went down for
	// good, and UndeliveredErr why it was never sent.
	Undelivered    string
	UndeliveredErr error

	// GaveUp is the error the client stopped with.
	GaveUp error

	// OutageAttempts lists, per lost connection, the dial attempts made
	// until the client reconnected or gave up. The narration numbers
	// attempts the same way, from 1 in each outage, whereas
	// wsreconnect.AttemptEvent.Attempt counts from the last stable
	// connection and so includes the first dial of a connection that
	// dropped before it became stable.
	OutageAttempts []int

	// Notices are the reports of the failures the user was told about,
	// and Told the messages shown with them, in order. Told also holds
	// the messages about the restart, which report no failure.
	Notices []report.Notice
	Told    []string
}

// Run starts the backend stand-in and plays the scenario: connect and
// subscribe, send a command, restart the backend while two commands are
// sent, then take it down for good while one more is sent. The error is
// for a failure of the scenario itself; the failures it demonstrates are
// in Result.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	backend, err := standin.NewBackend()
	if err != nil {
		return nil, err
	}
	defer backend.Close()
	if cfg.Reporter == nil {
		cfg.Reporter = &report.Reporter{}
	}
	s := &scenario{cfg: cfg, backend: backend, res: &Result{},
		connected:    make(chan wsreconnect.ConnectEvent, 8),
		disconnected: make(chan wsreconnect.DisconnectEvent, 8),
		acked:        make(chan string, 16),
		gaveUp:       make(chan *wsreconnect.Error, 1)}
	client, err := wsreconnect.New(s.clientConfig())
	if err != nil {
		return nil, err
	}
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = client.Close(closeCtx)
	}()
	s.client = client
	if err := s.play(ctx); err != nil {
		return nil, err
	}
	s.finish()
	return s.res, nil
}

type scenario struct {
	cfg     Config
	backend *standin.Backend
	client  *wsreconnect.Client

	connected    chan wsreconnect.ConnectEvent
	disconnected chan wsreconnect.DisconnectEvent
	acked        chan string
	gaveUp       chan *wsreconnect.Error

	// mu guards res, which hooks update from the client's goroutines.
	mu  sync.Mutex
	res *Result
}

func (c Config) scaled(d time.Duration) time.Duration {
	if c.Scale <= 0 {
		return d
	}
	return time.Duration(float64(d) * c.Scale)
}

// clientConfig is the wiring. It scales the reconnect schedule of
// backoff.Network (1 s doubling to 32 s, 5 retries) and the 30 s read
// timeout, renews the subscription on every connection, and narrates every
// event.
func (s *scenario) clientConfig() wsreconnect.Config {
	schedule, _ := backoff.New(backoff.Config{
		Initial: s.cfg.scaled(time.Second), Max: s.cfg.scaled(32 * time.Second),
		Jitter: backoff.JitterEqual, MaxRetries: 5,
	})
	return wsreconnect.Config{
		URL:          s.backend.URL(),
		Backoff:      schedule,
		ReadTimeout:  max(s.cfg.scaled(30*time.Second), minReadTimeout),
		StableAfter:  s.cfg.scaled(30 * time.Second),
		OnConnect:    subscribe,
		OnMessage:    s.onMessage,
		OnSuccess:    s.onSuccess,
		OnDisconnect: s.onDisconnect,
		OnAttempt:    s.onAttempt,
		OnFailure:    func(e wsreconnect.GiveUpEvent) { s.gaveUp <- e.Err },
		Logger:       s.cfg.Logger,
	}
}

// subscribe renews the subscription on a new connection, before any
// queued command is flushed, and waits for the backend to confirm it.
func subscribe(_ context.Context, conn *wsreconnect.Conn) error {
	req, _ := json.Marshal(standin.Message{Type: "subscribe", Topic: topic})
	if err := conn.WriteMessage(websocket.TextMessage, req); err != nil {
		return err
	}
	_, data, err := conn.ReadMessage()
	if err != nil {
		return err
	}
	var reply standin.Message
	if err := json.Unmarshal(data, &reply); err != nil || reply.Type != "subscribed" {
		return fmt.Errorf("subscribe to %s: unexpected reply %q", topic, data)
	}
	return nil
}

func (s *scenario) onMessage(_ int, data []byte) {
	var m standin.Message
	if json.Unmarshal(data, &m) == nil && m.Type == "ack" {
		s.acked <- m.ID
	}
}

func (s *scenario) onSuccess(e wsreconnect.ConnectEvent) {
	if e.Reconnect {
		s.cfg.Narrator.Recovery(path, "reconnected on attempt %d of the outage after %s down; "+
			"subscribed to %s again",
			s.outageAttempts(), e.Downtime.Round(time.Millisecond), topic)
	} else {
		s.cfg.Narrator.Info(path, "connected and subscribed to %s", topic)
	}
	s.connected <- e
}

func (s *scenario) onDisconnect(e wsreconnect.DisconnectEvent) {
	if e.Reason != wsreconnect.ReasonLocalClose {
		s.mu.Lock()
		s.res.OutageAttempts = append(s.res.OutageAttempts, 0)
		s.mu.Unlock()
		s.cfg.Narrator.Failure(path, "connection %d lost: %s (close code %d)",
			e.Generation, e.Reason, e.CloseCode)
	}
	if s.cfg.OnDisconnect != nil {
		s.cfg.OnDisconnect(e)
	}
	s.disconnected <- e
}

func (s *scenario) onAttempt(e wsreconnect.AttemptEvent) {
	if !e.Reconnect {
		return
	}
	s.mu.Lock()
	attempt := 0
	if outages := s.res.OutageAttempts; len(outages) > 0 {
		outages[len(outages)-1]++
		attempt = outages[len(outages)-1]
	}
	s.mu.Unlock()
	if e.Err != nil {
		s.cfg.Narrator.Recovery(path, "reconnect attempt %d after %s failed: %v",
			attempt, e.Delay.Round(time.Millisecond), shortDialError(e.Err))
	}
	if s.cfg.OnAttempt != nil {
		s.cfg.OnAttempt(e)
	}
}

// outageAttempts returns the number of dial attempts of the current outage.
func (s *scenario) outageAttempts() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.res.OutageAttempts) == 0 {
		return 0
	}
	return s.res.OutageAttempts[len(s.res.OutageAttempts)-1]
}

// shortDialError names why a reconnect attempt failed without the
// addresses, which are noise in the narration: "connection refused", "dial:
// i/o timeout", "handshake rejected with 503", or the error itself when it
// is none of these, such as a failed subscription.
func shortDialError(err error) string {
	var handshake *wsreconnect.HandshakeError
	var syscallErr *os.SyscallError
	var opErr *net.OpError
	switch {
	case errors.As(err, &handshake):
		return fmt.Sprintf("handshake rejected with %d", handshake.Status)
	case errors.As(err, &syscallErr):
		return syscallErr.Err.Error()
	case errors.As(err, &opErr):
		return opErr.Op + ": " + opErr.Err.Error()
	}
	return err.Error()
}

// tell records the report of err and shows the user message, the text a
// user interface would display with the report's code.
func (s *scenario) tell(ctx context.Context, err error, message string) {
	n := s.cfg.Reporter.From(err)
	s.cfg.Reporter.Log(ctx, s.cfg.Logger, err, slog.String("path", path))
	s.mu.Lock()
	s.res.Notices = append(s.res.Notices, n)
	s.res.Told = append(s.res.Told, message)
	s.mu.Unlock()
	s.cfg.Narrator.Notice(path, n.Code, message, n.Retryable)
}

// inform shows the user a message that reports no failure.
func (s *scenario) inform(message string) {
	s.mu.Lock()
	s.res.Told = append(s.res.Told, message)
	s.mu.Unlock()
	s.cfg.Narrator.Told(path, "%s", message)
}

// sendCommand queues one command and returns its receipt.
func (s *scenario) sendCommand(id, text string) *wsreconnect.Receipt {
	data, _ := json.Marshal(standin.Message{Type: "command", ID: id, Text: text})
	s.res.Sent = append(s.res.Sent, id)
	return s.client.SendAsync(websocket.TextMessage, data)
}

// waitAcks waits until the backend has acknowledged every id.
func (s *scenario) waitAcks(ctx context.Context, ids ...string) error {
	for len(ids) > 0 {
		select {
		case id := <-s.acked:
			s.res.Acked = append(s.res.Acked, id)
			ids = slices.DeleteFunc(ids, func(x string) bool { return x == id })
		case <-ctx.Done():
			return fmt.Errorf("wait for the acknowledgement of %v: %w", ids, context.Cause(ctx))
		}
	}
	return nil
}

// waitConnected waits for the next connection to come up.
func (s *scenario) waitConnected(ctx context.Context) error {
	select {
	case <-s.connected:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("wait for a connection: %w", context.Cause(ctx))
	}
}
