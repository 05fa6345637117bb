package benchmarks

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cowork-ai/resilience/wsreconnect"
	"github.com/gorilla/websocket"
)

// sinkURL starts a loopback WebSocket server that reads and discards every
// message, and returns its ws:// address.
func sinkURL(b *testing.B) string {
	b.Helper()
	upgrader := websocket.Upgrader{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, err := upgrader.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer conn.Close()
		for {
			_, rd, err := conn.NextReader()
			if err != nil {
				return
			}
			if _, err := io.Copy(io.Discard, rd); err != nil {
				return
			}
		}
	}))
	b.Cleanup(srv.Close)
	return "ws" + strings.TrimPrefix(srv.URL, "http")
}

var wsSizes = []struct {
	name string
	size int
}{{"64B", 64}, {"1KiB", 1024}}

// BenchmarkWebSocketWrite measures one goroutine writing binary messages to
// a loopback server: raw gorilla writes, the reconnecting client's
// blocking Send, and its pipelined SendAsync with up to 256 messages in
// flight.
func BenchmarkWebSocketWrite(b *testing.B) {
	for _, s := range wsSizes {
		payload := make([]byte, s.size)
		b.Run("size="+s.name+"/lib=gorilla-raw", func(b *testing.B) {
			conn, _, err := websocket.DefaultDialer.Dial(sinkURL(b), nil)
			if err != nil {
				b.Fatal(err)
			}
			defer conn.Close()
			b.SetBytes(int64(s.size))
			b.ReportAllocs()
			for b.Loop() {
				conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
				if err := conn.WriteMessage(websocket.BinaryMessage, payload); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("size="+s.name+"/lib=resilience-send", func(b *testing.B) {
			c := connectedClient(b)
			ctx := context.Background()
			b.SetBytes(int64(s.size))
			b.ReportAllocs()
			for b.Loop() {
				if err := c.Send(ctx, websocket.BinaryMessage, payload); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("size="+s.name+"/lib=resilience-async", func(b *testing.B) {
			c := connectedClient(b)
			b.SetBytes(int64(s.size))
			b.ReportAllocs()
			ring := make([]*wsreconnect.Receipt, 256)
			i := 0
			for b.Loop() {
				if r := ring[i%len(ring)]; r != nil {
					<-r.Done()
					if err := r.Err(); err != nil {
						b.Fatal(err)
					}
				}
				ring[i%len(ring)] = c.SendAsync(websocket.BinaryMessage, payload)
				i++
			}
			for _, r := range ring {
				if r != nil {
					<-r.Done()
				}
			}
		})
	}
}

// connectedClient returns a reconnecting client connected to a new sink
// server; it is closed when the benchmark ends.
func connectedClient(b *testing.B) *wsreconnect.Client {
	b.Helper()
	c, err := wsreconnect.New(wsreconnect.Config{URL: sinkURL(b)})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		c.Close(ctx)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.WaitConnected(ctx); err != nil {
		b.Fatal(err)
	}
	return c
}
