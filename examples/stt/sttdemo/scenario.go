// Package sttdemo is the scenario of examples/stt: voice commands
// transcribed by a primary speech-to-text provider with a fallback, over
// real HTTP to local stand-ins that rate-limit, answer too slowly, go down,
// run out of quota and reject a corrupt recording.
//
// [Client] is the wiring to copy: per provider, retries with backoff that
// honour the server's requested delay, a circuit breaker, and a request
// timeout that hands the recording to the next provider. [Run] plays the
// scenario against the stand-ins.
package sttdemo

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/cowork-ai/resilience/backoff"
	"github.com/cowork-ai/resilience/breaker"
	"github.com/cowork-ai/resilience/examples/internal/narrate"
	"github.com/cowork-ai/resilience/examples/internal/standin"
	"github.com/cowork-ai/resilience/examples/internal/wav"
	"github.com/cowork-ai/resilience/report"
	"github.com/cowork-ai/resilience/retry"
)

// path names this scenario in the narration.
const path = "stt"

// The timings of the scenario before scaling.
const (
	requestTimeout = 10 * time.Second
	rateLimitWait  = 2 * time.Second // what the primary asks for
)

// Config configures a run. The zero value runs with the real timings,
// generated API keys and no narration.
type Config struct {
	// Scale multiplies every timing: the 10 s request timeout (but not
	// below 1 s), the provider's 2 s rate-limit wait, the backoff
	// schedule (1 s doubling to 32 s) and the breaker's 60 s open period.
	// Zero means 1.
	Scale float64

	// Narrator receives the account of the run. Nil means silent.
	Narrator *narrate.Narrator

	// Logger receives one line per fallback and per failed command. The
	// errors it logs can contain the primary's API key, which travels in
	// the URL, so it should redact. Nil means silent.
	Logger *slog.Logger

	// Reporter turns failures into notices and logs them through Logger.
	// Nil means a zero report.Reporter.
	Reporter *report.Reporter

	// PrimaryKey and FallbackKey are the providers' API keys. Empty means
	// a generated one, in the format of a Google and an OpenAI key.
	PrimaryKey, FallbackKey string

	// OnRetry and OnStateChange, when set, also receive the client's
	// retry and breaker events, and Transport wraps each provider's HTTP
	// transport, for example to feed metrics.
	OnRetry       func(provider string, e retry.RetryEvent)
	OnStateChange func(breaker.StateChange)
	Transport     func(provider string, next http.RoundTripper) http.RoundTripper
}

// Command is the outcome of one voice command.
type Command struct {
	Phrase   string // what the user said
	Provider string // who transcribed it, "" when nobody did
	Text     string // the transcript

	// Notice is the report of the failure, nil when a provider answered.
	// Told is what the assistant said to the user, "" when it just acted.
	Notice *report.Notice
	Told   string

	// Requests is every request each provider received with this
	// command's recording, matched by the SHA-256 of the body, so a
	// request whose body changed on a retry would be missing.
	Requests map[string][]standin.Request
}

// Result is the outcome of a run.
type Result struct {
	Commands []Command

	// Transitions lists the breakers' state changes in order.
	Transitions []breaker.StateChange
}

// Names of the providers.
const (
	Primary  = "primary"
	Fallback = "fallback"
)

// step is one voice command of the scenario and what goes wrong with it.
type step struct {
	phrase  string
	corrupt bool          // the recording is truncated
	before  func()        // sets up the providers' faults
	pause   time.Duration // the user is silent this long first (scaled)

	// queued is a second command, spoken while the first one waits out a
	// rate limit. It waits at the provider's gate, not at the provider.
	queued string

	// describe returns the summary row of the step's commands.
	describe func(cmds []Command) narrate.Row
}

// Run starts the two provider stand-ins and speaks the scenario's commands.
// The error is for a failure of the scenario itself; the failures it
// demonstrates are in Result.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	s, err := newScenario(cfg)
	if err != nil {
		return nil, err
	}
	defer s.close()
	for _, st := range s.steps() {
		if st.pause > 0 {
			if err := sleep(ctx, cfg.scaled(st.pause)); err != nil {
				return nil, err
			}
		}
		if st.before != nil {
			st.before()
		}
		cmds := s.speakStep(ctx, st)
		s.res.Commands = append(s.res.Commands, cmds...)
		cfg.Narrator.Outcome(st.describe(cmds))
	}
	return s.res, ctx.Err()
}

type scenario struct {
	cfg               Config
	primary, fallback *standin.Provider
	client            *Client

	// mu guards the fields below, which the commands of one step update
	// from two goroutines.
	mu sync.Mutex
	// whileLimited, when set, runs once at the next retry that waits for
	// a server-requested delay.
	whileLimited func()
	res          *Result
	// streaks holds, per provider, the failures its breaker counted since
	// its last success or transition, and opened the transitions to open
	// not narrated yet. See trips.go.
	streaks map[string]*streak
	opened  []breaker.StateChange
}

// speakStep speaks the step's command and, when the step has one, the
// command queued behind it.
func (s *scenario) speakStep(ctx context.Context, st step) []Command {
	if st.queued == "" {
		return []Command{s.speak(ctx, st.phrase, st.corrupt, false)}
	}
	second := make(chan Command, 1)
	s.mu.Lock()
	s.whileLimited = func() {
		go func() { second <- s.speak(ctx, st.queued, false, true) }()
	}
	s.mu.Unlock()
	first := s.speak(ctx, st.phrase, st.corrupt, false)
	s.mu.Lock()
	fired := s.whileLimited == nil
	s.whileLimited = nil
	s.mu.Unlock()
	if !fired {
		return []Command{first}
	}
	return []Command{first, <-second}
}

func newScenario(cfg Config) (*scenario, error) {
	if cfg.PrimaryKey == "" {
		cfg.PrimaryKey = "AIzaSy" + randomKey(33)
	}
	if cfg.FallbackKey == "" {
		cfg.FallbackKey = "sk-proj-" + randomKey(40)
	}
	if cfg.Reporter == nil {
		cfg.Reporter = &report.Reporter{}
	}
	s := &scenario{cfg: cfg, res: &Result{}, streaks: map[string]*streak{}}
	var err error
	if s.primary, err = standin.NewProvider(Primary, cfg.PrimaryKey); err != nil {
		return nil, err
	}
	if s.fallback, err = standin.NewProvider(Fallback, cfg.FallbackKey); err != nil {
		_ = s.primary.Close()
		return nil, err
	}
	s.client, err = NewClient(s.clientConfig())
	if err != nil {
		s.close()
		return nil, err
	}
	return s, nil
}

// clientConfig is the wiring: the timings scaled, the hooks narrated.
func (s *scenario) clientConfig() ClientConfig {
	cfg := s.cfg
	schedule, _ := backoff.New(backoff.Config{
		Initial: cfg.scaled(time.Second), Max: cfg.scaled(32 * time.Second),
		Jitter: backoff.JitterEqual, MaxRetries: 5,
	})
	return ClientConfig{
		Providers: []Provider{
			{Name: Primary, URL: s.primary.URL(), APIKey: cfg.PrimaryKey, KeyInQuery: true},
			{Name: Fallback, URL: s.fallback.URL(), APIKey: cfg.FallbackKey},
		},
		Timeout:       s.timeout(),
		Schedule:      schedule,
		MaxRetryAfter: cfg.scaled(30 * time.Second),
		Breaker: breaker.Config{
			OpenTimeout:  cfg.scaled(breaker.DefaultOpenTimeout),
			ProbeTimeout: cfg.scaled(breaker.DefaultProbeTimeout),
		},
		OnRetry:       s.onRetry,
		OnStateChange: s.onStateChange,
		OnOutcome:     s.onOutcome,
		Transport:     cfg.Transport,
		OnFallback: func(from, to string, err error) {
			s.narrateOpened()
			cfg.Narrator.Recovery(path, "%s failed (%s); transcribing with %s",
				from, shortReason(err), to)
			if cfg.Logger != nil {
				cfg.Logger.Warn("speech-to-text provider failed; falling back",
					"provider", from, "fallback", to, "err", err)
			}
		},
	}
}

// minTimeout is the shortest request timeout scaling gives, so that a
// loaded machine does not turn an ordinary answer into a timeout.
const minTimeout = time.Second

// timeout returns the scaled request timeout.
func (s *scenario) timeout() time.Duration {
	return max(s.cfg.scaled(requestTimeout), minTimeout)
}

func (s *scenario) close() {
	if s.client != nil {
		s.client.Close()
	}
	_ = s.primary.Close()
	_ = s.fallback.Close()
}

func (s *scenario) onRetry(provider string, e retry.RetryEvent) {
	n := s.cfg.Narrator
	n.Failure(path, "%s attempt %d: %s", provider, e.Attempt, shortReason(e.Err))
	// The attempt that tripped the breaker has been narrated.
	s.narrateOpened()
	if e.RetryAfter > 0 {
		n.Recovery(path, "holding every request to %s for the %s it asked for",
			provider, e.RetryAfter)
	} else {
		n.Recovery(path, "retrying %s in %s (backoff)", provider, e.Delay.Round(time.Millisecond))
	}
	if s.cfg.OnRetry != nil {
		s.cfg.OnRetry(provider, e)
	}
	if e.RetryAfter > 0 {
		s.mu.Lock()
		f := s.whileLimited
		s.whileLimited = nil
		s.mu.Unlock()
		if f != nil {
			f()
		}
	}
}

// onStateChange records a transition. The breaker delivers a transition to
// open before the attempt that caused it returns, so the narration of an
// opening waits for that attempt's own narration: see narrateOpened.
func (s *scenario) onStateChange(c breaker.StateChange) {
	s.mu.Lock()
	s.res.Transitions = append(s.res.Transitions, c)
	if c.To == breaker.StateOpen {
		s.opened = append(s.opened, c)
	}
	s.mu.Unlock()
	if c.To != breaker.StateOpen {
		s.resetStreak(c.Name)
	}
	n := s.cfg.Narrator
	switch c.To {
	case breaker.StateHalfOpen:
		n.Recovery(path, "%s circuit half-open: the next call is a probe", c.Name)
	case breaker.StateClosed:
		n.Recovery(path, "%s circuit closed: the probe succeeded", c.Name)
	}
	if s.cfg.OnStateChange != nil {
		s.cfg.OnStateChange(c)
	}
}

// speak records one command, transcribes it and tells the user about a
// failure.
// A queued command is one spoken while the provider's gate is closed.
func (s *scenario) speak(ctx context.Context, phrase string, corrupt, queued bool) Command {
	audio := wav.Speech(phrase, 0.6+0.15*float64(len(phrase)/8))
	if corrupt {
		audio = audio[:44] // the microphone stopped after the header
	}
	c := Command{Phrase: phrase}
	ctx = context.WithValue(ctx, phraseKey{}, phrase)
	s.cfg.Narrator.Info(path, "the user says %q (%d bytes of WAV)", phrase, len(audio))
	if queued {
		s.cfg.Narrator.Recovery(path, "queued it until primary's rate limit passes, "+
			"instead of sending it into the overload")
	}
	tr, err := s.client.Transcribe(ctx, audio)
	s.narrateOpened()
	sum := sha256.Sum256(audio)
	c.Requests = map[string][]standin.Request{
		Primary:  matching(s.primary.Requests(), sum),
		Fallback: matching(s.fallback.Requests(), sum),
	}
	if err == nil {
		c.Provider, c.Text = tr.Provider, tr.Text
		s.cfg.Narrator.Info(path, "%s transcribed %q", tr.Provider, tr.Text)
		return c
	}
	n := s.cfg.Reporter.From(err)
	c.Notice, c.Told = &n, tell(err)
	s.cfg.Reporter.Log(ctx, s.cfg.Logger, err, slog.String("path", path),
		slog.String("phrase", phrase))
	s.cfg.Narrator.Notice(path, n.Code, c.Told, n.Retryable)
	return c
}

// matching returns the requests whose body has the SHA-256 sum.
func matching(reqs []standin.Request, sum [sha256.Size]byte) []standin.Request {
	want := hex.EncodeToString(sum[:])
	var out []standin.Request
	for _, r := range reqs {
		if r.BodySHA256 == want {
			out = append(out, r)
		}
	}
	return out
}

// accounts names each provider's account as users know it: Primary and
// Fallback are internal names. The stand-ins take keys and quota errors in
// the format of these services.
var accounts = map[string]string{
	Primary:  "Google Cloud",
	Fallback: "OpenAI",
}

// tell returns what the assistant says about a failed transcription.
func tell(err error) string {
	var pe *ProviderError
	if !errors.As(err, &pe) {
		return "Speech recognition is unavailable right now. Please try again later."
	}
	switch pe.Kind {
	case KindInvalidAudio, KindUnsupportedAudio:
		return "I could not make out that recording. Please say the command again."
	case KindQuotaExceeded:
		account, ok := accounts[pe.Provider]
		if !ok {
			return "The speech service account is out of credit. " +
				"Check its plan and billing, then try again."
		}
		return "The " + account + " speech service account is out of credit. " +
			"Check the plan and billing of your " + account + " account, then try again."
	}
	return "Speech recognition is unavailable right now. Please try again later."
}

// shortReason names what failed without the provider's full message.
func shortReason(err error) string {
	var pe *ProviderError
	var open *breaker.OpenError
	switch {
	case errors.As(err, &pe) && pe.Status != 0:
		return fmt.Sprintf("%d %s", pe.Status, pe.Kind)
	case errors.As(err, &pe):
		return pe.Message
	case errors.As(err, &open):
		return "circuit open"
	}
	return err.Error()
}

func (c Config) scaled(d time.Duration) time.Duration {
	if c.Scale <= 0 {
		return d
	}
	return time.Duration(float64(d) * c.Scale)
}

// sleep waits for d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// randomKey returns n random characters of an API key's alphabet.
func randomKey(n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}
