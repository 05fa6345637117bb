package breaker

import (
	"context"
	"sync/atomic"
)

// probeGate counts the probes running in one half-open period. gobreaker
// limits the half-open state to SuccessesToClose admissions in total; the
// gate further limits how many of them run at once to HalfOpenProbes.
//
// The high 32 bits of the word are the period (the low 32 bits of the
// transition sequence number that began it), the low 32 bits the count.
// A probe that ends after its period is over finds a different period and
// leaves the count of the new one alone.
type probeGate struct {
	word atomic.Uint64
}

// reset starts a new period with no probes running. The caller holds
// gobreaker's lock.
func (g *probeGate) reset(period uint32) {
	g.word.Store(uint64(period) << 32)
}

// acquire takes a slot in period, unless max probes already run or the
// period is over.
func (g *probeGate) acquire(period, max uint32) bool {
	for {
		w := g.word.Load()
		if uint32(w>>32) != period || uint32(w) >= max {
			return false
		}
		if g.word.CompareAndSwap(w, w+1) {
			return true
		}
	}
}

// release frees a slot taken in period, if that period is still current.
func (g *probeGate) release(period uint32) {
	for {
		w := g.word.Load()
		if uint32(w>>32) != period || uint32(w) == 0 {
			return
		}
		if g.word.CompareAndSwap(w, w-1) {
			return
		}
	}
}

// probeResult is the result of a probe's operation, sent by the goroutine
// that runs it.
type probeResult struct {
	err      error
	panicked bool
	panicVal any
}

// probe runs op as a half-open probe of the given period and returns the
// signal for gobreaker. It returns as soon as op returns or the probe's
// context ends. In the second case it stores in c.late the channel on
// which op's result will arrive.
func (b *Breaker) probe(ctx context.Context, op func(context.Context) error,
	period uint32, c *call) error {
	if !b.gate.acquire(period, b.set.probes) {
		c.busy = true
		return errNeutral
	}
	defer b.gate.release(period)

	pctx, cancel := context.WithTimeoutCause(ctx, b.set.probeTimeout, ErrProbeTimeout)
	defer cancel()
	done := make(chan probeResult, 1)
	go runProbe(pctx, op, done)

	select {
	case r := <-done:
		if r.panicked {
			panic(r.panicVal)
		}
		c.err = r.err
		return signal(b.classify(ctx, r.err))
	case <-pctx.Done():
		c.late = done
		if ctx.Err() != nil {
			// The caller gave up: neutral, so the slot frees.
			return errNeutral
		}
		return errFailure
	}
}

// runProbe runs op and sends its result, or the value it panicked with, on
// done.
func runProbe(ctx context.Context, op func(context.Context) error, done chan<- probeResult) {
	var r probeResult
	defer func() {
		if v := recover(); v != nil {
			r.panicked, r.panicVal = true, v
		}
		done <- r
	}()
	r.err = op(ctx)
}
