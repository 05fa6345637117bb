package redact_test

import (
	"context"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cowork-ai/resilience/redact"
)

// cleanLine is a 200-byte log line with no secret: a timestamp, key=value
// pairs, a UUID, a path with a query and a commit hash.
var cleanLine = func() string {
	s := `time=2026-01-02T15:04:05.123Z level=INFO msg="request served" ` +
		`id=550e8400-e29b-41d4-a716-446655440000 path=/v1/items?page=2 status=200 ` +
		`commit=3f786850e387550fdab836ed7e6dc881de23001b dur=12ms`
	return s + strings.Repeat(" ", 200-len(s))
}()

var secretLine = strings.Replace(cleanLine, "status=200", "key="+openAIKey, 1)[:200]

var sink string

func BenchmarkStringClean(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(cleanLine)))
	for b.Loop() {
		sink = redact.String(cleanLine)
	}
	if sink != cleanLine {
		b.Fatalf("String changed the clean line: %q", sink)
	}
}

func BenchmarkStringCleanParallel(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(cleanLine)))
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			_ = redact.String(cleanLine)
		}
	})
}

func BenchmarkStringOneSecret(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(secretLine)))
	for b.Loop() {
		sink = redact.String(secretLine)
	}
	if strings.Contains(sink, openAIKey) {
		b.Fatalf("String leaked the key: %q", sink)
	}
}

func BenchmarkStringRegisteredSecrets(b *testing.B) {
	r, err := redact.New(redact.Config{Secrets: []string{"hunter2", "s3cr3t-v4lu3", "pw-0042"}})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(cleanLine)))
	for b.Loop() {
		sink = r.String(cleanLine)
	}
}

// naiveRules is a redactor made the common way, one regular expression per
// rule applied in turn, for comparison.
var naiveRules = []*regexp.Regexp{
	regexp.MustCompile(`sk-ant-[A-Za-z0-9_-]{20,}`),
	regexp.MustCompile(`sk-(?:proj-)?[A-Za-z0-9_-]{20,}`),
	regexp.MustCompile(`AIza[A-Za-z0-9_-]{35}`),
	regexp.MustCompile(`hf_[A-Za-z0-9]{30,}`),
	regexp.MustCompile(`gh[pousr]_[A-Za-z0-9]{36,}`),
	regexp.MustCompile(`github_pat_[A-Za-z0-9_]{50,}`),
	regexp.MustCompile(`glpat-[A-Za-z0-9_-]{20,}`),
	regexp.MustCompile(`xox[abposre]-[A-Za-z0-9-]{10,}`),
	regexp.MustCompile(`A(?:KIA|SIA)[A-Z0-9]{16}`),
	regexp.MustCompile(`[sr]k_(?:live|test)_[A-Za-z0-9]{16,}`),
	regexp.MustCompile(`eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*`),
	regexp.MustCompile(`(?i)(password|passwd|secret|token|api_?key)=[^\s&]+`),
	regexp.MustCompile(`://[^:/@\s]+:[^@\s]+@`),
	regexp.MustCompile(`(?i)bearer\s+[A-Za-z0-9._~+/=-]+`),
}

func naiveRedact(s string) string {
	for _, re := range naiveRules {
		s = re.ReplaceAllString(s, "[REDACTED]")
	}
	return s
}

func BenchmarkNaiveRegexpClean(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(cleanLine)))
	for b.Loop() {
		sink = naiveRedact(cleanLine)
	}
}

func BenchmarkNaiveRegexpOneSecret(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(secretLine)))
	for b.Loop() {
		sink = naiveRedact(secretLine)
	}
}

// logClean logs a record with a message and six attributes of the common
// kinds, none secret.
func logClean(l *slog.Logger) {
	l.LogAttrs(context.Background(), slog.LevelInfo, "request served",
		slog.String("method", "GET"), slog.String("path", "/v1/items"),
		slog.Int("status", 200), slog.Duration("dur", 12*time.Millisecond),
		slog.Bool("cached", false), slog.String("id", "550e8400-e29b-41d4-a716-446655440000"))
}

func BenchmarkHandlerClean(b *testing.B) {
	l := slog.New(redact.NewHandler(slog.NewJSONHandler(io.Discard, nil)))
	b.ReportAllocs()
	for b.Loop() {
		logClean(l)
	}
}

func BenchmarkJSONHandlerAloneClean(b *testing.B) {
	l := slog.New(slog.NewJSONHandler(io.Discard, nil))
	b.ReportAllocs()
	for b.Loop() {
		logClean(l)
	}
}

func BenchmarkHandlerCleanParallel(b *testing.B) {
	l := slog.New(redact.NewHandler(slog.NewJSONHandler(io.Discard, nil)))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			logClean(l)
		}
	})
}

func BenchmarkHandlerWithSecret(b *testing.B) {
	l := slog.New(redact.NewHandler(slog.NewJSONHandler(io.Discard, nil)))
	b.ReportAllocs()
	for b.Loop() {
		l.Info("call failed", "err", io.ErrUnexpectedEOF, "url", "https://u:pw@h/?api_key=k1",
			"password", "hunter2")
	}
}

// BenchmarkHandlerOverhead alternates batches of records through a bare
// JSON handler and through a redacting one over the same JSON handler, so
// that both see the same machine load, and reports the time ratio.
func BenchmarkHandlerOverhead(b *testing.B) {
	bare := slog.New(slog.NewJSONHandler(io.Discard, nil))
	wrapped := slog.New(redact.NewHandler(slog.NewJSONHandler(io.Discard, nil)))
	const batch = 64
	var tBare, tWrapped time.Duration
	b.ReportAllocs()
	for b.Loop() {
		start := time.Now()
		for range batch {
			logClean(bare)
		}
		mid := time.Now()
		for range batch {
			logClean(wrapped)
		}
		tBare += mid.Sub(start)
		tWrapped += time.Since(mid)
	}
	b.ReportMetric(float64(tWrapped)/float64(tBare), "x-bare")
	b.ReportMetric(float64(tWrapped)/float64(b.N*batch), "wrapped-ns/record")
	b.ReportMetric(float64(tBare)/float64(b.N*batch), "bare-ns/record")
}
