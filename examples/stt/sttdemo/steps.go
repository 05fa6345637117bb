package sttdemo

import (
	"fmt"
	"time"

	"github.com/cowork-ai/resilience/breaker"
	"github.com/cowork-ai/resilience/examples/internal/narrate"
	"github.com/cowork-ai/resilience/examples/internal/standin"
)

// steps returns the voice commands of the scenario in order, each with the
// fault it meets and the summary row it produces.
func (s *scenario) steps() []step {
	timeout := s.timeout()
	told := func(c Command) string {
		if c.Notice == nil {
			return "nothing: the command ran"
		}
		return c.Told
	}
	return []step{{
		phrase: "open the quarterly report",
		queued: "and share it with Dana",
		before: func() {
			s.primary.Script(standin.Fault{Kind: standin.FaultRateLimit,
				RetryAfter: s.cfg.scaled(rateLimitWait)})
		},
		describe: func(cmds []Command) narrate.Row {
			c := cmds[0]
			return narrate.Row{Path: path,
				Failure: fmt.Sprintf("primary rate-limited (429, reset in %s)",
					s.cfg.scaled(rateLimitWait)),
				Recovery: fmt.Sprintf("%d commands queued for the delay, then %s transcribed them",
					len(cmds), c.Provider),
				Told: told(c), Codes: codes(c)}
		},
	}, {
		phrase: "what is on my calendar today",
		before: func() {
			s.primary.Script(standin.Fault{Kind: standin.FaultSlow, Delay: 3 * timeout})
		},
		describe: func(cmds []Command) narrate.Row {
			c := cmds[0]
			return narrate.Row{Path: path,
				Failure:  fmt.Sprintf("primary slower than the %s timeout", timeout),
				Recovery: c.Provider + " transcribed instead", Told: told(c), Codes: codes(c)}
		},
	}, {
		phrase:  "play some focus music",
		corrupt: true,
		describe: func(cmds []Command) narrate.Row {
			c := cmds[0]
			return narrate.Row{Path: path, Failure: "recording corrupt (400 invalid_audio)",
				Recovery: "none possible: not retried, not sent elsewhere", Told: told(c), Codes: codes(c)}
		},
	}, {
		phrase: "remind me to call Sam at three",
		before: func() { s.primary.SetOutage(true) },
		describe: func(cmds []Command) narrate.Row {
			c := cmds[0]
			return narrate.Row{Path: path, Failure: "primary down (503 on every request)",
				Recovery: fmt.Sprintf("retried with backoff until its circuit opened; %s transcribed",
					c.Provider), Told: told(c), Codes: codes(c)}
		},
	}, {
		phrase: "how long is my commute",
		describe: func(cmds []Command) narrate.Row {
			c := cmds[0]
			return narrate.Row{Path: path, Failure: "primary circuit open",
				Recovery: fmt.Sprintf("no request to primary; %s transcribed", c.Provider),
				Told:     told(c), Codes: codes(c)}
		},
	}, {
		phrase: "send the summary to the team",
		before: func() { s.fallback.Script(standin.Fault{Kind: standin.FaultQuota}) },
		describe: func(cmds []Command) narrate.Row {
			c := cmds[0]
			return narrate.Row{Path: path,
				Failure:  "fallback out of quota (429 insufficient_quota) while primary is open",
				Recovery: "none possible: quota errors are not retried", Told: told(c), Codes: codes(c)}
		},
	}, {
		phrase: "what is the weather tomorrow",
		before: func() { s.primary.SetOutage(false) },
		pause:  breaker.DefaultOpenTimeout + time.Second,
		describe: func(cmds []Command) narrate.Row {
			c := cmds[0]
			return narrate.Row{Path: path, Failure: "primary circuit still open after the outage",
				Recovery: fmt.Sprintf("after %s a probe reached primary and closed it; %s transcribed",
					s.cfg.scaled(breaker.DefaultOpenTimeout), c.Provider), Told: told(c), Codes: codes(c)}
		},
	}}
}

// codes returns the code of the command's notice, if it has one.
func codes(c Command) []string {
	if c.Notice == nil {
		return nil
	}
	return []string{c.Notice.Code}
}
