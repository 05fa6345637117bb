package strategy_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/cowork-ai/resilience/strategy"
)

func TestRankerPromotesSuccessfulStrategy(t *testing.T) {
	rk, err := strategy.NewRanker(strategy.RankerConfig{Seed: 1})
	if err != nil {
		t.Fatalf("NewRanker: %v", err)
	}
	visionWorks := false
	vision := strategy.Func("vision", func(context.Context) error {
		if visionWorks {
			return nil
		}
		return errors.New("no match")
	})
	p := mustNew(t, strategy.Config{Ranker: rk}, strategy.Step{
		Name: "click send", Kind: "click", Strategies: []strategy.Strategy{vision, succeed("ui")},
	})

	res, err := p.Run(context.Background())
	if err != nil {
		t.Fatalf("first Run: %v", err)
	}
	first := res.Steps[0]
	if !slices.Equal(first.Order, []string{"vision", "ui"}) || first.Reranked {
		t.Errorf("first Order = %v reranked %v, want the step's order", first.Order, first.Reranked)
	}

	res, err = p.Run(context.Background())
	if err != nil {
		t.Fatalf("second Run: %v", err)
	}
	second := res.Steps[0]
	if !slices.Equal(second.Order, []string{"ui", "vision"}) || !second.Reranked {
		t.Errorf("second Order = %v reranked %v, want ui first", second.Order, second.Reranked)
	}
	if len(second.Attempts) != 1 || second.Winner != "ui" {
		t.Errorf("second run attempts = %+v, want ui alone", second.Attempts)
	}

	// Other kinds keep their own order.
	other := mustNew(t, strategy.Config{Ranker: rk}, strategy.Step{
		Name: "type", Strategies: []strategy.Strategy{vision, succeed("ui")},
	})
	res, _ = other.Run(context.Background())
	if got := res.Steps[0].Order; !slices.Equal(got, []string{"vision", "ui"}) {
		t.Errorf("other kind Order = %v, want the step's order", got)
	}
}

func TestRankerExploreKeepsOrder(t *testing.T) {
	rk, err := strategy.NewRanker(strategy.RankerConfig{Explore: 1})
	if err != nil {
		t.Fatalf("NewRanker: %v", err)
	}
	p := mustNew(t, strategy.Config{Ranker: rk}, strategy.Step{
		Name: "click", ReadOnly: true,
		Strategies: []strategy.Strategy{fail("vision", errors.New("no match")), succeed("ui")},
	})
	for range 3 {
		res, _ := p.Run(context.Background())
		if sr := res.Steps[0]; sr.Reranked || sr.Attempts[0].Strategy != "vision" {
			t.Fatalf("Order = %v, first attempt %s, want vision first every time",
				sr.Order, sr.Attempts[0].Strategy)
		}
	}
}

func TestNoRankerReportsNoOrder(t *testing.T) {
	p := mustNew(t, strategy.Config{}, strategy.Step{Name: "click", Strategies: []strategy.Strategy{succeed("ui")}})
	res, _ := p.Run(context.Background())
	if res.Steps[0].Order != nil {
		t.Errorf("Order = %v without a Ranker, want nil", res.Steps[0].Order)
	}
}
