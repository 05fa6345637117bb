package sttdemo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/cowork-ai/resilience/backoff"
	"github.com/cowork-ai/resilience/breaker"
	"github.com/cowork-ai/resilience/retry"
)

// Provider describes one speech-to-text service.
type Provider struct {
	Name string
	URL  string // the transcription endpoint

	// APIKey authenticates the client, in an Authorization header or,
	// with KeyInQuery, in the "key" query parameter as Google's APIs take
	// it. A key in the URL shows up in transport errors, which is why
	// every error is redacted before it is logged or shown.
	APIKey     string
	KeyInQuery bool
}

// ClientConfig configures a Client.
type ClientConfig struct {
	// Providers are tried in order: the first is the primary, the others
	// fallbacks. At least one is required.
	Providers []Provider

	// Timeout bounds each request. A provider that takes longer is not
	// retried: the next provider transcribes instead, because the user is
	// waiting. Zero means 10 s.
	Timeout time.Duration

	// Schedule spaces the retries of one provider. A server's requested
	// delay is used when it is longer. Nil means backoff.Network().
	Schedule backoff.Schedule

	// MaxRetryAfter is the longest delay a provider may request before
	// the client gives up on it and falls back. Zero means 30 s.
	MaxRetryAfter time.Duration

	// MaxQueued is the number of requests per provider that may wait for
	// a rate limit to pass. When a provider requests a delay, every request
	// to it waits until the delay has passed instead of adding to the
	// overload, and a request beyond MaxQueued fails at once. Zero means 8.
	MaxQueued int

	// Breaker configures the circuit breaker of each provider. Its
	// Classify and OnStateChange are set by the client. The zero value
	// opens after 5 consecutive failures for 60 s.
	Breaker breaker.Config

	// Transport, when set, wraps the HTTP transport of each provider, for
	// example to count requests. Nil means http.DefaultTransport's
	// settings.
	Transport func(provider string, next http.RoundTripper) http.RoundTripper

	// OnRetry, OnStateChange and OnFallback observe the client's recovery
	// actions. They run on the goroutine that called Transcribe. Nil
	// means none.
	OnRetry       func(provider string, e retry.RetryEvent)
	OnStateChange func(breaker.StateChange)
	OnFallback    func(from, to string, err error)

	// OnOutcome, when set, receives each request that reached a provider,
	// with the outcome its breaker recorded; a request the breaker
	// rejected is not passed. ctx is the request's context. It runs on the
	// goroutine that called Transcribe, after the breaker call returns
	// and before OnRetry sees the same attempt. Nil means none.
	OnOutcome func(ctx context.Context, provider string, o breaker.Outcome, err error)
}

// Client transcribes audio with the first provider that can. Each provider
// has its own breaker and retries, and the audio is sent intact on every
// attempt. A Client is safe for concurrent use.
type Client struct {
	cfg       ClientConfig
	providers []*provider
}

type provider struct {
	Provider
	http    *http.Client
	breaker *breaker.Breaker
	gate    *retry.Gate
}

// Transcript is a successful transcription.
type Transcript struct {
	Text     string `json:"text"`
	Provider string `json:"provider"`
}

// NewClient returns a client for cfg, or an error naming an invalid field.
func NewClient(cfg ClientConfig) (*Client, error) {
	if len(cfg.Providers) == 0 {
		return nil, errors.New("sttdemo: ClientConfig.Providers is empty")
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.Schedule == nil {
		cfg.Schedule = backoff.Network()
	}
	if cfg.MaxRetryAfter == 0 {
		cfg.MaxRetryAfter = 30 * time.Second
	}
	if cfg.MaxQueued == 0 {
		cfg.MaxQueued = 8
	}
	c := &Client{cfg: cfg}
	for _, p := range cfg.Providers {
		pr, err := newProvider(p, cfg)
		if err != nil {
			return nil, err
		}
		c.providers = append(c.providers, pr)
	}
	return c, nil
}

func newProvider(p Provider, cfg ClientConfig) (*provider, error) {
	bc := cfg.Breaker
	bc.Classify = classify
	bc.OnStateChange = cfg.OnStateChange
	b, err := breaker.New(p.Name, bc)
	if err != nil {
		return nil, err
	}
	gate, err := retry.NewGate(cfg.MaxQueued)
	if err != nil {
		return nil, fmt.Errorf("sttdemo: ClientConfig.MaxQueued: %w", err)
	}
	// A transport of its own lets Close release the idle connections.
	var transport http.RoundTripper = http.DefaultTransport.(*http.Transport).Clone()
	if cfg.Transport != nil {
		transport = cfg.Transport(p.Name, transport)
	}
	return &provider{Provider: p, http: &http.Client{Transport: transport}, breaker: b,
		gate: gate}, nil
}

// Close releases the client's idle connections.
func (c *Client) Close() {
	for _, p := range c.providers {
		p.http.CloseIdleConnections()
	}
}

// Waiting returns the number of requests waiting for the named provider's
// rate limit to pass.
func (c *Client) Waiting(provider string) int {
	for _, p := range c.providers {
		if p.Name == provider {
			return p.gate.Waiting()
		}
	}
	return 0
}

// Breakers returns the providers' breakers, in provider order, for a
// metrics adapter to enumerate.
func (c *Client) Breakers() []*breaker.Breaker {
	var bs []*breaker.Breaker
	for _, p := range c.providers {
		bs = append(bs, p.breaker)
	}
	return bs
}

// Transcribe returns the text of a WAV recording. It tries the providers
// in order and falls back to the next one when a provider times out,
// keeps failing, is out of quota or has its circuit open. A recording
// that a provider rejects as corrupt or unsupported is not sent anywhere
// else: the error is for the user, who has to speak again. The error of
// the last provider tried is returned.
func (c *Client) Transcribe(ctx context.Context, audio []byte) (Transcript, error) {
	var err error
	for i, p := range c.providers {
		var tr Transcript
		tr, err = c.transcribeWith(ctx, p, audio)
		if err == nil {
			return tr, nil
		}
		if !fallbackHelps(err) || ctx.Err() != nil || i == len(c.providers)-1 {
			break
		}
		if c.cfg.OnFallback != nil {
			c.cfg.OnFallback(p.Name, c.providers[i+1].Name, err)
		}
	}
	return Transcript{}, err
}

// transcribeWith retries one provider through its breaker. A rejection by
// the open breaker is not retryable, so it ends the retries at once.
func (c *Client) transcribeWith(ctx context.Context, p *provider, audio []byte) (
	Transcript, error) {
	attempt := func(ctx context.Context) (Transcript, error) {
		ran := false
		tr, err := breaker.ExecuteValue(ctx, p.breaker,
			func(ctx context.Context) (Transcript, error) {
				ran = true
				return c.post(ctx, p, audio)
			})
		if ran && c.cfg.OnOutcome != nil {
			// The same classifier the breaker used, on the same input.
			c.cfg.OnOutcome(ctx, p.Name, classify(ctx, err), err)
		}
		return tr, err
	}
	opts := []retry.Option{
		retry.WithSchedule(c.cfg.Schedule),
		retry.WithMaxRetryAfter(c.cfg.MaxRetryAfter),
		retry.WithGate(p.gate),
	}
	if c.cfg.OnRetry != nil {
		opts = append(opts, retry.OnRetry(func(e retry.RetryEvent) { c.cfg.OnRetry(p.Name, e) }))
	}
	return retry.DoValue(ctx, attempt, opts...)
}

// errTimeout is the cause of a request's context when Timeout passes.
var errTimeout = errors.New("sttdemo: provider timed out")

// post sends the recording once. A fresh reader over the same bytes makes
// every attempt send the whole recording.
func (c *Client) post(ctx context.Context, p *provider, audio []byte) (Transcript, error) {
	ctx, cancel := context.WithTimeoutCause(ctx, c.cfg.Timeout, errTimeout)
	defer cancel()
	endpoint := p.URL
	if p.KeyInQuery {
		endpoint += "?key=" + url.QueryEscape(p.APIKey)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(audio))
	if err != nil {
		return Transcript{}, retry.Permanent(err)
	}
	req.Header.Set("Content-Type", "audio/wav")
	if !p.KeyInQuery {
		req.Header.Set("Authorization", "Bearer "+p.APIKey)
	}
	resp, err := p.http.Do(req)
	if err != nil {
		if errors.Is(context.Cause(ctx), errTimeout) {
			return Transcript{}, &ProviderError{Provider: p.Name, Kind: KindTimeout,
				Message: fmt.Sprintf("no answer within %s", c.cfg.Timeout), Err: err}
		}
		return Transcript{}, &ProviderError{Provider: p.Name, Kind: KindNetwork,
			Message: "request failed", Err: err}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return Transcript{}, newProviderError(p.Name, resp)
	}
	var tr Transcript
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&tr); err != nil {
		return Transcript{}, &ProviderError{Provider: p.Name, Kind: KindNetwork,
			Message: "malformed response", Err: err}
	}
	tr.Provider = p.Name
	return tr, nil
}

// classify is the breakers' classifier. A request that the provider
// rejected because of the recording or the key reveals nothing about the
// provider's health, so it neither trips nor closes the breaker.
func classify(ctx context.Context, err error) breaker.Outcome {
	var pe *ProviderError
	if errors.As(err, &pe) && pe.callerFault() {
		return breaker.OutcomeNeutral
	}
	return breaker.DefaultClassify(ctx, err)
}

// fallbackHelps reports whether another provider may succeed where one
// failed: not when the recording itself was rejected.
func fallbackHelps(err error) bool {
	var pe *ProviderError
	if errors.As(err, &pe) {
		return pe.Kind != KindInvalidAudio && pe.Kind != KindUnsupportedAudio
	}
	return !errors.Is(err, context.Canceled)
}
