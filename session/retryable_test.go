package session_test

import (
	"fmt"
	"testing"

	"github.com/cowork-ai/resilience/internal/classify"
	"github.com/cowork-ai/resilience/session"
)

func TestDeniedErrorRetryable(t *testing.T) {
	for r := session.ReasonNotGranted; r <= session.ReasonInternal; r++ {
		if r == session.ReasonGranted {
			continue
		}
		err := fmt.Errorf("action: %w", &session.DeniedError{Scope: fileWrite, Reason: r})
		want := r == session.ReasonStoreDegraded
		if got := classify.Retryable(err); got != want {
			t.Errorf("Retryable for reason %v = %v, want %v", r, got, want)
		}
	}
}
