package session_test

import (
	"context"
	"log/slog"
	"sync"
)

func slogNew(h slog.Handler) *slog.Logger { return slog.New(h) }

// captureHandler records the "event" attribute of every Error record.
type captureHandler struct {
	mu     sync.Mutex
	errors []string
}

func (h *captureHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *captureHandler) Handle(_ context.Context, r slog.Record) error {
	if r.Level < slog.LevelError {
		return nil
	}
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "event" {
			h.mu.Lock()
			h.errors = append(h.errors, a.Value.String())
			h.mu.Unlock()
		}
		return true
	})
	return nil
}

func (h *captureHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *captureHandler) WithGroup(string) slog.Handler      { return h }

func (h *captureHandler) events() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.errors...)
}

func (h *captureHandler) has(event string) bool {
	for _, e := range h.events() {
		if e == event {
			return true
		}
	}
	return false
}
