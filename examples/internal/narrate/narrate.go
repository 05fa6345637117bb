// Package narrate prints the account the examples give of what happened:
// each failure, each recovery action, each notice shown to the user, and a
// closing summary table. It writes human-readable lines or, for machines,
// one JSON object per event.
//
// A nil *Narrator discards everything, so scenario code can narrate
// unconditionally and tests can run it silently. A Narrator is safe for
// concurrent use, because hooks narrate from background goroutines.
package narrate

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"text/tabwriter"
	"time"
)

// Kind classifies an event.
type Kind string

const (
	// KindInfo is a step of the scenario that is neither a failure nor a
	// recovery.
	KindInfo Kind = "info"
	// KindFailure is something that went wrong.
	KindFailure Kind = "failure"
	// KindRecovery is an action taken because of a failure.
	KindRecovery Kind = "recovery"
	// KindNotice is what the user interface shows the user.
	KindNotice Kind = "notice"
)

// Event is one line of the account.
type Event struct {
	Time time.Time `json:"time"`
	Path string    `json:"path"` // the scenario: stt, websocket, plan, ...
	Kind Kind      `json:"kind"`
	Text string    `json:"text"`

	// Code and Retryable are a notice's stable code and whether retrying
	// can help. Every event has both fields, so that JSON lines share one
	// shape: "" and false on a notice that reports no failure and on
	// events of the other kinds.
	Code      string `json:"code"`
	Retryable bool   `json:"retryable"`
}

// Row is one line of the summary table.
type Row struct {
	Path     string `json:"path"`
	Failure  string `json:"failure"`  // what failed
	Recovery string `json:"recovery"` // the recovery action, or how it ended
	Told     string `json:"told"`     // the message the user saw, or "nothing: ..."

	// Codes are the codes of the notices the user saw, in order. JSON has
	// the field on every row, as [] when there were none.
	Codes []string `json:"codes"`
}

// Narrator writes events as they happen and keeps the summary rows.
type Narrator struct {
	// mu guards the fields below and serialises writes to w.
	mu     sync.Mutex
	w      io.Writer
	json   bool
	now    func() time.Time
	events []Event
	rows   []Row
}

// New returns a Narrator writing to w: readable lines, or JSON lines when
// jsonLines is true.
func New(w io.Writer, jsonLines bool) *Narrator {
	return &Narrator{w: w, json: jsonLines, now: time.Now}
}

// Info narrates a step of the scenario.
func (n *Narrator) Info(path, format string, args ...any) {
	n.emit(Event{Path: path, Kind: KindInfo, Text: fmt.Sprintf(format, args...)})
}

// Failure narrates something that went wrong.
func (n *Narrator) Failure(path, format string, args ...any) {
	n.emit(Event{Path: path, Kind: KindFailure, Text: fmt.Sprintf(format, args...)})
}

// Recovery narrates an action taken because of a failure.
func (n *Narrator) Recovery(path, format string, args ...any) {
	n.emit(Event{Path: path, Kind: KindRecovery, Text: fmt.Sprintf(format, args...)})
}

// Notice narrates what the user interface shows: a message with its
// stable code and whether retrying can help.
func (n *Narrator) Notice(path, code, message string, retryable bool) {
	n.emit(Event{Path: path, Kind: KindNotice, Text: message, Code: code, Retryable: retryable})
}

// Told narrates a message shown to the user that reports no failure, such
// as a recovery.
func (n *Narrator) Told(path, format string, args ...any) {
	n.emit(Event{Path: path, Kind: KindNotice, Text: fmt.Sprintf(format, args...)})
}

// Outcome records a row of the summary table. In JSON mode it is also
// written at once, as an event of kind "outcome".
func (n *Narrator) Outcome(r Row) {
	if n == nil {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if r.Codes == nil {
		r.Codes = []string{}
	}
	n.rows = append(n.rows, r)
	if n.json {
		_ = json.NewEncoder(n.w).Encode(struct {
			Time time.Time `json:"time"`
			Kind string    `json:"kind"`
			Row
		}{n.now().UTC(), "outcome", r})
	}
}

// Events returns a copy of the events narrated so far.
func (n *Narrator) Events() []Event {
	if n == nil {
		return nil
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]Event(nil), n.events...)
}

// Rows returns a copy of the summary rows recorded so far.
func (n *Narrator) Rows() []Row {
	if n == nil {
		return nil
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]Row(nil), n.rows...)
}

func (n *Narrator) emit(e Event) {
	if n == nil {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	e.Time = n.now().UTC()
	n.events = append(n.events, e)
	if n.json {
		_ = json.NewEncoder(n.w).Encode(e)
		return
	}
	fmt.Fprintf(n.w, "%-9s %s %s\n", e.Path, marker(e), oneLine(e.Text))
}

// marker returns the column that names the kind of line.
func marker(e Event) string {
	switch e.Kind {
	case KindFailure:
		return "FAILED  "
	case KindRecovery:
		return "RECOVERY"
	case KindNotice:
		if e.Code == "" {
			return "USER SEES"
		}
		retry := "no retry"
		if e.Retryable {
			retry = "retryable"
		}
		return fmt.Sprintf("USER SEES [%s, %s]", e.Code, retry)
	}
	return "        "
}

// oneLine keeps every event on one line, whatever the message contains.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// WriteSummary writes the summary table: one row per outcome, in the order
// recorded. In JSON mode it writes nothing, because the outcomes were
// already written as events.
func (n *Narrator) WriteSummary(w io.Writer) error {
	if n == nil || n.json {
		return nil
	}
	rows := n.Rows()
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PATH\tWHAT FAILED\tWHAT RECOVERED IT\tWHAT THE USER WAS TOLD")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n",
			r.Path, oneLine(r.Failure), oneLine(r.Recovery), oneLine(toldColumn(r)))
	}
	return tw.Flush()
}

// toldColumn returns the last column of a row: the codes, then the
// message.
func toldColumn(r Row) string {
	if len(r.Codes) == 0 {
		return r.Told
	}
	return strings.Join(r.Codes, ", then ") + ": " + r.Told
}
