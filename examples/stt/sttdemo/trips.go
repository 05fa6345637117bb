package sttdemo

import (
	"context"
	"fmt"
	"strings"

	"github.com/cowork-ai/resilience/breaker"
)

// phraseKey is the context key under which speak stores the phrase being
// transcribed, so that the failures a breaker counts can name their
// command.
type phraseKey struct{}

// streak is the record of one provider's outcomes since its last success or
// state change, as its breaker counted them.
type streak struct {
	counted []outcome // the failures, in order
	ignored []outcome // neutral outcomes after the first failure
}

// outcome is one request to a provider, as the narration names it.
type outcome struct {
	phrase string
	reason string
}

// onOutcome keeps each provider's streak of consecutive failures, so that
// the narration of an opening can state the real count and its failures.
func (s *scenario) onOutcome(ctx context.Context, provider string, o breaker.Outcome,
	err error) {
	phrase, _ := ctx.Value(phraseKey{}).(string)
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.streak(provider)
	switch o {
	case breaker.OutcomeSuccess:
		*st = streak{}
	case breaker.OutcomeFailure:
		st.counted = append(st.counted, outcome{phrase, shortReason(err)})
	case breaker.OutcomeNeutral:
		if len(st.counted) > 0 {
			st.ignored = append(st.ignored, outcome{phrase, shortReason(err)})
		}
	}
}

// streak returns the provider's streak. The caller holds s.mu.
func (s *scenario) streak(provider string) *streak {
	st := s.streaks[provider]
	if st == nil {
		st = &streak{}
		s.streaks[provider] = st
	}
	return st
}

// resetStreak starts a provider's streak again, as its breaker resets its
// counts on every transition.
func (s *scenario) resetStreak(provider string) {
	s.mu.Lock()
	*s.streak(provider) = streak{}
	s.mu.Unlock()
}

// narrateOpened narrates the breakers that opened since the last call,
// with the failures that opened them. It runs once the attempt that
// tripped a breaker has been counted and narrated.
func (s *scenario) narrateOpened() {
	s.mu.Lock()
	opened := s.opened
	s.opened = nil
	streaks := make([]streak, len(opened))
	for i, c := range opened {
		st := s.streak(c.Name)
		streaks[i] = *st
		*st = streak{}
	}
	s.mu.Unlock()
	n := s.cfg.Narrator
	openFor := s.cfg.scaled(breaker.DefaultOpenTimeout)
	for i, c := range opened {
		st := streaks[i]
		if c.From == breaker.StateHalfOpen {
			n.Failure(path, "%s circuit opened again: the probe failed (%s); no calls for %s",
				c.Name, describeOutcomes(st.counted), openFor)
			continue
		}
		n.Failure(path, "%s circuit opened after %d consecutive failures: no calls for %s",
			c.Name, len(st.counted), openFor)
		n.Info(path, "the failures it counted: %s", describeOutcomes(st.counted))
		if len(st.ignored) > 0 {
			n.Info(path, "not counted, because the request was at fault: %s",
				describeOutcomes(st.ignored))
		}
	}
}

// describeOutcomes lists outcomes in order, grouping a run of the same
// reason for the same command: `503 service_unavailable on 4 attempts for
// "call Sam"`.
func describeOutcomes(outcomes []outcome) string {
	var parts []string
	for i := 0; i < len(outcomes); {
		j := i + 1
		for j < len(outcomes) && outcomes[j] == outcomes[i] {
			j++
		}
		o := outcomes[i]
		if j-i == 1 {
			parts = append(parts, fmt.Sprintf("%s for %q", o.reason, o.phrase))
		} else {
			parts = append(parts, fmt.Sprintf("%s on %d attempts for %q", o.reason, j-i, o.phrase))
		}
		i = j
	}
	return strings.Join(parts, ", then ")
}
