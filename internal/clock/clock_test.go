package clock_test

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/cowork-ai/resilience/internal/clock"
)

func TestSystemMonotonicFollowsTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := clock.System()
		wall0, mono0 := c.Now()
		time.Sleep(3 * time.Second)
		wall1, mono1 := c.Now()
		if got := mono1 - mono0; got != 3*time.Second {
			t.Errorf("monotonic elapsed = %v, want 3s", got)
		}
		if got := wall1.Sub(wall0); got != 3*time.Second {
			t.Errorf("wall elapsed = %v, want 3s", got)
		}
	})
}

func TestFakeAdjustWallLeavesMonotonic(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := clock.NewFake()
		wall0, mono0 := f.Now()
		f.AdjustWall(-time.Hour)
		wall1, mono1 := f.Now()
		if got := wall1.Sub(wall0); got != -time.Hour {
			t.Errorf("wall moved %v, want -1h", got)
		}
		if mono1 != mono0 {
			t.Errorf("monotonic moved from %v to %v, want no change", mono0, mono1)
		}
	})
}

func TestFakeSuspendHoldsTimers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := clock.NewFake()
		timer := f.NewTimer(time.Minute)
		defer timer.Stop()
		wall0, _ := f.Now()
		f.Suspend(2 * time.Hour)
		wall1, _ := f.Now()
		if got := wall1.Sub(wall0); got != 2*time.Hour {
			t.Errorf("wall moved %v across suspend, want 2h", got)
		}
		select {
		case <-timer.C():
			t.Fatal("timer fired on a wall-clock jump")
		default:
		}
		time.Sleep(time.Minute)
		select {
		case <-timer.C():
		default:
			t.Fatal("timer did not fire after a minute of monotonic time")
		}
	})
}

func TestFakeSetWall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := clock.NewFake()
		target := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
		f.SetWall(target)
		wall, _ := f.Now()
		if !wall.Equal(target) {
			t.Errorf("Now() wall = %v, want %v", wall, target)
		}
		time.Sleep(time.Second)
		wall, _ = f.Now()
		if want := target.Add(time.Second); !wall.Equal(want) {
			t.Errorf("Now() wall after 1s = %v, want %v", wall, want)
		}
	})
}

func TestTimerReset(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		timer := clock.System().NewTimer(time.Hour)
		if !timer.Reset(time.Second) {
			t.Error("Reset of an active timer = false, want true")
		}
		start := time.Now()
		<-timer.C()
		if got := time.Since(start); got != time.Second {
			t.Errorf("timer fired after %v, want 1s", got)
		}
		if timer.Stop() {
			t.Error("Stop of a fired timer = true, want false")
		}
	})
}
