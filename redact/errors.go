package redact

import "reflect"

// Error returns err with its message redacted by the Default Redactor.
func Error(err error) error { return defaultRedactor.Error(err) }

// Error returns an error whose Error text is err's, redacted, and which
// unwraps to err, so errors.Is and errors.As still reach the original
// chain. It returns nil for nil. Note that code unwrapping the result can
// still read the original, unredacted errors.
func (r *Redactor) Error(err error) error {
	if err == nil {
		return nil
	}
	if e, ok := err.(*redactedError); ok && e.r == r {
		return e
	}
	return &redactedError{r: r, msg: r.errorText(err), err: err}
}

// errorText returns err.Error() redacted, or a placeholder when Error
// panics.
func (r *Redactor) errorText(err error) (msg string) {
	defer func() {
		if recover() != nil {
			msg = r.placeholder(ruleError)
		}
	}()
	return r.String(err.Error())
}

type redactedError struct {
	r   *Redactor
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// maxLoggedErrors bounds the errors of one tree that the Handler copies,
// since a tree whose branches share errors can be exponentially large.
const maxLoggedErrors = 64

// loggedError is an error as the Handler passes it on. It holds the
// redacted text of an error and, through Unwrap, redacted copies of the
// errors it wraps, so a next handler that walks the tree reads no secret.
// errors.Is still matches the originals; errors.As finds no original type.
type loggedError struct {
	msg    string
	orig   error
	cause  error   // set when orig has Unwrap() error
	causes []error // set when orig has Unwrap() []error
}

func (e *loggedError) Error() string { return e.msg }

// Is reports whether the original error is target or its own Is method
// matches target.
func (e *loggedError) Is(target error) bool {
	if reflect.TypeOf(target).Comparable() && reflect.TypeOf(e.orig) == reflect.TypeOf(target) &&
		e.orig == target {
		return true
	}
	is, ok := e.orig.(interface{ Is(error) bool })
	return ok && is.Is(target)
}

// loggedJoin is a loggedError that wraps several errors.
type loggedJoin struct{ loggedError }

func (e *loggedJoin) Unwrap() []error { return e.causes }

// loggedChain is a loggedError that wraps one error.
type loggedChain struct{ loggedError }

func (e *loggedChain) Unwrap() error { return e.cause }

// logged returns the copy of err that the Handler passes on. count is the
// number of errors of the tree copied so far.
func (r *Redactor) logged(err error, count *int) error {
	*count++
	e := loggedError{msg: r.errorText(err), orig: err}
	if *count > maxLoggedErrors {
		return &e
	}
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		if c := u.Unwrap(); c != nil {
			e.cause = r.logged(c, count)
			return &loggedChain{e}
		}
	case interface{ Unwrap() []error }:
		for _, c := range u.Unwrap() {
			if c != nil {
				e.causes = append(e.causes, r.logged(c, count))
			}
		}
		return &loggedJoin{e}
	}
	return &e
}
