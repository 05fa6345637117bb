package sttdemo

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/cowork-ai/resilience/retry"
)

// The kinds of ProviderError. The first six are the error codes the
// providers put in their JSON bodies, in OpenAI's format.
const (
	KindRateLimited      = "rate_limit_exceeded"
	KindQuotaExceeded    = "insufficient_quota"
	KindInvalidAudio     = "invalid_audio"
	KindUnsupportedAudio = "unsupported_audio_format"
	KindUnauthorized     = "invalid_api_key"
	KindUnavailable      = "service_unavailable"
	KindTimeout          = "timeout" // no answer within ClientConfig.Timeout
	KindNetwork          = "network" // the request or the response failed
)

// ProviderError is the error of one request to a provider. It carries what
// retry, breaker and report need: whether retrying can help, the delay the
// provider requested, and a stable code for the user interface.
type ProviderError struct {
	Provider string
	Kind     string // one of the Kind constants, or another provider code
	Status   int    // the HTTP status, zero when no response arrived
	Message  string // the provider's message, or what went wrong

	// Wait is the delay the provider requested before the next request.
	Wait time.Duration

	// Err is the *retry.HTTPError of the response, or the transport error.
	Err error
}

// newProviderError reads a failed response. The X-RateLimit-Reset-Requests
// header, a Go duration such as "20ms" in OpenAI's format, is more precise
// than Retry-After, which counts whole seconds, so it is preferred.
func newProviderError(name string, resp *http.Response) *ProviderError {
	herr := retry.NewHTTPError(resp)
	e := &ProviderError{Provider: name, Status: resp.StatusCode, Kind: KindUnavailable,
		Message: http.StatusText(resp.StatusCode), Wait: herr.RetryAfter(), Err: herr}
	if reset, err := time.ParseDuration(resp.Header.Get("X-RateLimit-Reset-Requests")); err == nil {
		e.Wait = reset
	}
	var body struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&body) == nil &&
		body.Error.Code != "" {
		e.Kind, e.Message = body.Error.Code, body.Error.Message
	}
	return e
}

// Error returns the provider, what failed and the provider's message.
func (e *ProviderError) Error() string {
	switch e.Status {
	case 0:
		return fmt.Sprintf("stt: %s: %s: %v", e.Provider, e.Message, e.Err)
	default:
		return fmt.Sprintf("stt: %s answered %d %s: %s", e.Provider, e.Status, e.Kind, e.Message)
	}
}

// Unwrap returns the HTTP or transport error.
func (e *ProviderError) Unwrap() error { return e.Err }

// StatusCode returns the HTTP status, zero when no response arrived.
func (e *ProviderError) StatusCode() int { return e.Status }

// RetryAfter returns the delay the provider requested, or zero.
func (e *ProviderError) RetryAfter() time.Duration { return e.Wait }

// Retryable reports whether the same provider may succeed if asked again:
// yes for rate limits, 5xx answers and network failures; no for an account
// out of quota (a 429 that waiting does not fix), a timeout (the next
// provider is faster than waiting again), and every rejection of the
// request itself.
func (e *ProviderError) Retryable() bool {
	switch e.Kind {
	case KindQuotaExceeded, KindTimeout:
		return false
	case KindNetwork:
		return true
	}
	return retry.IsRetryable(e.Err)
}

// Code returns the stable code shown to the user.
func (e *ProviderError) Code() string {
	switch e.Kind {
	case KindRateLimited:
		return "ERR-RateLimited"
	case KindQuotaExceeded:
		return "ERR-QuotaExceeded"
	case KindInvalidAudio:
		return "ERR-InvalidAudio"
	case KindUnsupportedAudio:
		return "ERR-UnsupportedAudio"
	case KindUnauthorized:
		return "ERR-Unauthorized"
	case KindTimeout:
		return "ERR-ProviderTimeout"
	}
	return "ERR-ProviderUnavailable"
}

// callerFault reports whether the provider rejected the request for a
// reason of the caller's making: the recording or the key.
func (e *ProviderError) callerFault() bool {
	switch e.Kind {
	case KindInvalidAudio, KindUnsupportedAudio, KindUnauthorized:
		return true
	}
	return false
}
