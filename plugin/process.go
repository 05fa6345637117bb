package plugin

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"reflect"
	"sync"
	"sync/atomic"
	"time"
)

// Process is a running plugin started by [Plugin.Start]. It speaks a
// line-delimited JSON protocol: each request is one line on the process's
// standard input and each reply one line on its standard output.
//
// Call is safe for concurrent use, but calls are serialised because the
// protocol has one request in flight at a time. Close may be called at any
// time from any goroutine.
type Process struct {
	plugin *Plugin
	cmd    *exec.Cmd
	pid    int
	start  time.Time
	work   string

	stdin           *os.File
	stdout, stderrR *os.File
	replies         chan []byte
	stderr          *tailBuffer
	readersDone     sync.WaitGroup

	// turn holds one token. A Call takes it before sending its request
	// and returns it after the reply, so calls are serialised and a
	// waiting Call can still give up when its context ends.
	turn chan struct{}

	// sent counts the requests written and delivered the reply lines
	// handed to Call, so that finish can tell a process that exited while
	// a request waited for its reply.
	sent, delivered atomic.Int64

	// stopOnce records the first reason to stop in cause and stopErr, and
	// closes stopped. Fields written inside it are read only after it.
	stopOnce sync.Once
	cause    stopCause
	stopErr  error
	stopped  chan struct{}

	// done is closed when the process group is gone and the pipes are
	// closed; the fields below it are written before that.
	done   chan struct{}
	event  RunEvent
	runErr error
}

var errExitedBeforeReply = errors.New("process exited before replying")

type stopCause int

const (
	causeExited stopCause = iota + 1
	causeClose
	causeTimeout
	causeCanceled
	causeMalformed
)

// Start runs the plugin's entry point from the verified copy, after
// [Plugin.Preflight]. The process runs in its own process group, in a
// fresh private working directory, with only the allowlisted environment
// and the configured resource limits. It lives until Close, until ctx is
// done, or until it exits. When ctx is done the process group gets
// SIGTERM and, after Config.Grace, SIGKILL. Close the process when it is
// no longer needed, because its supervising goroutines run as long as
// it does.
//
// A missing dependency, found by the preflight or when the entry point
// fails to start, is a *MissingDependencyError. Any other start failure
// is a *RunError with OutcomeStartFailed.
func (p *Plugin) Start(ctx context.Context) (*Process, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	begin := time.Now()
	if err := p.Preflight(); err != nil {
		p.loader.emitRun(p.startFailed(err, begin))
		return nil, err
	}
	pr, err := p.launch()
	if err != nil {
		p.loader.emitRun(p.startFailed(err, begin))
		return nil, err
	}
	pr.start = begin
	pr.readersDone.Add(2)
	go pr.readReplies()
	go pr.readStderr()
	go pr.supervise(ctx)
	return pr, nil
}

func (p *Plugin) startFailed(err error, begin time.Time) RunEvent {
	return RunEvent{
		Plugin: p.manifest.ID, Version: p.manifest.Version, Outcome: OutcomeStartFailed,
		ExitCode: -1, Err: err, Duration: time.Since(begin),
	}
}

// launch creates the pipes and the working directory and starts the
// process.
func (p *Plugin) launch() (*Process, error) {
	work, err := os.MkdirTemp(p.private, "run-*")
	if err != nil {
		return nil, p.runError(OutcomeStartFailed, err)
	}
	pp, err := newPipes()
	if err != nil {
		os.RemoveAll(work)
		return nil, p.runError(OutcomeStartFailed, err)
	}
	newCmd := func() *exec.Cmd {
		return &exec.Cmd{
			Path: p.entry, Args: []string{p.entry}, Env: p.loader.environ(work), Dir: work,
			Stdin: pp.stdinR, Stdout: pp.stdoutW, Stderr: pp.stderrW,
		}
	}
	cmd, err := startProcess(newCmd, p.loader.cfg.Limits)
	pp.closeChildEnds()
	if err != nil {
		pp.closeParentEnds()
		os.RemoveAll(work)
		if deps := p.dependencyError(err); deps != nil {
			return nil, deps
		}
		return nil, p.runError(OutcomeStartFailed, err)
	}
	cfg := p.loader.cfg
	return &Process{
		plugin: p, cmd: cmd, pid: cmd.Process.Pid, work: work,
		stdin: pp.stdinW, stdout: pp.stdoutR, stderrR: pp.stderrR,
		replies: make(chan []byte, 1),
		turn:    make(chan struct{}, 1),
		stderr:  newTailBuffer(orDefault(cfg.MaxStderrBytes, DefaultMaxStderrBytes)),
		stopped: make(chan struct{}),
		done:    make(chan struct{}),
	}, nil
}

// pipes are the standard streams of a process. The child's ends are
// closed in the host once the child has them.
type pipes struct {
	stdinR, stdinW   *os.File
	stdoutR, stdoutW *os.File
	stderrR, stderrW *os.File
}

func newPipes() (*pipes, error) {
	var pp pipes
	for _, ends := range [][2]**os.File{
		{&pp.stdinR, &pp.stdinW}, {&pp.stdoutR, &pp.stdoutW}, {&pp.stderrR, &pp.stderrW},
	} {
		r, w, err := os.Pipe()
		if err != nil {
			pp.closeChildEnds()
			pp.closeParentEnds()
			return nil, err
		}
		*ends[0], *ends[1] = r, w
	}
	return &pp, nil
}

func (pp *pipes) closeChildEnds() { closeFiles(pp.stdinR, pp.stdoutW, pp.stderrW) }

func (pp *pipes) closeParentEnds() { closeFiles(pp.stdinW, pp.stdoutR, pp.stderrR) }

func closeFiles(files ...*os.File) {
	for _, f := range files {
		if f != nil {
			f.Close()
		}
	}
}

func (p *Plugin) runError(o Outcome, err error) *RunError {
	return &RunError{Plugin: p.manifest.ID, Outcome: o, ExitCode: -1, Err: err}
}

// Pid returns the process id, which is also the process group id.
func (pr *Process) Pid() int { return pr.pid }

// Stderr returns the last Config.MaxStderrBytes bytes the process wrote
// to standard error. The text comes from the plugin and is not redacted:
// pass it through a redactor before logging or showing it.
func (pr *Process) Stderr() []byte { return pr.stderr.Bytes() }

// Done returns a channel that is closed when the process group is gone.
func (pr *Process) Done() <-chan struct{} { return pr.done }

// Call sends req as one JSON line and decodes the reply line into resp,
// which may be nil to discard it and is otherwise a non-nil pointer: for
// any other resp, Call sends nothing and returns an error. If ctx is
// done before the reply, the process group is stopped, because a late
// reply would be read as the reply to the next request. The error is then
// a *RunError with OutcomeTimeout or OutcomeCanceled. A reply that does
// not decode into resp, or output sent before the request, stops the
// process too. A Call after Close returns ErrClosed. A Call whose
// context ends while it waits for an earlier call returns the context's
// error and stops nothing.
//
// NOTE: requests carry no id, so a second reply to one request that
// arrives only after the next request was sent is taken as that
// request's reply.
func (pr *Process) Call(ctx context.Context, req, resp any) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if resp != nil {
		if v := reflect.ValueOf(resp); v.Kind() != reflect.Pointer || v.IsNil() {
			return fmt.Errorf("plugin: Call: resp must be nil or a non-nil pointer, not %T", resp)
		}
	}
	line, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("plugin: encode request: %w", err)
	}
	select {
	case pr.turn <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-pr.turn }()
	// A context that ended while this call waited for its turn stops
	// nothing, because no request was sent.
	if err := ctx.Err(); err != nil {
		return err
	}

	select {
	case <-pr.stopped:
		return pr.wait()
	case _, ok := <-pr.replies:
		if !ok {
			return pr.pipeClosed("output")
		}
		// A line that arrived before the request cannot be its reply.
		pr.terminate(causeMalformed, errors.New("output that no request asked for"))
		return pr.wait()
	default:
	}
	stop := context.AfterFunc(ctx, func() { pr.terminate(contextCause(ctx), context.Cause(ctx)) })
	defer stop()
	pr.sent.Add(1)
	if _, err := pr.stdin.Write(append(line, '\n')); err != nil {
		return pr.pipeClosed("input")
	}
	reply, ok := <-pr.replies
	if !ok {
		return pr.pipeClosed("output")
	}
	if resp == nil {
		if !json.Valid(reply) {
			err = errors.New("reply is not valid JSON")
		}
	} else {
		err = json.Unmarshal(reply, resp)
	}
	if err != nil {
		pr.terminate(causeMalformed, err)
		return pr.wait()
	}
	return nil
}

func contextCause(ctx context.Context) stopCause {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return causeTimeout
	}
	return causeCanceled
}

// pipeClosed waits for the process after the standard stream named by
// stream ("input" or "output") was found closed. A process that closed one of them
// but keeps running cannot take part in the protocol, so it is stopped
// after the grace period instead of being waited for.
func (pr *Process) pipeClosed(stream string) error {
	t := time.NewTimer(pr.plugin.loader.grace())
	defer t.Stop()
	select {
	case <-pr.done:
	case <-t.C:
		pr.terminate(causeMalformed, fmt.Errorf("standard %s closed while the process runs", stream))
	}
	return pr.wait()
}

// wait blocks until the process is gone and returns the error a call
// reports for it.
func (pr *Process) wait() error {
	<-pr.done
	switch {
	case pr.runErr != nil:
		return pr.runErr
	case pr.cause == causeClose:
		return ErrClosed
	}
	return &RunError{
		Plugin: pr.plugin.manifest.ID, Outcome: OutcomeCrashed, ExitCode: pr.event.ExitCode,
		Err: errExitedBeforeReply,
	}
}

// Close stops the process: its standard input is closed, the process
// group gets SIGTERM and, after Config.Grace, SIGKILL. Close returns when
// the group is gone and the pipes are closed. It returns nil if the
// process ended cleanly or because of Close, and the *RunError of an
// earlier crash, timeout or malformed reply otherwise. Close is
// idempotent.
func (pr *Process) Close() error {
	pr.terminate(causeClose, nil)
	<-pr.done
	return pr.runErr
}

// terminate records the first reason to stop and wakes the supervisor.
func (pr *Process) terminate(cause stopCause, err error) {
	pr.stopOnce.Do(func() {
		pr.cause = cause
		pr.stopErr = err
		close(pr.stopped)
	})
}

// supervise owns the process from start to end. It runs on its own
// goroutine and is the only caller of OnRun for a started process.
func (pr *Process) supervise(ctx context.Context) {
	exited := make(chan struct{})
	go func() {
		// The error is read from ProcessState instead.
		_ = pr.cmd.Wait()
		close(exited)
	}()
	stopCtx := context.AfterFunc(ctx, func() { pr.terminate(contextCause(ctx), context.Cause(ctx)) })
	defer stopCtx()
	grace := pr.plugin.loader.grace()
	killed := false
	select {
	case <-exited:
		pr.terminate(causeExited, nil)
	case <-pr.stopped:
		pr.stdin.Close()
		signalGroup(pr.pid, sigTerm)
		killed = waitOrKill(exited, pr.pid, grace)
	}
	// The leader is gone. Anything left in its group may hold the output
	// pipes open, so it is killed without a grace period.
	signalGroup(pr.pid, sigKill)
	pr.stdin.Close()
	pr.drain(grace)
	pr.finish(killed)
}

// waitOrKill waits for exited for up to grace, then kills the group and
// waits again. It reports whether SIGKILL was needed.
func waitOrKill(exited <-chan struct{}, pgid int, grace time.Duration) bool {
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-exited:
		return false
	case <-t.C:
		signalGroup(pgid, sigKill)
		<-exited
		return true
	}
}

// drain waits for the output readers to reach end of file. A descendant
// that left the process group can keep a pipe open; after grace the read
// ends are closed, which ends the readers.
func (pr *Process) drain(grace time.Duration) {
	readers := make(chan struct{})
	go func() {
		pr.readersDone.Wait()
		close(readers)
	}()
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-readers:
	case <-t.C:
	}
	pr.stdout.Close()
	pr.stderrR.Close()
	<-readers
}

// finish classifies the outcome, removes the working directory, logs,
// calls OnRun and closes done.
func (pr *Process) finish(killed bool) {
	l := pr.plugin.loader
	m := pr.plugin.manifest
	code, sig := exitStatus(pr.cmd.ProcessState)
	ev := RunEvent{
		Plugin: m.ID, Version: m.Version, ExitCode: code, Killed: killed,
		Outcome: pr.outcome(code), Duration: time.Since(pr.start),
	}
	if pr.cause == causeExited && pr.sent.Load() > pr.delivered.Load() {
		ev.Outcome = OutcomeCrashed
		pr.stopErr = errExitedBeforeReply
	}
	if ev.Outcome != OutcomeOK {
		pr.runErr = &RunError{Plugin: m.ID, Outcome: ev.Outcome, ExitCode: code, Signal: sig, Err: pr.stopErr}
		ev.Err = pr.runErr
	}
	pr.event = ev
	os.RemoveAll(pr.work)
	if l.cfg.Logger != nil {
		level := slog.LevelDebug
		if ev.Outcome != OutcomeOK {
			level = slog.LevelWarn
		}
		l.cfg.Logger.LogAttrs(context.Background(), level, "plugin process ended",
			slog.String("plugin", m.ID), slog.String("version", m.Version),
			slog.String("outcome", ev.Outcome.String()), slog.Int("exit_code", code),
			slog.Bool("killed", killed), slog.Duration("duration", ev.Duration))
	}
	l.emitRun(ev)
	close(pr.done)
}

func (pr *Process) outcome(code int) Outcome {
	switch pr.cause {
	case causeClose:
		return OutcomeOK
	case causeTimeout:
		return OutcomeTimeout
	case causeCanceled:
		return OutcomeCanceled
	case causeMalformed:
		return OutcomeMalformed
	}
	if code == 0 {
		return OutcomeOK
	}
	return OutcomeCrashed
}

func (l *Loader) emitRun(ev RunEvent) {
	if l.cfg.OnRun != nil {
		l.cfg.OnRun(ev)
	}
}

// readReplies delivers each stdout line to Call. A line over the size
// limit, or a line while an earlier one is still unread, is a protocol
// violation that stops the process. The rest of the output is then
// discarded, so the plugin never blocks on a full pipe.
func (pr *Process) readReplies() {
	defer pr.readersDone.Done()
	defer close(pr.replies)
	max := orDefault(pr.plugin.loader.cfg.MaxReplyBytes, DefaultMaxReplyBytes)
	r := bufio.NewReaderSize(pr.stdout, min(max+1, 64<<10))
	for {
		reply, err := readLine(r, max)
		if err == io.EOF {
			return
		}
		if err == nil {
			select {
			case pr.replies <- reply:
				pr.delivered.Add(1)
				continue
			default:
				err = errors.New("output that no request asked for")
			}
		}
		pr.terminate(causeMalformed, err)
		io.Copy(io.Discard, r)
		return
	}
}

// readLine returns the next line without its newline, io.EOF at a clean
// end of output, or an error for a line longer than max bytes or cut off
// by the end of output. The line grows only as long as the reply is.
func readLine(r *bufio.Reader, max int) ([]byte, error) {
	var line []byte
	for {
		chunk, err := r.ReadSlice('\n')
		line = append(line, chunk...)
		switch {
		case err == nil:
			line = line[:len(line)-1]
		case errors.Is(err, bufio.ErrBufferFull):
		case len(line) > 0:
			return nil, errors.New("reply not terminated by a newline")
		default:
			return nil, io.EOF
		}
		if len(line) > max {
			return nil, fmt.Errorf("reply longer than %d bytes", max)
		}
		if err == nil {
			return line, nil
		}
	}
}

func (pr *Process) readStderr() {
	defer pr.readersDone.Done()
	io.Copy(pr.stderr, pr.stderrR)
}

// tailBuffer keeps the last max bytes written to it. It is safe for
// concurrent use.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
	max int
}

func newTailBuffer(max int) *tailBuffer { return &tailBuffer{max: max} }

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := len(p)
	if len(p) >= t.max {
		p = p[len(p)-t.max:]
		t.buf = t.buf[:0]
	}
	if over := len(t.buf) + len(p) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	t.buf = append(t.buf, p...)
	return n, nil
}

func (t *tailBuffer) Bytes() []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]byte(nil), t.buf...)
}
