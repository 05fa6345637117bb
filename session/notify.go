package session

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// notifier delivers re-grant requests and log records on a goroutine of
// its own, in order, so that neither a slow OnRegrant hook nor a slow log
// handler ever blocks a caller of the Manager.
type notifier struct {
	logger    *slog.Logger // nil means silent
	onRegrant func(RegrantRequest)
	signal    chan struct{} // capacity 1: the queue is not empty

	// mu guards the fields below it.
	mu      sync.Mutex
	queue   []notice
	pending map[Scope]bool // scopes with a re-grant request queued
}

// notice is one queued delivery: a re-grant request or a log record.
type notice struct {
	regrant *RegrantRequest
	record  *slog.Record
}

func newNotifier(logger *slog.Logger, onRegrant func(RegrantRequest)) *notifier {
	return &notifier{
		logger:    logger,
		onRegrant: onRegrant,
		signal:    make(chan struct{}, 1),
		pending:   make(map[Scope]bool),
	}
}

// regrant queues a request unless one for the same scope is still
// waiting.
func (n *notifier) regrant(req RegrantRequest) {
	if n.onRegrant == nil {
		return
	}
	n.mu.Lock()
	if n.pending[req.Scope] {
		n.mu.Unlock()
		return
	}
	n.pending[req.Scope] = true
	n.queue = append(n.queue, notice{regrant: &req})
	n.mu.Unlock()
	n.poke()
}

// log queues a record when a logger is set and enabled at level.
func (n *notifier) log(level slog.Level, msg string, attrs ...slog.Attr) {
	if n.logger == nil || !n.logger.Enabled(context.Background(), level) {
		return
	}
	r := slog.NewRecord(time.Now(), level, msg, 0)
	r.AddAttrs(attrs...)
	n.mu.Lock()
	n.queue = append(n.queue, notice{record: &r})
	n.mu.Unlock()
	n.poke()
}

func (n *notifier) poke() {
	select {
	case n.signal <- struct{}{}:
	default:
	}
}

// run delivers queued notices until done is closed. Notices still queued
// then are dropped.
func (n *notifier) run(done <-chan struct{}, wg *sync.WaitGroup) {
	defer wg.Done()
	for {
		select {
		case <-done:
			return
		case <-n.signal:
		}
		for {
			n.mu.Lock()
			if len(n.queue) == 0 {
				n.mu.Unlock()
				break
			}
			next := n.queue[0]
			n.queue[0] = notice{}
			n.queue = n.queue[1:]
			if next.regrant != nil {
				delete(n.pending, next.regrant.Scope)
			}
			n.mu.Unlock()
			n.deliver(next)
		}
	}
}

func (n *notifier) deliver(next notice) {
	if next.record != nil {
		_ = n.logger.Handler().Handle(context.Background(), *next.record)
		return
	}
	if p := callHook(n.onRegrant, *next.regrant); p != nil && n.logger != nil {
		n.logger.Error("OnRegrant hook panicked", "event", "hook_panic", "panic", p)
	}
}
