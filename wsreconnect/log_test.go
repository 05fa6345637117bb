package wsreconnect

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cowork-ai/resilience/internal/testutil"
)

// syncBuffer is a bytes.Buffer safe for concurrent writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestLoggerRecordsGiveUpWithoutSecrets(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var out syncBuffer
		logger := slog.New(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelDebug}))
		c, err := New(Config{
			URL:     "ws://127.0.0.1:1/?token=s3cret",
			Header:  map[string][]string{"Authorization": {"Bearer s3cret"}},
			Backoff: fixed(t, time.Second, 2),
			Dialer:  pipeDialer(new(testutil.PipeNetwork)),
			Logger:  logger,
		})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(context.Background())
		time.Sleep(time.Minute)
		synctest.Wait()

		logs := out.String()
		if n := strings.Count(logs, "websocket dial attempt"); n != 3 {
			t.Errorf("%d attempt records, want 3:\n%s", n, logs)
		}
		if !strings.Contains(logs, "level=WARN") || !strings.Contains(logs, "gave up") {
			t.Errorf("no give-up record at Warn:\n%s", logs)
		}
		if strings.Contains(logs, "s3cret") {
			t.Errorf("logs contain the credential:\n%s", logs)
		}
	})
}

func TestNilLoggerIsSilent(t *testing.T) {
	c := &Client{cfg: &settings{}}
	c.log(slog.LevelError, "nothing happens") // must not panic
}
