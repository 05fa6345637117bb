package benchmarks

import (
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// naiveRules is the redactor many applications start with: one regular
// expression per secret format, each run over the whole line in turn.
var naiveRules = []*regexp.Regexp{
	regexp.MustCompile(`sk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}`),
	regexp.MustCompile(`AKIA[0-9A-Z]{16}`),
	regexp.MustCompile(`gh[pousr]_[A-Za-z0-9]{36}`),
	regexp.MustCompile(`xox[abpr]-[A-Za-z0-9-]{10,}`),
	regexp.MustCompile(`AIza[0-9A-Za-z_-]{35}`),
	regexp.MustCompile(`eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+`),
	regexp.MustCompile(`(?i)(password|passwd|secret|token|api_key)=[^&\s]+`),
	regexp.MustCompile(`://[^/\s:@]+:[^/\s@]+@`),
}

func naiveRedact(s string) string {
	for _, re := range naiveRules {
		s = re.ReplaceAllString(s, "[REDACTED]")
	}
	return s
}

// cleanLine is a 200-byte log line with nothing to redact.
const cleanLine = `time=2026-12-04T15:04:05Z level=INFO msg="transcription finished" provider=primary ` +
	`duration_ms=1834 words=212 language=en-US request_id=7f3c2a9e-41b2-4c55-9a1e-0d2b6f8e9c11 host=desktop-01 ok`

// dirtyLine is a log line of similar length with one API key in it.
const dirtyLine = `time=2026-12-04T15:04:05Z level=ERROR msg="provider rejected the request" ` +
	`provider=primary auth="Bearer sk-proj-Q3x9Lm2Vb7Rt5Yw1Zp8Kd4Hs6Jf0Ng2Cq" status=401 attempt=2`

const secretURL = "https://alice:hunter2-very-secret@stt.example.test/v1/listen?model=nova&language=en"

func BenchmarkRedactCleanLine(b *testing.B) {
	for _, r := range benchRedactors {
		b.Run("lib="+r.Name, func(b *testing.B) {
			b.SetBytes(int64(len(cleanLine)))
			b.ReportAllocs()
			for b.Loop() {
				if out := r.String(cleanLine); out != cleanLine {
					b.Fatalf("clean line changed: %q", out)
				}
			}
		})
	}
}

func BenchmarkRedactDirtyLine(b *testing.B) {
	for _, r := range benchRedactors {
		b.Run("lib="+r.Name, func(b *testing.B) {
			b.SetBytes(int64(len(dirtyLine)))
			b.ReportAllocs()
			for b.Loop() {
				if out := r.String(dirtyLine); strings.Contains(out, "sk-proj-") {
					b.Fatalf("secret left in %q", out)
				}
			}
		})
	}
}

func BenchmarkRedactURL(b *testing.B) {
	for _, r := range benchURLRedactors {
		b.Run("lib="+r.Name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if out := r.URL(secretURL); strings.Contains(out, "hunter2") {
					b.Fatalf("password left in %q", out)
				}
			}
		})
	}
}

type benchRedactor struct {
	Name   string
	String func(string) string
}

type benchURLRedactor struct {
	Name string
	URL  func(string) string
}

var peerBenchRedactors = []benchRedactor{
	{"naive-regexp", naiveRedact},
}

var peerBenchURLRedactors = []benchURLRedactor{
	{"url.Redacted", func(s string) string {
		u, err := url.Parse(s)
		if err != nil {
			return "[unparseable]"
		}
		return u.Redacted()
	}},
	{"naive-regexp", naiveRedact},
}
