package redact_test

import (
	"strings"
	"testing"
	"time"

	"github.com/cowork-ai/resilience/redact"
)

// TestHugeInputsBounded feeds each detector's trigger repeated over 256 KiB.
// Work per byte is bounded, so each call finishes far inside the budget;
// a detector that rescans the input per trigger takes minutes.
func TestHugeInputsBounded(t *testing.T) {
	r, err := redact.New(redact.Config{Secrets: []string{"hunter2", "7f3k"}})
	if err != nil {
		t.Fatal(err)
	}
	patterns := []string{
		"password=", "a=", "a:", "x@", "https://a@", "%41", "QUJD", "hunter", "7f3",
		"-----BEGIN PRIVATE KEY-----", "token ", "deepgram", "Bearer ", "Basic ",
		"eyJabcdefghij.", `"password":"`, `{"a":`, "[", `\"`, `password: "`, "sk-",
		"Cookie: a=b;", "password={", "aGVsbG8gd29ybGQsIGhvdyBhcmUgeW91", "%7B%22",
	}
	const budget = 2 * time.Second
	for _, p := range patterns {
		in := strings.Repeat(p, (256<<10)/len(p))
		for name, f := range map[string]func(string){
			"String": func(s string) { r.String(s) },
			"JSON":   func(s string) { r.JSON([]byte(s)) },
			"URL":    func(s string) { r.URL(s) },
		} {
			start := time.Now()
			f(in)
			if d := time.Since(start); d > budget {
				t.Errorf("%s(%q repeated to 256 KiB) took %v, want under %v", name, p, d, budget)
			}
		}
	}
}
