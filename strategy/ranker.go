package strategy

import (
	"fmt"
	"math/bits"
	"math/rand/v2"
	"slices"
	"sync"
)

// RankerConfig holds the settings of a [Ranker]. The zero value is valid.
type RankerConfig struct {
	// Window is the number of recent outcomes kept per strategy and step
	// kind, from 1 to 64. Zero means 20.
	Window int

	// MaxKinds bounds the step kinds tracked. Steps of further kinds keep
	// their own order. Zero means 256.
	MaxKinds int

	// Explore is the probability, in [0, 1], that a step keeps its own
	// order, so a strategy that fell behind is tried first again now and
	// then and can recover its rank. Zero means never.
	Explore float64

	// Seed, when not zero, seeds the random source of Explore, so runs
	// are reproducible in tests. Zero means the runtime's random source.
	Seed uint64
}

// Ranker reorders the strategies of a step by their recent success for
// the step's kind, so a strategy that keeps failing in this environment
// stops costing time first. A strategy's score is its success rate over
// its last Window outcomes with one success and one failure added, so an
// untried strategy scores one half. Ties keep the step's order.
// Successes, failures, failed verifications and timeouts are recorded;
// strategies that were not ready or were interrupted are not. Memory is
// bounded: at most MaxKinds kinds with 256 strategy names each, one
// small record per name. Names beyond that keep the score of an untried
// strategy.
//
// A Ranker is safe for concurrent use and may be shared by plans.
type Ranker struct {
	window   int
	maxKinds int
	explore  float64

	// mu guards the fields below.
	mu    sync.Mutex
	kinds map[string]map[string]*history
	rand  *rand.Rand // nil means the runtime's source
}

// maxNamesPerKind bounds the strategy names tracked per step kind, so
// names that change from run to run, such as ones that carry screen
// coordinates, cannot grow a ranker without bound. It is four times the
// strategies of one step, because steps of one kind may differ.
const maxNamesPerKind = 4 * maxStrategies

// history is a ring of recent outcomes, one bit each, 1 for success.
type history struct {
	bits uint64
	n    int // outcomes recorded, at most the window
}

// NewRanker validates cfg and returns a ranker. The error names the first
// invalid field.
func NewRanker(cfg RankerConfig) (*Ranker, error) {
	switch {
	case cfg.Window < 0 || cfg.Window > 64:
		return nil, fmt.Errorf("strategy: RankerConfig.Window %d is outside [0, 64]", cfg.Window)
	case cfg.MaxKinds < 0:
		return nil, fmt.Errorf("strategy: RankerConfig.MaxKinds %d is negative", cfg.MaxKinds)
	case !(cfg.Explore >= 0 && cfg.Explore <= 1):
		return nil, fmt.Errorf("strategy: RankerConfig.Explore %v is outside [0, 1]", cfg.Explore)
	}
	r := &Ranker{window: cfg.Window, maxKinds: cfg.MaxKinds, explore: cfg.Explore,
		kinds: make(map[string]map[string]*history)}
	if r.window == 0 {
		r.window = 20
	}
	if r.maxKinds == 0 {
		r.maxKinds = 256
	}
	if cfg.Seed != 0 {
		r.rand = rand.New(rand.NewPCG(cfg.Seed, cfg.Seed))
	}
	return r, nil
}

// record adds an outcome of the strategy named name for steps of kind.
func (r *Ranker) record(kind, name string, success bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	byName, ok := r.kinds[kind]
	if !ok {
		if len(r.kinds) >= r.maxKinds {
			return
		}
		byName = make(map[string]*history)
		r.kinds[kind] = byName
	}
	h, ok := byName[name]
	if !ok {
		if len(byName) >= maxNamesPerKind {
			return
		}
		h = &history{}
		byName[name] = h
	}
	h.bits <<= 1
	if success {
		h.bits |= 1
	}
	if r.window < 64 {
		h.bits &= 1<<r.window - 1
	}
	h.n = min(h.n+1, r.window)
}

// score returns the smoothed success rate of h, one half for nil.
func (h *history) score() float64 {
	if h == nil {
		return 0.5
	}
	return float64(bits.OnesCount64(h.bits)+1) / float64(h.n+2)
}

// order returns the order in which to try the strategies of st, their
// names in that order, and whether it differs from the step's own order.
func (r *Ranker) order(st *Step) ([]int, []string, bool) {
	idx := make([]int, len(st.Strategies))
	scores := make([]float64, len(st.Strategies))
	for k := range idx {
		idx[k] = k
	}
	r.mu.Lock()
	keep := r.explore > 0 && r.draw() < r.explore
	byName := r.kinds[st.Kind]
	for k, s := range st.Strategies {
		scores[k] = byName[s.Name()].score()
	}
	r.mu.Unlock()

	if !keep {
		slices.SortStableFunc(idx, func(a, b int) int {
			switch {
			case scores[a] > scores[b]:
				return -1
			case scores[a] < scores[b]:
				return 1
			}
			return 0
		})
	}
	names := make([]string, len(idx))
	reranked := false
	for pos, k := range idx {
		names[pos] = st.Strategies[k].Name()
		reranked = reranked || k != pos
	}
	return idx, names, reranked
}

// draw returns a number in [0, 1) from the ranker's source. The caller
// holds mu.
func (r *Ranker) draw() float64 {
	if r.rand == nil {
		return rand.Float64()
	}
	return r.rand.Float64()
}
