// Package standin runs local servers that behave like the services a
// desktop assistant depends on, so the examples exercise their wiring over
// real HTTP and WebSocket connections on 127.0.0.1 without any account:
//
//   - [Provider], a speech-to-text service that authenticates with an API
//     key, decodes the WAV body it receives, and can be scripted to
//     rate-limit, run out of quota, answer slowly or fail;
//   - [Backend], a WebSocket service that can restart or go down.
//
// Every server listens on 127.0.0.1 port 0 and is safe for concurrent use.
package standin

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/cowork-ai/resilience/examples/internal/wav"
)

// ListenPath is the path at which a Provider accepts audio.
const ListenPath = "/v1/listen"

// maxAudioBytes caps the request body a Provider reads.
const maxAudioBytes = 10 << 20

// FaultKind selects what a Provider does with a request instead of
// transcribing it.
type FaultKind int

const (
	// FaultNone transcribes the request.
	FaultNone FaultKind = iota
	// FaultRateLimit answers 429 with Retry-After and rate-limit reset
	// headers, as a provider does when requests come too fast.
	FaultRateLimit
	// FaultQuota answers 429 with an insufficient_quota error body and no
	// Retry-After: the account is out of credit, and waiting does not help.
	FaultQuota
	// FaultSlow waits Fault.Delay, or until the client gives up, before
	// transcribing.
	FaultSlow
	// FaultUnavailable answers 503.
	FaultUnavailable
)

// String returns the fault's name as it appears in logs.
func (k FaultKind) String() string {
	switch k {
	case FaultNone:
		return "none"
	case FaultRateLimit:
		return "rate-limit"
	case FaultQuota:
		return "quota"
	case FaultSlow:
		return "slow"
	case FaultUnavailable:
		return "unavailable"
	}
	return "FaultKind(" + strconv.Itoa(int(k)) + ")"
}

// Fault is one scripted misbehaviour of a Provider.
type Fault struct {
	Kind FaultKind

	// RetryAfter is the wait a FaultRateLimit asks for. It is sent in the
	// X-RateLimit-Reset-Requests header as a Go duration and, rounded up
	// to whole seconds, in Retry-After. Zero means 1 s.
	RetryAfter time.Duration

	// Delay is how long a FaultSlow waits before answering.
	Delay time.Duration
}

// Request is the record of one request a Provider received.
type Request struct {
	Fault      FaultKind // the fault applied, FaultNone when transcribed
	Status     int       // the HTTP status, 0 until answered or if the client left
	Code       string    // the error code in the response body, if any
	Bytes      int       // the length of the request body
	BodySHA256 string    // hex SHA-256 of the request body
}

// Provider is a speech-to-text stand-in. It accepts POST /v1/listen with a
// WAV body and its API key, in an "Authorization: Bearer <key>" header or
// a "key" query parameter, and answers
// {"text": ..., "provider": ...}, taking the text from the recording's
// LIST/INFO comment. Scripted faults apply to the next requests in order;
// once they are used up, every request is transcribed. Corrupt recordings
// get 400 invalid_audio and formats other than 16-bit PCM get 400
// unsupported_audio_format, whatever the script says.
type Provider struct {
	name   string
	apiKey string
	ln     net.Listener
	srv    *http.Server
	done   chan struct{}

	// mu guards the fields below.
	mu       sync.Mutex
	script   []Fault
	outage   bool
	requests []Request
}

// NewProvider starts a Provider named name that accepts apiKey.
func NewProvider(name, apiKey string) (*Provider, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("standin: listen for provider %s: %w", name, err)
	}
	p := &Provider{name: name, apiKey: apiKey, ln: ln, done: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+ListenPath, p.listen)
	p.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		defer close(p.done)
		_ = p.srv.Serve(ln)
	}()
	return p, nil
}

// Name returns the provider's name.
func (p *Provider) Name() string { return p.name }

// URL returns the address of the listen endpoint.
func (p *Provider) URL() string { return "http://" + p.ln.Addr().String() + ListenPath }

// Script appends faults to apply to the next requests, one per request.
func (p *Provider) Script(faults ...Fault) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.script = append(p.script, faults...)
}

// SetOutage starts or ends an outage: while it lasts, every request gets
// 503, before any scripted fault.
func (p *Provider) SetOutage(on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.outage = on
}

// Requests returns a copy of the record of every request received so far.
func (p *Provider) Requests() []Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Request(nil), p.requests...)
}

// Close stops the server, waiting for slow handlers to notice that their
// clients are gone.
func (p *Provider) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := p.srv.Shutdown(ctx)
	<-p.done
	return err
}

func (p *Provider) nextFault() Fault {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.outage {
		return Fault{Kind: FaultUnavailable}
	}
	if len(p.script) == 0 {
		return Fault{}
	}
	f := p.script[0]
	p.script = p.script[1:]
	return f
}

// record appends r to the requests and returns its index. The request is
// recorded as it arrives, so a caller that gave up on it still sees it.
func (p *Provider) record(r Request) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.requests = append(p.requests, r)
	return len(p.requests) - 1
}

// authorized reports whether r carries the API key, either as a bearer
// token or, as Google's APIs accept it, in the "key" query parameter.
func (p *Provider) authorized(r *http.Request) bool {
	return r.Header.Get("Authorization") == "Bearer "+p.apiKey ||
		r.URL.Query().Get("key") == p.apiKey
}

func (p *Provider) listen(w http.ResponseWriter, r *http.Request) {
	if !p.authorized(r) {
		writeError(w, http.StatusUnauthorized, "invalid_api_key", "Incorrect API key provided.")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxAudioBytes))
	if err != nil {
		return
	}
	sum := sha256.Sum256(body)
	f := p.nextFault()
	i := p.record(Request{Fault: f.Kind, Bytes: len(body), BodySHA256: hex.EncodeToString(sum[:])})
	status, code := p.respond(w, r, f, body)
	p.mu.Lock()
	p.requests[i].Status, p.requests[i].Code = status, code
	p.mu.Unlock()
}

// respond writes the response to one request and returns what it did.
func (p *Provider) respond(w http.ResponseWriter, r *http.Request, f Fault, body []byte) (
	int, string) {
	switch f.Kind {
	case FaultRateLimit:
		wait := f.RetryAfter
		if wait <= 0 {
			wait = time.Second
		}
		h := w.Header()
		h.Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		h.Set("X-RateLimit-Reset-Requests", wait.String())
		h.Set("X-RateLimit-Remaining-Requests", "0")
		writeError(w, http.StatusTooManyRequests, "rate_limit_exceeded",
			"Rate limit reached for requests. Try again in "+wait.String()+".")
		return http.StatusTooManyRequests, "rate_limit_exceeded"
	case FaultQuota:
		writeError(w, http.StatusTooManyRequests, "insufficient_quota",
			"You exceeded your current quota, please check your plan and billing details.")
		return http.StatusTooManyRequests, "insufficient_quota"
	case FaultUnavailable:
		writeError(w, http.StatusServiceUnavailable, "service_unavailable",
			"The server is temporarily unavailable.")
		return http.StatusServiceUnavailable, "service_unavailable"
	case FaultSlow:
		select {
		case <-time.After(f.Delay):
		case <-r.Context().Done():
			return 0, "client_gone"
		}
	}
	return p.transcribe(w, body)
}

// transcribe decodes the recording and answers with its comment as text.
func (p *Provider) transcribe(w http.ResponseWriter, body []byte) (int, string) {
	f, err := wav.Decode(body)
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid_audio",
			"Audio file could not be decoded: "+err.Error())
		return http.StatusBadRequest, "invalid_audio"
	}
	if f.Format != wav.FormatPCM || f.BitsPerSample != 16 {
		msg := fmt.Sprintf("Unsupported audio format %d with %d bits per sample; "+
			"send 16-bit PCM.", f.Format, f.BitsPerSample)
		writeError(w, http.StatusBadRequest, "unsupported_audio_format", msg)
		return http.StatusBadRequest, "unsupported_audio_format"
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(Transcript{
		Text: f.Comment, Provider: p.name, Duration: f.Duration(),
	})
	return http.StatusOK, ""
}

// Transcript is the body of a successful Provider response.
type Transcript struct {
	Text     string  `json:"text"`
	Provider string  `json:"provider"`
	Duration float64 `json:"duration"` // seconds of audio
}

// ErrorBody is the body of a failed Provider response, in the shape
// OpenAI's API uses.
type ErrorBody struct {
	Error struct {
		Type    string `json:"type"`
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	var b ErrorBody
	b.Error.Type, b.Error.Code, b.Error.Message = code, code, msg
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(b)
}
