package plandemo

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/cowork-ai/resilience/strategy"
)

// Desktop is a fake of the user's desktop: windows that open and close,
// and the text fields of the document shown in them. The fake strategies
// act on it, and the scenario closes a window under them. It is safe for
// concurrent use, because an abandoned strategy may still be running.
type Desktop struct {
	// mu guards the fields below.
	mu     sync.Mutex
	open   map[string]bool
	fields map[string]string
	files  map[string]bool

	// closeAfterWords, when positive, closes typingWindow once that many
	// words have been typed into it, as a user closing it would.
	closeAfterWords int
	typingWindow    string
}

// NewDesktop returns a desktop with no window open.
func NewDesktop() *Desktop {
	return &Desktop{
		open:   make(map[string]bool),
		fields: make(map[string]string),
		files:  make(map[string]bool),
	}
}

// errWindowClosed is the error of the fake UI APIs for a closed window.
var errWindowClosed = errors.New("window is not open")

// OpenWindow opens the named window.
func (d *Desktop) OpenWindow(name string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.open[name] = true
}

// CloseWindow closes the named window.
func (d *Desktop) CloseWindow(name string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.open[name] = false
}

// WindowOpen reports whether the named window is open.
func (d *Desktop) WindowOpen(name string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.open[name]
}

// Field returns the text of a field.
func (d *Desktop) Field(name string) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.fields[name]
}

// FileExists reports whether a strategy created the named file.
func (d *Desktop) FileExists(name string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.files[name]
}

// closeWhileTyping arranges for window to close after words words have
// been typed into it.
func (d *Desktop) closeWhileTyping(window string, words int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.typingWindow, d.closeAfterWords = window, words
}

// typeWord appends one word to a field of window, closing the window first
// when the scripted close is due.
func (d *Desktop) typeWord(window, field, word string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closeAfterWords > 0 && window == d.typingWindow {
		d.closeAfterWords--
		if d.closeAfterWords == 0 {
			d.open[window] = false
		}
	}
	if !d.open[window] {
		return fmt.Errorf("type into %s: %w", window, errWindowClosed)
	}
	if d.fields[field] != "" {
		word = " " + word
	}
	d.fields[field] += word
	return nil
}

func (d *Desktop) setField(field, text string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.fields[field] = text
}

func (d *Desktop) removeFile(name string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.files, name)
}

// typer is the UI automation strategy that types text into a field word by
// word, the way an accessibility API sends keystrokes. It verifies the
// field afterwards, and reports a closed window as an environment change so
// that the plan pauses instead of trying a blind strategy on a missing
// window.
type typer struct {
	desktop       *Desktop
	window, field string
	text          string
	perWord       time.Duration
}

func (t *typer) Name() string { return "ui-automation" }

func (t *typer) Execute(ctx context.Context) error {
	t.desktop.setField(t.field, "")
	for word := range strings.FieldsSeq(t.text) {
		if err := sleep(ctx, t.perWord); err != nil {
			return err
		}
		err := t.desktop.typeWord(t.window, t.field, word)
		if errors.Is(err, errWindowClosed) {
			return strategy.EnvironmentChanged("the " + t.window + " window closed")
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (t *typer) Verify(context.Context) error {
	if got := t.desktop.Field(t.field); got != t.text {
		return fmt.Errorf("field %s contains %q, want %q", t.field, got, t.text)
	}
	return nil
}

// clicker is the screen-coordinates strategy: it clicks where a control
// used to be, which reports success whatever was hit, so only its Verify
// can tell whether the click did anything.
type clicker struct {
	verify func(context.Context) error
}

func (c *clicker) Name() string                     { return "coordinates" }
func (c *clicker) Execute(context.Context) error    { return nil }
func (c *clicker) Verify(ctx context.Context) error { return c.verify(ctx) }
func (c *clicker) SafeToOverlap() bool              { return true }

var _ strategy.Verifier = (*clicker)(nil)

// sleep waits for d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}
