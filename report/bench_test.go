package report_test

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/cowork-ai/resilience/report"
)

var benchErr = &codedError{code: "ERR-PermissionDenied",
	msg: `session: permission denied for screen.control: Get "http://h/?token=x": EOF`}

func BenchmarkFrom(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = report.From(benchErr)
	}
}

func BenchmarkLog(b *testing.B) {
	logger := slog.New(slog.NewJSONHandler(io.Discard, nil))
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		report.Log(ctx, logger, benchErr)
	}
}
