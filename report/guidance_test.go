package report

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// immediateRetry matches guidance that asks the user to retry now, which
// contradicts a notice whose Retryable is false. "then try again" follows
// a change the user makes first, so it is allowed.
var immediateRetry = regexp.MustCompile(
	`(?i)\bretry\b|try again(\.| in a moment| now)|try the step again`)

func checkPermanentText(t *testing.T, code, text string) {
	t.Helper()
	if m := immediateRetry.FindString(strings.ReplaceAll(text, "then try again", "")); m != "" {
		t.Errorf("guidance for %s when not retryable = %q: %q asks for a retry that cannot help",
			code, text, m)
	}
}

func TestPermanentGuidanceAsksNoRetry(t *testing.T) {
	for code, a := range builtinGuidance {
		if a.final != "" {
			checkPermanentText(t, code, a.final)
		}
	}
	for _, status := range []string{"400", "401", "403", "404", "409", "501", "505"} {
		code := "ERR-HTTP" + status
		g, ok := httpGuidance(code, false)
		if !ok {
			t.Fatalf("httpGuidance(%q) found no guidance", code)
		}
		checkPermanentText(t, code, g)
	}
	checkPermanentText(t, "a code without an entry", fixGuidance)
}

func TestGuidanceNamesNoWait(t *testing.T) {
	for code, a := range builtinGuidance {
		for _, g := range []string{a.retry, a.final} {
			if strings.Contains(g, "minute") || strings.Contains(g, "second") {
				t.Errorf("guidance for %s = %q names a wait, which depends on the configuration", code, g)
			}
		}
	}
}

func TestGuidanceNamesNoApplication(t *testing.T) {
	for code, a := range builtinGuidance {
		for _, g := range []string{a.retry, a.final} {
			for _, word := range []string{"assistant", "other features"} {
				if strings.Contains(g, word) {
					t.Errorf("guidance for %s = %q assumes an application (%q)", code, g, word)
				}
			}
		}
	}
}

// TestDocTableMatchesGuidance checks that doc.go lists each code with the
// flags its guidance is written for.
func TestDocTableMatchesGuidance(t *testing.T) {
	src, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(src)
	for code, a := range builtinGuidance {
		rows := map[string]bool{
			"- " + code + ", retryable:":     a.retry != "",
			"- " + code + ", not retryable:": a.final != "",
		}
		for row, want := range rows {
			if strings.Contains(doc, row) != want {
				t.Errorf("doc.go has row %q: %v, want %v", row, !want, want)
			}
		}
	}
}
