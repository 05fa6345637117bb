package report

import (
	"context"
	"log/slog"
	"runtime"
	"time"

	"github.com/cowork-ai/resilience/redact"
)

// logSuffix follows the code in the message of a record that Log writes.
const logSuffix = ": operation failed"

// Log logs err through logger as a zero Reporter does.
func Log(ctx context.Context, logger *slog.Logger, err error, attrs ...slog.Attr) {
	(&Reporter{}).log(ctx, logger, err, attrs)
}

// Log logs err at level Error through logger, wrapped in a handler that
// redacts with rp.Redactor. A logger whose handler is a *redact.Handler is
// not wrapped again when rp.Redactor is nil. The record's message is short
// and fixed for a code ("ERR-Timeout: operation failed"), so records group
// by code. Its attributes are "code", "retryable", "err" (the error text,
// redacted by the handler, written once) and then attrs. The record's
// source is the caller of Log. A nil logger or a nil err logs nothing.
func (rp *Reporter) Log(ctx context.Context, logger *slog.Logger, err error, attrs ...slog.Attr) {
	rp.log(ctx, logger, err, attrs)
}

func (rp *Reporter) log(ctx context.Context, logger *slog.Logger, err error, attrs []slog.Attr) {
	if logger == nil || err == nil {
		return
	}
	if ctx == nil {
		ctx = context.Background()
	}
	h := logger.Handler()
	if !h.Enabled(ctx, slog.LevelError) {
		return
	}
	if _, ok := h.(*redact.Handler); !ok || rp.Redactor != nil {
		// A redacting logger may use a Redactor that lacks the secrets
		// registered in rp.Redactor, so that one redacts the record too.
		h = rp.redactor().NewHandler(h)
	}
	code := CodeOf(err)
	var pcs [1]uintptr
	runtime.Callers(3, pcs[:]) // skip Callers, log and Log
	rec := slog.NewRecord(time.Now(), slog.LevelError, code+logSuffix, pcs[0])
	rec.AddAttrs(slog.String("code", code), slog.Bool("retryable", retryableOf(err)),
		slog.Any("err", err))
	rec.AddAttrs(attrs...)
	_ = h.Handle(ctx, rec) // a logging failure has nowhere to be reported
}
