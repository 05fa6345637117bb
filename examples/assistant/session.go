package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cowork-ai/resilience/examples/internal/narrate"
	"github.com/cowork-ai/resilience/examples/plan/plandemo"
	"github.com/cowork-ai/resilience/session"
)

// controlScope is the permission the plan needs.
var controlScope = session.Scope{Action: "screen.control"}

// grantTTL is how long the user's permission lasts before scaling: short
// enough to run out during the plan, so that the plan pauses for a
// re-grant.
const grantTTL = 20 * time.Second

func (a *assistant) scaled(d time.Duration) time.Duration {
	return time.Duration(float64(d) * a.opts.scale)
}

// sessionHooks feeds the metrics and narrates what a session manager does
// on its own: grants that end and the re-grant requests that follow, and
// its store changing state.
func (a *assistant) sessionHooks() session.Hooks {
	n := a.narrator
	h := a.metrics.m.SessionHooks()
	countEnd, countStore := h.OnEnd, h.OnStore
	h.OnEnd = func(e session.EndEvent) {
		countEnd(e)
		n.Failure("session", "the grant for %s ended: %s", e.Grant.Scope, e.Reason)
	}
	h.OnStore = func(e session.StoreEvent) {
		countStore(e)
		if e.Kind == session.StoreDegraded {
			n.Failure("session", "the grant store cannot write %s, so grants stay in memory: %s",
				filepath.Base(e.Path), describeFileError(e.Err))
		}
	}
	h.OnRegrant = func(r session.RegrantRequest) {
		n.Info("session", "the session manager requests a re-grant of %s (%s)",
			r.Scope, r.Reason)
	}
	return h
}

// runPlan runs the plan behind a permission grant: denied until the user
// grants it, paused when the grant expires until the user grants it again.
func (a *assistant) runPlan(ctx context.Context) error {
	n := a.narrator
	mgr, err := session.New(session.Config{
		Path:   filepath.Join(a.workDir, "session", "grants.json"),
		Hooks:  a.sessionHooks(),
		Logger: a.logger,
	})
	if err != nil {
		return err
	}
	defer mgr.Close()
	ttl := a.scaled(grantTTL)
	if err := a.requestGrant(ctx, mgr, ttl); err != nil {
		return err
	}

	_, err = plandemo.Run(ctx, plandemo.Config{
		Scale:     a.opts.scale,
		Narrator:  n,
		Logger:    a.logger,
		Reporter:  a.reporter,
		Authorize: func(ctx context.Context) error { return mgr.Ensure(ctx, controlScope) },
		Regrant: func(ctx context.Context, reason error) error {
			_, err := mgr.Grant(ctx, controlScope, ttl)
			if err == nil {
				n.Recovery("session", "the user granted %s again for %s", controlScope, ttl)
			}
			return err
		},
		OnEvent: a.metrics.m.StrategyHook("vision", "ui-automation", "coordinates"),
	})
	if err != nil {
		return err
	}
	n.Outcome(narrate.Row{Path: "session", Failure: "the plan had no permission, then it expired",
		Recovery: "asked the user; granted, paused at expiry, granted again, resumed",
		Told:     "grant permission (again)",
		Codes:    []string{"ERR-PermissionDenied", "ERR-SessionExpired"}})
	return nil
}

// requestGrant checks that the plan is denied before the user consents,
// tells the user, and records the user's grant for ttl.
func (a *assistant) requestGrant(ctx context.Context, mgr *session.Manager,
	ttl time.Duration) error {
	n := a.narrator
	err := mgr.Ensure(ctx, controlScope)
	if err == nil {
		return errors.New("a fresh session allowed screen control without a grant")
	}
	n.Failure("session", "the plan needs %s, which is not granted", controlScope)
	a.tell(ctx, err, "The assistant needs your permission to control the screen "+
		"for this task.")
	if _, err := mgr.Grant(ctx, controlScope, ttl); err != nil {
		return err
	}
	n.Recovery("session", "the user granted %s for %s; the plan starts", controlScope, ttl)
	return nil
}

// tell reports err to the user with message, and logs it.
func (a *assistant) tell(ctx context.Context, err error, message string) {
	notice := a.reporter.From(err)
	a.reporter.Log(ctx, a.logger, err, slog.String("path", "session"))
	a.narrator.Notice("session", notice.Code, message, notice.Retryable)
}

// runDegradedSession grants permission with the session directory
// read-only: the grant cannot be saved, so it lives in memory, and its
// expiry is still enforced.
func (a *assistant) runDegradedSession(ctx context.Context) error {
	n := a.narrator
	dir := filepath.Join(a.workDir, "readonly")
	how, err := makeReadOnly(dir)
	if err != nil {
		return err
	}
	defer os.Chmod(dir, 0o700)
	n.Info("session", "setup: the session directory %s is made unwritable (%s)",
		filepath.Base(dir), how)
	mgr, err := session.New(session.Config{
		Path:   filepath.Join(dir, "grants.json"),
		Hooks:  a.sessionHooks(),
		Logger: a.logger,
	})
	if err != nil {
		return err
	}
	defer mgr.Close()
	ttl := a.scaled(grantTTL)
	if err := a.grantInMemory(ctx, mgr, ttl); err != nil {
		return err
	}

	if err := sleep(ctx, ttl+ttl/10); err != nil {
		return err
	}
	err = mgr.Ensure(ctx, controlScope)
	if !errors.Is(err, session.ErrSessionExpired) {
		return fmt.Errorf("check after the grant's expiry in memory: got %v, want expired", err)
	}
	n.Recovery("session", "in memory the grant still expired on time: %v", err)
	n.Outcome(narrate.Row{Path: "session", Failure: "session directory not writable",
		Recovery: "grants kept in memory, expiry still enforced",
		Told:     "permissions cannot be saved", Codes: []string{"ERR-StoreDegraded"}})
	return nil
}

// grantInMemory grants the scope on a manager whose store cannot be
// written, checks that the grant holds in memory, and tells the user.
func (a *assistant) grantInMemory(ctx context.Context, mgr *session.Manager,
	ttl time.Duration) error {
	if _, err := mgr.Grant(ctx, controlScope, ttl); err != nil {
		return err
	}
	status := mgr.Status()
	if !status.Degraded {
		return errors.New("the grant was saved in a read-only directory")
	}
	a.narrator.Failure("session", "saving the grant failed: %s", describeFileError(status.Err))
	if err := mgr.Ensure(ctx, controlScope); err != nil {
		return fmt.Errorf("the grant held in memory was denied: %w", err)
	}
	a.narrator.Recovery("session", "kept the grant in memory: %s is allowed, and ends in %s",
		controlScope, ttl)
	a.tell(ctx, &degradedError{err: status.Err}, "Your permissions cannot be saved, so "+
		"they end when the assistant quits.")
	return nil
}

// describeFileError names the file behind a grant store error: a
// temporary file, which the store creates to replace a file atomically, is
// named after the file it replaces. Other errors are returned as they are.
func describeFileError(err error) string {
	var pathErr *fs.PathError
	if !errors.As(err, &pathErr) {
		return err.Error()
	}
	name := filepath.Base(pathErr.Path)
	if target, _, ok := strings.Cut(name, ".tmp-"); ok && strings.HasPrefix(target, ".") {
		name = "a temporary file to replace " + strings.TrimPrefix(target, ".")
	}
	return fmt.Sprintf("%s %s failed: %v", pathErr.Op, name, pathErr.Err)
}

// makeReadOnly creates dir with mode 0500 and returns how it did. Root
// ignores file modes, so for root it creates a regular file at dir
// instead, under which no file can be created either.
func makeReadOnly(dir string) (string, error) {
	if os.Geteuid() == 0 {
		return "running as root, which ignores file modes, so a regular file takes its place",
			os.WriteFile(dir, nil, 0o400)
	}
	return "mode 0500", os.Mkdir(dir, 0o500)
}

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

// degradedError reports a grant store that fell back to memory, with the
// code that package session gives that state.
type degradedError struct{ err error }

func (e *degradedError) Error() string {
	return "session: grants kept in memory only: " + e.err.Error()
}

func (e *degradedError) Code() string  { return session.ReasonStoreDegraded.Code() }
func (e *degradedError) Unwrap() error { return e.err }
