package wsreconnect_test

import (
	"fmt"
	"testing"

	"github.com/cowork-ai/resilience/internal/classify"
	"github.com/cowork-ai/resilience/wsreconnect"
)

func TestErrorsRetryable(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{wsreconnect.ErrClosed, false},
		{wsreconnect.ErrNotConnected, true},
		{wsreconnect.ErrQueueFull, true},
		{wsreconnect.ErrDropped, true},
		{wsreconnect.ErrTooLarge, false},
		{wsreconnect.ErrExpired, true},
		{wsreconnect.ErrWriteFailed, true},
		{wsreconnect.ErrInvalidMessage, false},
		{wsreconnect.ErrGaveUp, true},
		{wsreconnect.ErrHandshakeRejected, false},
		{wsreconnect.ErrTerminalClose, false},
	}
	for _, tt := range tests {
		if got := classify.Retryable(fmt.Errorf("send: %w", tt.err)); got != tt.want {
			t.Errorf("Retryable(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
	stopped := &wsreconnect.Error{Sentinel: wsreconnect.ErrTerminalClose}
	if classify.Retryable(stopped) {
		t.Errorf("Retryable(%v) = true, want false from its sentinel", stopped)
	}
}
