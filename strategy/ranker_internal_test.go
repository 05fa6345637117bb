package strategy

import (
	"context"
	"fmt"
	"slices"
	"testing"
)

func rankerStep(names ...string) *Step {
	st := &Step{Name: "click", Kind: "click"}
	for _, n := range names {
		st.Strategies = append(st.Strategies, Func(n, func(context.Context) error { return nil }))
	}
	return st
}

func TestRankerWindowForgetsOldOutcomes(t *testing.T) {
	rk, err := NewRanker(RankerConfig{Window: 2})
	if err != nil {
		t.Fatal(err)
	}
	st := rankerStep("vision", "ui")
	rk.record("click", "vision", false)
	rk.record("click", "vision", false)
	if _, names, _ := rk.order(st); !slices.Equal(names, []string{"ui", "vision"}) {
		t.Fatalf("order after two failures = %v, want ui first", names)
	}
	rk.record("click", "vision", true)
	rk.record("click", "vision", true)
	if _, names, _ := rk.order(st); !slices.Equal(names, []string{"vision", "ui"}) {
		t.Errorf("order after two successes = %v, want vision first again", names)
	}
}

func TestRankerMaxKinds(t *testing.T) {
	rk, err := NewRanker(RankerConfig{MaxKinds: 1})
	if err != nil {
		t.Fatal(err)
	}
	rk.record("click", "vision", false)
	rk.record("type", "vision", false)
	if len(rk.kinds) != 1 {
		t.Errorf("tracked %d kinds, want 1", len(rk.kinds))
	}
	st := rankerStep("vision", "ui")
	st.Kind = "type"
	if _, _, reranked := rk.order(st); reranked {
		t.Error("an untracked kind was reranked")
	}
}

func TestRankerSeedReproducible(t *testing.T) {
	orders := func() []bool {
		rk, err := NewRanker(RankerConfig{Explore: 0.5, Seed: 42})
		if err != nil {
			t.Fatal(err)
		}
		rk.record("click", "vision", false)
		st := rankerStep("vision", "ui")
		var out []bool
		for range 32 {
			_, _, reranked := rk.order(st)
			out = append(out, reranked)
		}
		return out
	}
	a, b := orders(), orders()
	if !slices.Equal(a, b) {
		t.Errorf("orders with the same seed differ:\n%v\n%v", a, b)
	}
	if !slices.Contains(a, true) || !slices.Contains(a, false) {
		t.Errorf("orders = %v, want both explored and ranked runs at Explore 0.5", a)
	}
}

func TestRankerBoundsNamesPerKind(t *testing.T) {
	rk, err := NewRanker(RankerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 * maxNamesPerKind {
		rk.record("click", fmt.Sprintf("coords(%d,%d)", i, i), true)
	}
	if n := len(rk.kinds["click"]); n != maxNamesPerKind {
		t.Errorf("tracked %d names for one kind, want %d", n, maxNamesPerKind)
	}
}
