package session

import (
	"errors"
	"fmt"
	"time"
)

// Reason is the cause of a [Manager.Check] decision to allow or deny. The set of
// reasons is closed. The zero value is ReasonNotGranted, so a zero
// [Decision] denies.
type Reason uint8

const (
	// ReasonNotGranted means no grant covers the scope.
	ReasonNotGranted Reason = iota
	// ReasonGranted means a live grant covers the scope. It is the only
	// reason that allows.
	ReasonGranted
	// ReasonExpired means the grant that covered the scope reached the end
	// of its time to live on the wall or the monotonic clock.
	ReasonExpired
	// ReasonRevoked means the grant was revoked by [Manager.Revoke] or
	// [Manager.RevokeAll].
	ReasonRevoked
	// ReasonClockUncertain means the wall clock jumped (backwards, or away
	// from the monotonic clock as after a suspend), which revoked the grant.
	ReasonClockUncertain
	// ReasonStoreDegraded means the grant file cannot be written and the
	// manager was configured to deny while that lasts.
	ReasonStoreDegraded
	// ReasonInvalidScope means the scope checked is malformed.
	ReasonInvalidScope
	// ReasonCanceled means the context was done before the check.
	ReasonCanceled
	// ReasonClosed means the manager was closed.
	ReasonClosed
	// ReasonInternal means the check failed inside, for instance because a
	// hook panicked.
	ReasonInternal

	reasonCount // number of reasons; keep last
)

var reasonInfo = [reasonCount]struct {
	name    string
	code    string
	regrant bool
	err     error
}{
	ReasonNotGranted:     {"not granted", "ERR-PermissionDenied", true, ErrPermissionDenied},
	ReasonGranted:        {"granted", "", false, nil},
	ReasonExpired:        {"expired", "ERR-SessionExpired", true, ErrSessionExpired},
	ReasonRevoked:        {"revoked", "ERR-SessionRevoked", true, ErrSessionRevoked},
	ReasonClockUncertain: {"clock uncertain", "ERR-ClockUncertain", true, ErrClockUncertain},
	ReasonStoreDegraded:  {"store degraded", "ERR-StoreDegraded", false, ErrStoreDegraded},
	ReasonInvalidScope:   {"invalid scope", "ERR-InvalidScope", false, ErrInvalidScope},
	ReasonCanceled:       {"canceled", "ERR-Canceled", false, ErrPermissionDenied},
	ReasonClosed:         {"closed", "ERR-SessionClosed", false, ErrClosed},
	ReasonInternal:       {"internal error", "ERR-Internal", false, ErrInternal},
}

// String returns the reason in lower-case words, such as "clock uncertain".
func (r Reason) String() string {
	if r >= reasonCount {
		return fmt.Sprintf("Reason(%d)", uint8(r))
	}
	return reasonInfo[r].name
}

// Code returns the stable error code of a denial for this reason, such as
// "ERR-SessionExpired", or "" for ReasonGranted.
func (r Reason) Code() string {
	if r >= reasonCount {
		return "ERR-Internal"
	}
	return reasonInfo[r].code
}

// RegrantRequired reports whether the user must grant the scope again
// before the action can be allowed. It is true for not granted, expired,
// revoked and clock uncertain, and false where granting again cannot help.
func (r Reason) RegrantRequired() bool {
	return r < reasonCount && reasonInfo[r].regrant
}

// Decision is the outcome of [Manager.Check]. The zero value denies.
type Decision struct {
	// Allowed is true only when Reason is ReasonGranted.
	Allowed bool
	// Reason is the cause of the decision.
	Reason Reason
	// GrantID identifies the grant that allowed the action, or that ended
	// and so caused the denial. It may be empty on a denial.
	GrantID string
	// ExpiresAt is the wall-clock time at which the allowing grant
	// expires. It is zero on a denial.
	ExpiresAt time.Time
}

func deny(r Reason) Decision { return Decision{Reason: r} }

// Errors that [Manager.Ensure] and the other methods return. Every error
// that describes a denial matches ErrPermissionDenied with [errors.Is] as
// well as the sentinel of its reason.
var (
	ErrPermissionDenied = errors.New("session: permission denied")
	ErrSessionExpired   = errors.New("session: grant expired")
	ErrSessionRevoked   = errors.New("session: grant revoked")
	ErrClockUncertain   = errors.New("session: clock uncertain")
	ErrStoreDegraded    = errors.New("session: grant store degraded")
	ErrInvalidScope     = errors.New("session: invalid scope")
	ErrClosed           = errors.New("session: manager closed")
	ErrInternal         = errors.New("session: internal error")
	ErrInvalidTTL       = errors.New("session: invalid TTL")
	ErrNotFound         = errors.New("session: grant not found")
)

// DeniedError is the error of a denial: which scope, for what reason, and
// the underlying cause when there is one (the context's error, or the
// value a hook panicked with).
type DeniedError struct {
	Scope   Scope
	Reason  Reason
	GrantID string // the grant that ended, when known
	Cause   error  // nil unless something beyond the reason failed
}

// Error returns a message naming the scope and the reason.
func (e *DeniedError) Error() string {
	msg := "session: permission denied for " + e.Scope.String() + ": " + e.Reason.String()
	if e.Cause != nil {
		msg += ": " + e.Cause.Error()
	}
	return msg
}

// Code returns the stable code of the reason, such as "ERR-SessionExpired".
func (e *DeniedError) Code() string { return e.Reason.Code() }

// RegrantRequired reports whether granting the scope again can allow the
// action.
func (e *DeniedError) RegrantRequired() bool { return e.Reason.RegrantRequired() }

// Retryable reports whether the same action can be allowed later without
// the user doing anything: only while the grant store is degraded, because
// it may recover. Every other denial needs a new grant or a fixed request.
func (e *DeniedError) Retryable() bool { return e.Reason == ReasonStoreDegraded }

// Is matches ErrPermissionDenied and the sentinel of the reason.
func (e *DeniedError) Is(target error) bool {
	if target == ErrPermissionDenied {
		return true
	}
	return e.Reason < reasonCount && target != nil && target == reasonInfo[e.Reason].err
}

// Unwrap returns the cause.
func (e *DeniedError) Unwrap() error { return e.Cause }
