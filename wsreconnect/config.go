package wsreconnect

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/cowork-ai/resilience/backoff"
	"github.com/gorilla/websocket"
)

// Config is the plain-data setup of a [Client]. Only URL or Target is
// required; every other zero value means the default given beside it.
type Config struct {
	// URL is the ws:// or wss:// address dialled on every attempt when
	// Target is nil.
	URL string

	// Header is sent with every upgrade request when Target is nil.
	Header http.Header

	// Target, when set, is called before every dial attempt for the URL
	// and headers to use, so credentials can be fresh for each attempt.
	// An error from it counts as a failed attempt. It runs on the
	// supervisor goroutine with a context that Close cancels and
	// HandshakeTimeout bounds, together with the dial.
	Target func(ctx context.Context, info DialInfo) (Target, error)

	// Dialer performs the dial and upgrade. Nil means a dialer with
	// gorilla's default buffer sizes and proxy from the environment.
	Dialer *websocket.Dialer

	// HandshakeTimeout bounds each dial: TCP connect, TLS and upgrade.
	// Zero means 10 s.
	HandshakeTimeout time.Duration

	// Backoff gives the delays between attempts. Nil means
	// backoff.Network(): 1 s doubling to a 32 s cap with equal jitter,
	// for 5 retries. See the package documentation for the give-up rule.
	Backoff backoff.Schedule

	// RetryBudget, when positive, gives up once the next wait would end
	// more than RetryBudget after the outage began, even if Backoff has
	// delays left. Zero means no time limit.
	RetryBudget time.Duration

	// StableAfter is how long a connection must stay up before its end
	// starts a fresh backoff sequence. A connection that drops sooner
	// continues the sequence, so a server that accepts and drops at once
	// cannot cause a reconnect storm. Zero means 30 s.
	StableAfter time.Duration

	// MaxRetryAfter caps the wait a server requests with Retry-After on a
	// 429 or 503 handshake. Zero means 2 min.
	MaxRetryAfter time.Duration

	// PingInterval is the time between pings. It must be below
	// ReadTimeout. Zero means ReadTimeout / 3.
	PingInterval time.Duration

	// ReadTimeout is how long the client waits for any frame (data, ping,
	// pong or close) before it declares the peer dead. Zero means 30 s.
	ReadTimeout time.Duration

	// WriteTimeout bounds every write, data and control. Zero means 10 s.
	WriteTimeout time.Duration

	// ReadLimit is the largest message accepted from the server, in
	// bytes; a larger one ends the connection. Zero means no limit.
	ReadLimit int64

	// OnConnectTimeout bounds the OnConnect hook. Zero means 10 s.
	OnConnectTimeout time.Duration

	// StopOnNormalClose makes a close frame with code 1000 from the
	// server stop the client, as a terminal close. False reconnects.
	StopOnNormalClose bool

	// FailFast rejects sends with ErrNotConnected while no connection is
	// up, and resolves queued messages with ErrNotConnected when a
	// connection drops. False queues messages while disconnected.
	FailFast bool

	// QueueMessages is the queue's capacity in messages. Zero means 1024.
	QueueMessages int

	// QueueBytes is the queue's capacity in payload bytes. Zero means
	// 4 MiB.
	QueueBytes int

	// QueueTTL is how long a message may wait in the queue before it
	// expires with ErrExpired. Zero means 30 s.
	QueueTTL time.Duration

	// DropOldest makes a full queue evict its oldest messages, resolved
	// with ErrDropped, to make room for a new one. False rejects the new
	// message with ErrQueueFull.
	DropOldest bool

	// OnMessage receives every data message on the reader goroutine, in
	// order; the callee owns data. The next read waits for it to return,
	// and the read deadline restarts after it. Nil discards messages.
	OnMessage func(messageType int, data []byte)

	// OnConnect runs after each upgrade and before queued messages
	// flush, to authenticate or subscribe through conn. An error closes
	// the connection and counts as a failed attempt. It runs on the
	// supervisor goroutine and must return when ctx is done. It must
	// write through conn: the queue opens only after it returns, so a
	// blocking Send from it can only expire.
	OnConnect func(ctx context.Context, conn *Conn) error

	// The hooks below run on the supervisor goroutine, one at a time, in
	// the order the events happen, never while a lock is held. A slow hook
	// delays reconnecting. A hook must not wait for Close or Send to
	// return, because both wait for the supervisor; SendAsync is safe.

	// OnStateChange receives every state change.
	OnStateChange func(StateEvent)
	// OnAttempt receives the end of every dial attempt.
	OnAttempt func(AttemptEvent)
	// OnSuccess receives every connection coming up.
	OnSuccess func(ConnectEvent)
	// OnDisconnect receives every connection ending.
	OnDisconnect func(DisconnectEvent)
	// OnFailure receives the client stopping on its own: it gave up or
	// met a terminal status or close code. It is called at most once, not
	// at all when Close was called before the client decided to stop,
	// and never after Close has returned nil. It follows the change to
	// StateClosed, so WaitConnected may return before it runs.
	OnFailure func(GiveUpEvent)

	// Logger receives the supervisor's log records: attempts and
	// disconnects at Debug, give-ups at Warn. Nil means silent.
	Logger *slog.Logger
}

// DialInfo describes the attempt a Target callback supplies.
type DialInfo struct {
	// Attempt counts the attempts since the last stable connection, from 1.
	Attempt int
	// Generation is the number the connection will have if it comes up.
	Generation uint64
	// AuthFailed is true when the previous attempt was rejected with 401
	// or 403, so the callback should refresh its credentials. The client
	// allows one such refresh; a second rejection in a row is terminal.
	AuthFailed bool
	// LastErr is the error that ended the previous attempt or
	// connection, or nil.
	LastErr error
}

// Target is the URL and headers of one dial attempt.
type Target struct {
	URL    string
	Header http.Header
}

// settings is a Config with defaults applied. It is never written to the
// caller's Config.
type settings struct {
	Config
	dialer *websocket.Dialer
}

const (
	defaultHandshakeTimeout = 10 * time.Second
	defaultStableAfter      = 30 * time.Second
	defaultMaxRetryAfter    = 2 * time.Minute
	defaultReadTimeout      = 30 * time.Second
	defaultWriteTimeout     = 10 * time.Second
	defaultQueueMessages    = 1024
	defaultQueueBytes       = 4 << 20
	defaultQueueTTL         = 30 * time.Second
)

// validate checks cfg and returns it with defaults applied. The error
// names the first invalid field.
func validate(cfg Config) (*settings, error) {
	if err := checkFields(&cfg); err != nil {
		return nil, err
	}
	s := &settings{Config: cfg, dialer: cfg.Dialer}
	setDefault(&s.HandshakeTimeout, defaultHandshakeTimeout)
	setDefault(&s.StableAfter, defaultStableAfter)
	setDefault(&s.MaxRetryAfter, defaultMaxRetryAfter)
	setDefault(&s.ReadTimeout, defaultReadTimeout)
	setDefault(&s.PingInterval, s.ReadTimeout/3)
	setDefault(&s.WriteTimeout, defaultWriteTimeout)
	setDefault(&s.OnConnectTimeout, defaultHandshakeTimeout)
	setDefault(&s.QueueMessages, defaultQueueMessages)
	setDefault(&s.QueueBytes, defaultQueueBytes)
	setDefault(&s.QueueTTL, defaultQueueTTL)
	if s.Backoff == nil {
		s.Backoff = backoff.Network()
	}
	if s.dialer == nil {
		s.dialer = &websocket.Dialer{Proxy: http.ProxyFromEnvironment}
	}
	if s.PingInterval >= s.ReadTimeout {
		return nil, fmt.Errorf("wsreconnect: PingInterval %v must be below ReadTimeout %v",
			s.PingInterval, s.ReadTimeout)
	}
	return s, nil
}

func setDefault[T comparable](field *T, value T) {
	var zero T
	if *field == zero {
		*field = value
	}
}

func checkFields(cfg *Config) error {
	if cfg.Target == nil {
		if err := checkURL(cfg.URL); err != nil {
			return err
		}
	}
	durations := []struct {
		name string
		d    time.Duration
	}{
		{"HandshakeTimeout", cfg.HandshakeTimeout}, {"RetryBudget", cfg.RetryBudget},
		{"StableAfter", cfg.StableAfter}, {"MaxRetryAfter", cfg.MaxRetryAfter},
		{"PingInterval", cfg.PingInterval}, {"ReadTimeout", cfg.ReadTimeout},
		{"WriteTimeout", cfg.WriteTimeout}, {"OnConnectTimeout", cfg.OnConnectTimeout},
		{"QueueTTL", cfg.QueueTTL},
	}
	for _, f := range durations {
		if f.d < 0 {
			return fmt.Errorf("wsreconnect: %s %v is negative", f.name, f.d)
		}
	}
	switch {
	case cfg.ReadLimit < 0:
		return fmt.Errorf("wsreconnect: ReadLimit %d is negative", cfg.ReadLimit)
	case cfg.QueueMessages < 0:
		return fmt.Errorf("wsreconnect: QueueMessages %d is negative", cfg.QueueMessages)
	case cfg.QueueBytes < 0:
		return fmt.Errorf("wsreconnect: QueueBytes %d is negative", cfg.QueueBytes)
	}
	return nil
}

// checkURL reports whether raw is an absolute ws or wss URL.
func checkURL(raw string) error {
	if raw == "" {
		return errors.New("wsreconnect: URL is empty and Target is nil")
	}
	u, err := url.Parse(raw)
	if err != nil {
		// The parser's message quotes the URL, which may hold credentials.
		return errors.New("wsreconnect: URL cannot be parsed")
	}
	if u.Scheme != "ws" && u.Scheme != "wss" {
		return fmt.Errorf("wsreconnect: URL scheme %q is not ws or wss", u.Scheme)
	}
	if u.Host == "" {
		return fmt.Errorf("wsreconnect: URL %q has no host", redactURL(u))
	}
	return nil
}

// redactURL returns u without userinfo and query, which may hold
// credentials, for use in messages.
func redactURL(u *url.URL) string {
	v := *u
	v.User = nil
	v.RawQuery = ""
	v.Fragment = ""
	return v.String()
}

// Unlimited returns a schedule with backoff.Network's delays (1 s
// doubling to a 32 s cap, equal jitter) and no retry limit, for a client
// that gives up only when RetryBudget is spent, or never without one.
func Unlimited() backoff.Schedule {
	cfg := backoff.Network().Config()
	cfg.MaxRetries = 0
	p, err := backoff.New(cfg)
	if err != nil {
		panic("wsreconnect: " + err.Error()) // unreachable: Network's settings are valid
	}
	return p
}
