package narrate_test

import (
	"os"

	"github.com/cowork-ai/resilience/examples/internal/narrate"
)

func ExampleNarrator() {
	n := narrate.New(os.Stdout, false)
	n.Failure("stt", "primary answered 429 rate_limit_exceeded")
	n.Recovery("stt", "retrying primary after the %s it asked for", "2s")
	n.Notice("stt", "ERR-QuotaExceeded", "The speech service account is out of credit.", false)
	n.Outcome(narrate.Row{Path: "stt", Failure: "primary rate-limited",
		Recovery: "waited 2s", Told: "nothing"})
	_ = n.WriteSummary(os.Stdout)
	// Output:
	// stt       FAILED   primary answered 429 rate_limit_exceeded
	// stt       RECOVERY retrying primary after the 2s it asked for
	// stt       USER SEES [ERR-QuotaExceeded, no retry] The speech service account is out of credit.
	// PATH  WHAT FAILED           WHAT RECOVERED IT  WHAT THE USER WAS TOLD
	// stt   primary rate-limited  waited 2s          nothing
}
