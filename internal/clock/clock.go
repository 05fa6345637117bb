// Package clock is the one seam through which this module reads time where
// tests must simulate what testing/synctest cannot: a wall clock that moves
// apart from the monotonic clock, as when someone sets the clock or the
// machine sleeps.
//
// Code that only waits or measures durations uses the time package
// directly; testing/synctest fakes both. [System] is the clock for
// production, and [Fake] is the same clock with a wall-clock offset that a
// test controls.
package clock

import (
	"sync/atomic"
	"time"
)

// Clock reads the wall and monotonic clocks and makes timers. Its methods
// are safe for concurrent use.
type Clock interface {
	// Now returns the wall-clock time, stripped of its monotonic reading,
	// and the monotonic time elapsed since the clock was created. The two
	// come from one reading, so they describe the same instant.
	Now() (wall time.Time, mono time.Duration)

	// NewTimer returns a timer that fires once d of monotonic time has
	// passed. A wall-clock jump neither delays nor advances it.
	NewTimer(d time.Duration) Timer
}

// Timer is a started timer, as [time.Timer] with the channel behind a
// method so that other implementations can provide it.
type Timer interface {
	// C returns the channel on which the timer delivers the time it fired.
	C() <-chan time.Time
	// Stop prevents the timer from firing and reports whether it stopped
	// the timer before it fired.
	Stop() bool
	// Reset changes the timer to fire after d and reports whether the
	// timer had been active.
	Reset(d time.Duration) bool
}

// System returns the machine's clock. Its monotonic readings count from the
// call to System.
func System() Clock { return systemClock{origin: time.Now()} }

type systemClock struct {
	origin time.Time // carries the monotonic reading that mono counts from
}

func (c systemClock) Now() (time.Time, time.Duration) {
	now := time.Now()
	return now.Round(0), now.Sub(c.origin)
}

func (systemClock) NewTimer(d time.Duration) Timer { return systemTimer{time.NewTimer(d)} }

type systemTimer struct{ t *time.Timer }

func (t systemTimer) C() <-chan time.Time        { return t.t.C }
func (t systemTimer) Stop() bool                 { return t.t.Stop() }
func (t systemTimer) Reset(d time.Duration) bool { return t.t.Reset(d) }

// Fake is the [System] clock with a wall-clock offset under the test's
// control. Its monotonic readings and timers follow the time package, so
// under testing/synctest they advance with the bubble's fake time. The zero
// value is not usable; call [NewFake]. A Fake is safe for concurrent use.
type Fake struct {
	sys    systemClock
	offset atomic.Int64 // added to the wall clock, in nanoseconds
}

var _ Clock = (*Fake)(nil)

// NewFake returns a clock that reads the same as [System] until the test
// moves its wall clock.
func NewFake() *Fake { return &Fake{sys: systemClock{origin: time.Now()}} }

// Now returns the system's wall-clock time plus the offset, and the
// system's monotonic reading.
func (f *Fake) Now() (time.Time, time.Duration) {
	wall, mono := f.sys.Now()
	return wall.Add(time.Duration(f.offset.Load())), mono
}

// NewTimer returns a system timer: wall-clock jumps do not affect it.
func (f *Fake) NewTimer(d time.Duration) Timer { return f.sys.NewTimer(d) }

// AdjustWall moves the wall clock by d, backwards when d is negative, as
// when a user or a time daemon sets the clock. The monotonic clock does not
// move.
func (f *Fake) AdjustWall(d time.Duration) { f.offset.Add(int64(d)) }

// SetWall sets the wall clock to t. The monotonic clock does not move.
func (f *Fake) SetWall(t time.Time) {
	wall, _ := f.sys.Now()
	f.offset.Store(int64(t.Sub(wall)))
}

// Suspend simulates the machine sleeping for d: the wall clock moves on by
// d while the monotonic clock and every timer stand still, as
// CLOCK_MONOTONIC does across a suspend on Linux.
func (f *Fake) Suspend(d time.Duration) { f.offset.Add(int64(d)) }
