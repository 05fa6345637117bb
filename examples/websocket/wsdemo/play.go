package wsdemo

import (
	"context"
	"fmt"
	"time"

	"github.com/cowork-ai/resilience/examples/internal/narrate"
	"github.com/cowork-ai/resilience/wsreconnect"
)

// play runs the scenario's three acts on a connected client.
func (s *scenario) play(ctx context.Context) error {
	if err := s.waitConnected(ctx); err != nil {
		return err
	}
	s.sendCommand("c1", "open the quarterly report")
	if err := s.waitAcks(ctx, "c1"); err != nil {
		return err
	}
	if err := s.restart(ctx); err != nil {
		return err
	}
	return s.outage(ctx)
}

// restart takes the backend down for restartDowntime while the user
// speaks two commands, which wait in the queue until the reconnect.
func (s *scenario) restart(ctx context.Context) error {
	n := s.cfg.Narrator
	downtime := s.cfg.scaled(restartDowntime)
	n.Failure(path, "the backend restarts: close code 1012, then connections refused for %s",
		downtime)
	s.backend.Down()
	if err := s.waitDisconnected(ctx); err != nil {
		return err
	}

	s.inform("Lost the connection to the assistant service. Reconnecting; " +
		"your commands will be sent when it is back.")
	s.sendCommand("c2", "add milk to the shopping list")
	s.sendCommand("c3", "what time is my next meeting")
	s.res.Queued = []string{"c2", "c3"}
	n.Info(path, "c2 and c3 spoken during the outage: %d messages queued",
		s.client.Stats().QueueLength)

	if err := sleep(ctx, downtime); err != nil {
		return err
	}
	if err := s.backend.Up(); err != nil {
		return err
	}
	n.Info(path, "the backend is back")
	if err := s.waitConnected(ctx); err != nil {
		return err
	}
	if err := s.waitAcks(ctx, "c2", "c3"); err != nil {
		return err
	}

	s.inform("Reconnected. The 2 commands you gave meanwhile were delivered.")
	s.cfg.Narrator.Outcome(narrate.Row{Path: path,
		Failure:  "backend restarted (close 1012, refused for " + downtime.String() + ")",
		Recovery: "reconnected with backoff, subscribed again, flushed 2 queued commands",
		Told:     "disconnected, reconnecting; then reconnected, 2 commands delivered"})
	return nil
}

// outage takes the backend down for good once the connection is stable,
// so the client walks its whole reconnect schedule and gives up.
func (s *scenario) outage(ctx context.Context) error {
	n := s.cfg.Narrator
	stable := s.cfg.scaled(30 * time.Second)
	// A connection up for StableAfter starts the next outage with a fresh
	// backoff sequence.
	if err := sleep(ctx, stable+stable/10); err != nil {
		return err
	}
	n.Failure(path, "the backend goes down for good")
	s.backend.Down()
	if err := s.waitDisconnected(ctx); err != nil {
		return err
	}

	receipt := s.sendCommand("c4", "turn off the lights")
	s.res.Undelivered = "c4"
	var gaveUp *wsreconnect.Error
	select {
	case gaveUp = <-s.gaveUp:
	case <-ctx.Done():
		return fmt.Errorf("wait for the client to give up: %w", context.Cause(ctx))
	}

	s.res.GaveUp = gaveUp
	attempts := s.outageAttempts()
	n.Failure(path, "gave up after %d reconnect attempts over %s", attempts,
		gaveUp.Elapsed.Round(time.Millisecond))
	s.tell(ctx, gaveUp, "Cannot reach the assistant service. Check your network connection, "+
		"then restart the assistant.")
	select {
	case <-receipt.Done():
	case <-ctx.Done():
		return fmt.Errorf("wait for the last command to resolve: %w", context.Cause(ctx))
	}

	s.res.UndeliveredErr = receipt.Err()
	n.Failure(path, "c4 was never sent: %s (%v)", receipt.Outcome(), receipt.Err())
	s.tell(ctx, receipt.Err(), `Your command "turn off the lights" was not sent. `+
		"Once the assistant is back, say it again.")
	n.Outcome(narrate.Row{Path: path, Failure: "backend down for good",
		Recovery: fmt.Sprintf("%d reconnect attempts on the backoff schedule, then gave up",
			attempts),
		Told:  "cannot reach the service; c4 not sent",
		Codes: []string{gaveUp.Code(), s.cfg.Reporter.From(receipt.Err()).Code}})
	return nil
}

// waitDisconnected waits until the client has noticed that its connection
// ended, so that later commands go to the queue rather than to a socket
// the backend already closed.
func (s *scenario) waitDisconnected(ctx context.Context) error {
	select {
	case <-s.disconnected:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("wait for the disconnect: %w", context.Cause(ctx))
	}
}

// finish copies what the backend received into the result.
func (s *scenario) finish() {
	for _, r := range s.backend.Received() {
		switch r.Type {
		case "subscribe":
			s.res.Subscriptions = append(s.res.Subscriptions, r.Conn)
		case "command":
			s.res.Delivered = append(s.res.Delivered, r)
		}
	}
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
