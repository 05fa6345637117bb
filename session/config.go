package session

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/cowork-ai/resilience/backoff"
)

// Defaults for the zero fields of [Config].
const (
	DefaultMaxTTL             = 8 * time.Hour
	DefaultClockTolerance     = 2 * time.Second
	DefaultClockCheckInterval = 5 * time.Second
	DefaultRetryInterval      = 30 * time.Second
)

// Config holds the settings of a [Manager]. The zero value keeps grants in
// memory only, with the defaults above.
type Config struct {
	// Path is the file that holds the grants across restarts. Its directory
	// is created with mode 0700 when missing, and the file is written with
	// mode 0600. Empty means grants live in memory only.
	Path string

	// Key is the HMAC-SHA256 key that authenticates the file. Nil means a
	// random key kept in the file Path + ".key" (mode 0600), created on
	// first use. A key shorter than 16 bytes is rejected.
	Key []byte

	// MaxTTL caps the time to live of every grant; a longer request is
	// shortened to it. Zero means DefaultMaxTTL.
	MaxTTL time.Duration

	// ClockTolerance is how far the wall clock may drift from the
	// monotonic clock before the manager counts it as a jump and revokes
	// every grant. One millisecond per second elapsed is added to allow for
	// a time daemon slewing the clock. Zero means DefaultClockTolerance.
	ClockTolerance time.Duration

	// ClockCheckInterval is how often the background loop looks for clock
	// jumps and wall-clock expiry when no grant is due earlier. Zero means
	// DefaultClockCheckInterval.
	ClockCheckInterval time.Duration

	// RetryInterval is how often the background loop tries to write the
	// file again while the store is degraded. Zero means
	// DefaultRetryInterval.
	RetryInterval time.Duration

	// Retry is the schedule of retries for a transient file error (a busy
	// or interrupted operation) before the store counts as failed. Nil
	// means backoff.Storage(): 0, 100, 200, 300 and 400 ms.
	Retry backoff.Schedule

	// DenyWhenDegraded makes every check deny with ReasonStoreDegraded
	// while the file cannot be written. False keeps serving the grants held
	// in memory, with expiry enforced as usual.
	DenyWhenDegraded bool

	// Hooks receive events for metrics and auditing. See [Hooks].
	Hooks Hooks

	// Logger receives the background loop's records: security events
	// (clock jumps, rejected files, a degraded store) at Error with an
	// "event" attribute, expiry at Info. Nil means silent.
	Logger *slog.Logger
}

func (c Config) withDefaults() (Config, error) {
	switch {
	case c.MaxTTL < 0:
		return c, fmt.Errorf("session: Config.MaxTTL %v is negative", c.MaxTTL)
	case c.ClockTolerance < 0:
		return c, fmt.Errorf("session: Config.ClockTolerance %v is negative", c.ClockTolerance)
	case c.ClockCheckInterval < 0:
		return c, fmt.Errorf("session: Config.ClockCheckInterval %v is negative",
			c.ClockCheckInterval)
	case c.RetryInterval < 0:
		return c, fmt.Errorf("session: Config.RetryInterval %v is negative", c.RetryInterval)
	case c.Key != nil && len(c.Key) < 16:
		return c, fmt.Errorf("session: Config.Key has %d bytes, want at least 16", len(c.Key))
	case c.Key != nil && c.Path == "":
		return c, fmt.Errorf("session: Config.Key is set but Config.Path is empty")
	}
	if c.MaxTTL == 0 {
		c.MaxTTL = DefaultMaxTTL
	}
	if c.ClockTolerance == 0 {
		c.ClockTolerance = DefaultClockTolerance
	}
	if c.ClockCheckInterval == 0 {
		c.ClockCheckInterval = DefaultClockCheckInterval
	}
	if c.RetryInterval == 0 {
		c.RetryInterval = DefaultRetryInterval
	}
	if c.Retry == nil {
		c.Retry = backoff.Storage()
	}
	c.Key = append([]byte(nil), c.Key...) // never share the caller's slice
	return c, nil
}

// Hooks are optional callbacks for metrics and auditing. Each is called
// without any lock held, so a hook may call the Manager's methods, except
// Close, which waits for the goroutines that run some hooks. A hook that panics is recovered: in Check the
// decision becomes a denial with ReasonInternal, and in Grant or Extend the
// grant is revoked and an error returned, so a failing hook never widens
// access.
type Hooks struct {
	// OnGrant is called on the caller's goroutine after Grant or Extend
	// commits a grant.
	OnGrant func(GrantEvent)

	// OnDecision is called on the caller's goroutine for every decision of
	// Check, Ensure and the middleware, allowed or denied.
	OnDecision func(DecisionEvent)

	// OnEnd is called once for each grant that ends (expired, revoked, or
	// revoked by a clock jump), on the goroutine that ended it: the caller
	// of Check, Revoke or RevokeAll, or the background loop.
	OnEnd func(EndEvent)

	// OnStore is called when the store changes state: a file loaded or
	// rejected, the store degraded or recovered. It runs on the goroutine
	// that noticed: New's caller, a writer, or the background loop.
	OnStore func(StoreEvent)

	// OnRegrant receives each request for the user to grant a scope again,
	// on a goroutine of its own. It is called once for each grant that
	// ended for a reason where granting again helps, unless a request for
	// the same scope is still waiting to be delivered. Requests arrive in
	// the order the grants ended, except that grants ended at the same time
	// on different goroutines may arrive in either order. A slow OnRegrant
	// delays later requests but nothing else.
	OnRegrant func(RegrantRequest)
}

// GrantEvent describes a grant that was committed.
type GrantEvent struct {
	Grant    Grant
	Extended bool // true when Extend renewed an existing grant
}

// DecisionEvent describes one decision.
type DecisionEvent struct {
	Scope    Scope
	Decision Decision
}

// EndEvent describes a grant that ended.
type EndEvent struct {
	Grant Grant
	// Reason is ReasonExpired, ReasonRevoked, ReasonClockUncertain, or
	// ReasonInternal for a grant revoked because OnGrant panicked.
	Reason Reason
}

// RegrantRequest is a request for the user to grant a scope again.
type RegrantRequest struct {
	Scope   Scope
	GrantID string // the grant that ended
	Reason  Reason // the reason the grant ended
}

// StoreEventKind is the kind of a [StoreEvent].
type StoreEventKind uint8

const (
	// StoreLoaded means the file was read and its grants restored; a
	// missing file loads zero grants and counts as loaded.
	StoreLoaded StoreEventKind = iota
	// StoreRejected means the file was unusable; zero grants were loaded
	// and the file was moved aside.
	StoreRejected
	// StoreDegraded means the file cannot be read or written; grants live
	// in memory only.
	StoreDegraded
	// StoreRecovered means the file was written again after a degraded
	// spell.
	StoreRecovered
)

// String returns the kind's lower-case name.
func (k StoreEventKind) String() string {
	switch k {
	case StoreLoaded:
		return "loaded"
	case StoreRejected:
		return "rejected"
	case StoreDegraded:
		return "degraded"
	case StoreRecovered:
		return "recovered"
	}
	return fmt.Sprintf("StoreEventKind(%d)", uint8(k))
}

// StoreEvent describes a change of the store's state.
type StoreEvent struct {
	Kind StoreEventKind
	Path string
	// Grants is the number of grants restored, for StoreLoaded.
	Grants int
	// Rejection is the reason the file was rejected, for StoreRejected.
	Rejection Rejection
	// MovedTo is the new path of a rejected file, or "" when it could not
	// be moved.
	MovedTo string
	// StaleRemoved is true, for StoreDegraded, when a file that still
	// listed revoked grants could not be rewritten and was deleted, or
	// emptied in place where the directory refused the deletion.
	StaleRemoved bool
	// Err is the error behind a rejection or a degraded store.
	Err error
}

// Rejection is the reason a grant file was not loaded.
type Rejection uint8

const (
	// RejectNone means the file was not rejected.
	RejectNone Rejection = iota
	// RejectTruncated means the file ends early.
	RejectTruncated
	// RejectCorrupt means the file is not valid JSON of the expected shape.
	RejectCorrupt
	// RejectTampered means the integrity check failed.
	RejectTampered
	// RejectUnknownSchema means the file has a schema version this code
	// does not read.
	RejectUnknownSchema
	// RejectInsecureMode means the file is readable or writable by group
	// or others, or is not a regular file.
	RejectInsecureMode
	// RejectForeignOwner means another user owns the file.
	RejectForeignOwner
	// RejectClockUncertain means the file was written at a wall-clock time
	// later than now, so the clock moved backwards since.
	RejectClockUncertain
)

// String returns the rejection in lower-case words.
func (r Rejection) String() string {
	switch r {
	case RejectNone:
		return "none"
	case RejectTruncated:
		return "truncated"
	case RejectCorrupt:
		return "corrupt"
	case RejectTampered:
		return "tampered"
	case RejectUnknownSchema:
		return "unknown schema version"
	case RejectInsecureMode:
		return "insecure file mode"
	case RejectForeignOwner:
		return "foreign owner"
	case RejectClockUncertain:
		return "clock uncertain"
	}
	return fmt.Sprintf("Rejection(%d)", uint8(r))
}

// Status is a snapshot of a manager's state.
type Status struct {
	// Degraded is true while the file cannot be written and grants live in
	// memory only.
	Degraded bool
	// Err is the last store error while degraded.
	Err error
	// Grants is the number of live grants.
	Grants int
	// Load is the outcome of reading the file at start.
	Load StoreEvent
}
