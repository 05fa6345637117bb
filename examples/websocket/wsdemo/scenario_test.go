package wsdemo_test

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"

	"go.uber.org/goleak"

	"github.com/cowork-ai/resilience/examples/internal/narrate"
	"github.com/cowork-ai/resilience/examples/websocket/wsdemo"
	"github.com/cowork-ai/resilience/wsreconnect"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestRun(t *testing.T) {
	var disconnects []wsreconnect.DisconnectEvent
	var account bytes.Buffer
	res, err := wsdemo.Run(t.Context(), wsdemo.Config{
		Scale:        0.03,
		Narrator:     narrate.New(&account, false),
		OnDisconnect: func(e wsreconnect.DisconnectEvent) { disconnects = append(disconnects, e) },
	})
	if err != nil {
		t.Fatal(err)
	}

	if !slices.Equal(res.Subscriptions, []int{1, 2}) {
		t.Errorf("subscriptions on connections %v, want [1 2]: one renewal after the restart",
			res.Subscriptions)
	}

	var delivered []string
	for _, r := range res.Delivered {
		delivered = append(delivered, r.ID)
	}
	if !slices.Equal(delivered, []string{"c1", "c2", "c3"}) {
		t.Errorf("delivered %v, want [c1 c2 c3]", delivered)
	}
	for _, r := range res.Delivered {
		if slices.Contains(res.Queued, r.ID) && r.Conn != 2 {
			t.Errorf("queued command %s arrived on connection %d, want 2", r.ID, r.Conn)
		}
	}
	if !slices.Equal(res.Acked, []string{"c1", "c2", "c3"}) {
		t.Errorf("acknowledged %v, want [c1 c2 c3]", res.Acked)
	}

	if !errors.Is(res.GaveUp, wsreconnect.ErrGaveUp) {
		t.Errorf("GaveUp = %v, want ErrGaveUp", res.GaveUp)
	}
	if res.UndeliveredErr == nil || slices.Contains(delivered, res.Undelivered) {
		t.Errorf("command %s: err %v, delivered %v; want it reported as not sent",
			res.Undelivered, res.UndeliveredErr, delivered)
	}

	var codes []string
	for _, n := range res.Notices {
		codes = append(codes, n.Code)
	}
	if len(codes) != 2 || codes[0] != "ERR-WebSocketGaveUp" {
		t.Errorf("notice codes = %v, want the give-up first, then the unsent command", codes)
	}

	if len(res.Told) != 4 || !strings.HasPrefix(res.Told[1], "Reconnected") {
		t.Errorf("Told = %q, want the disconnect, the recovery, the give-up and the "+
			"unsent command", res.Told)
	}

	if !strings.Contains(res.Told[3], "say it again") {
		t.Errorf("Told[3] = %q, want the next step for the unsent command", res.Told[3])
	}

	if len(res.OutageAttempts) != 2 || res.OutageAttempts[0] < 1 || res.OutageAttempts[1] != 5 {
		t.Errorf("OutageAttempts = %v, want 2 outages, the second ending after 5",
			res.OutageAttempts)
	}
	// Each outage numbers its attempts from 1, whatever the client's own
	// count since its last stable connection.
	if got := strings.Count(account.String(), "reconnect attempt 1 after"); got != 2 {
		t.Errorf("narrated attempt 1 %d times, want once per outage:\n%s", got, account.String())
	}
	if strings.Contains(account.String(), "reconnect attempt 6") {
		t.Errorf("narration numbers an attempt 6 in a 5-attempt schedule:\n%s", account.String())
	}

	if len(disconnects) != 2 || disconnects[0].CloseCode != 1012 {
		t.Errorf("disconnects = %+v, want 2, the first with close code 1012", disconnects)
	}
}
