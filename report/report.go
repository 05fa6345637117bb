package report

import (
	"context"
	"errors"
	"unicode/utf8"

	"github.com/cowork-ai/resilience/internal/classify"
	"github.com/cowork-ai/resilience/redact"
)

// Codes that From assigns to errors that carry no code of their own.
const (
	// CodeInternal is the code of an error without a Code method.
	CodeInternal = "ERR-Internal"
	// CodeTimeout is the code of an uncoded error that is or wraps
	// context.DeadlineExceeded.
	CodeTimeout = "ERR-Timeout"
	// CodeCanceled is the code of an uncoded error that is or wraps
	// context.Canceled.
	CodeCanceled = "ERR-Canceled"
)

// MaxMessageLen is the length in bytes beyond which a notice's message is
// cut, at a rune boundary, and ends in "...".
const MaxMessageLen = 1024

// maxChain bounds the number of errors visited in an error tree.
const maxChain = 256

// A Notice is the report of an error shown to the user.
type Notice struct {
	// Code is a stable identifier such as "ERR-RateLimited", for support
	// and for the interface to choose an icon or an action.
	Code string `json:"code"`
	// Message is the technical detail for logs and support: the error
	// text with secrets redacted and control characters escaped, at most
	// MaxMessageLen bytes. Show the user Code and Guidance instead.
	Message string `json:"message"`
	// Retryable reports whether trying the same operation again can
	// succeed, by the classification the retry package uses.
	Retryable bool `json:"retryable"`
	// Guidance is the text for the user: one or two sentences on what to
	// do next, in agreement with Retryable.
	Guidance string `json:"guidance"`
}

// String returns the notice on one line: the code, the message and, after
// " -- ", the guidance, as in
// "ERR-RateLimited: HTTP 429 -- The service is receiving too many requests.".
// An empty message or guidance is left out with its separator.
func (n Notice) String() string {
	s := n.Code
	if n.Message != "" {
		if s != "" {
			s += ": "
		}
		s += n.Message
	}
	if n.Guidance != "" {
		if s != "" {
			s += " -- "
		}
		s += n.Guidance
	}
	return s
}

// A Reporter builds notices and logs errors. The zero value redacts with
// redact.Default and uses the built-in guidance. A Reporter is safe for
// concurrent use; do not modify its fields after first use.
type Reporter struct {
	// Redactor redacts messages and log records. Nil means
	// redact.Default().
	Redactor *redact.Redactor

	// Guidance adds or replaces guidance by code. Nil means the built-in
	// guidance only.
	Guidance map[string]string
}

// From returns the notice for err made by a zero Reporter.
func From(err error) Notice { return (&Reporter{}).From(err) }

// From returns the notice for err. Its code comes from the first error in
// err's tree, searched depth first as errors.As does, whose Code() string
// method returns a valid code: letters, digits, '-', '_' and '.', at most
// 64 bytes. Without one, a context error gets CodeTimeout or CodeCanceled
// and any other error CodeInternal. So for errors.Join(a, b) the code of a,
// or of an error a wraps, wins over the code of b. From(nil) returns the
// zero Notice. An error whose Code method panics counts as uncoded, and
// one whose methods panic during classification is not retryable.
//
// NOTE: like errors.Is, From does not return for an error whose Unwrap
// chain is cyclic.
func (rp *Reporter) From(err error) Notice {
	if err == nil {
		return Notice{}
	}
	code := CodeOf(err)
	retryable := retryableOf(err)
	return Notice{
		Code:      code,
		Message:   truncate(rp.redactor().Error(err).Error(), MaxMessageLen),
		Retryable: retryable,
		Guidance:  rp.guidance(code, retryable),
	}
}

func (rp *Reporter) redactor() *redact.Redactor {
	if rp.Redactor == nil {
		return redact.Default()
	}
	return rp.Redactor
}

// retryableOf is classify.Retryable, or false when a method of an error in
// err's tree panics.
func retryableOf(err error) (retryable bool) {
	defer func() {
		if recover() != nil {
			retryable = false
		}
	}()
	return classify.Retryable(err)
}

// CodeOf returns the code From assigns to err, or "" for nil. When an
// Unwrap method in err's tree panics before a code is found, the code is
// CodeInternal.
func CodeOf(err error) (code string) {
	if err == nil {
		return ""
	}
	defer func() {
		if recover() != nil {
			code = CodeInternal
		}
	}()
	if code := findCode(err); code != "" {
		return code
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return CodeTimeout
	case errors.Is(err, context.Canceled):
		return CodeCanceled
	}
	return CodeInternal
}

// findCode walks err's tree depth first and returns the first valid code,
// or "". It visits at most maxChain errors.
func findCode(err error) string {
	stack := []error{err}
	for visited := 0; len(stack) > 0 && visited < maxChain; visited++ {
		e := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if e == nil {
			continue
		}
		if c, ok := e.(interface{ Code() string }); ok {
			if code := safeCode(c); validCode(code) {
				return code
			}
		}
		switch u := e.(type) {
		case interface{ Unwrap() error }:
			stack = append(stack, u.Unwrap())
		case interface{ Unwrap() []error }:
			errs := u.Unwrap()
			for i := len(errs) - 1; i >= 0; i-- {
				stack = append(stack, errs[i])
			}
		}
	}
	return ""
}

// safeCode calls c.Code, returning "" if it panics.
func safeCode(c interface{ Code() string }) (code string) {
	defer func() {
		if recover() != nil {
			code = ""
		}
	}()
	return c.Code()
}

func validCode(code string) bool {
	if code == "" || len(code) > 64 {
		return false
	}
	for i := 0; i < len(code); i++ {
		c := code[i]
		ok := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			c == '-' || c == '_' || c == '.'
		if !ok {
			return false
		}
	}
	return true
}

// truncate cuts s to at most n bytes at a rune boundary, ending in "...".
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("...")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}
