package redact

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
