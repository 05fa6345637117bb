package wsreconnect

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// sinkServer is a gorilla server that reads and discards every message
// without allocating, so benchmarks measure the client side.
func sinkServer(tb testing.TB) string {
	tb.Helper()
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
			io.Copy(io.Discard, rd)
		}
	}))
	tb.Cleanup(srv.Close)
	return "ws" + strings.TrimPrefix(srv.URL, "http")
}

var benchSizes = []struct {
	name string
	size int
}{{"64B", 64}, {"1KiB", 1024}}

func dialRaw(tb testing.TB, url string) *websocket.Conn {
	tb.Helper()
	conn, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { conn.Close() })
	return conn
}

func connectedClient(tb testing.TB, url string) *Client {
	tb.Helper()
	c := newClient(tb, Config{URL: url})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.WaitConnected(ctx); err != nil {
		tb.Fatal(err)
	}
	return c
}

// BenchmarkRawWrite is the baseline: gorilla's WriteMessage in a loop on
// loopback, with a write deadline per message as the client sets.
func BenchmarkRawWrite(b *testing.B) {
	for _, s := range benchSizes {
		b.Run(s.name, func(b *testing.B) {
			conn := dialRaw(b, sinkServer(b))
			payload := make([]byte, s.size)
			b.SetBytes(int64(s.size))
			b.ReportAllocs()
			for b.Loop() {
				conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
				if err := conn.WriteMessage(websocket.BinaryMessage, payload); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSend sends with the blocking Send from one goroutine, so each
// message waits for its write before the next is queued.
func BenchmarkSend(b *testing.B) {
	for _, s := range benchSizes {
		b.Run(s.name, func(b *testing.B) {
			c := connectedClient(b, sinkServer(b))
			payload := make([]byte, s.size)
			ctx := context.Background()
			b.SetBytes(int64(s.size))
			b.ReportAllocs()
			for b.Loop() {
				if err := c.Send(ctx, websocket.BinaryMessage, payload); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSendParallel sends with Send from GOMAXPROCS goroutines.
func BenchmarkSendParallel(b *testing.B) {
	for _, s := range benchSizes {
		b.Run(s.name, func(b *testing.B) {
			c := connectedClient(b, sinkServer(b))
			payload := make([]byte, s.size)
			ctx := context.Background()
			b.SetBytes(int64(s.size))
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := c.Send(ctx, websocket.BinaryMessage, payload); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// sendWindow sends n messages with SendAsync, keeping at most window of
// them unresolved, and fails on any outcome but sent.
func sendWindow(tb testing.TB, c *Client, payload []byte, n, window int) {
	ring := make([]*Receipt, window)
	for i := range n {
		if r := ring[i%window]; r != nil {
			<-r.Done()
			if r.Err() != nil {
				tb.Fatal(r.Err())
			}
		}
		ring[i%window] = c.SendAsync(websocket.BinaryMessage, payload)
	}
	for _, r := range ring {
		if r != nil {
			<-r.Done()
		}
	}
}

// BenchmarkSendAsync pipelines SendAsync with up to 256 messages in
// flight, which lets the writer run without waiting for the caller.
func BenchmarkSendAsync(b *testing.B) {
	for _, s := range benchSizes {
		b.Run(s.name, func(b *testing.B) {
			c := connectedClient(b, sinkServer(b))
			payload := make([]byte, s.size)
			b.SetBytes(int64(s.size))
			b.ReportAllocs()
			b.ResetTimer()
			sendWindow(b, c, payload, b.N, 256)
		})
	}
}

// BenchmarkThroughputRatio measures raw gorilla writes, the client's
// pipelined SendAsync and its blocking Send from one goroutine in the same
// run, against the same kind of server, and reports each client figure's
// throughput as a percentage of raw.
func BenchmarkThroughputRatio(b *testing.B) {
	for _, s := range benchSizes {
		b.Run(s.name, func(b *testing.B) {
			payload := make([]byte, s.size)
			conn := dialRaw(b, sinkServer(b))
			c := connectedClient(b, sinkServer(b))
			b.ResetTimer()

			start := time.Now()
			for range b.N {
				conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
				if err := conn.WriteMessage(websocket.BinaryMessage, payload); err != nil {
					b.Fatal(err)
				}
			}
			raw := time.Since(start)

			start = time.Now()
			sendWindow(b, c, payload, b.N, 256)
			async := time.Since(start)

			ctx := context.Background()
			start = time.Now()
			for range b.N {
				if err := c.Send(ctx, websocket.BinaryMessage, payload); err != nil {
					b.Fatal(err)
				}
			}
			blocking := time.Since(start)

			perMsg := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / float64(b.N) }
			b.ReportMetric(perMsg(raw), "raw-ns/msg")
			b.ReportMetric(perMsg(async), "async-ns/msg")
			b.ReportMetric(perMsg(blocking), "send-ns/msg")
			b.ReportMetric(100*raw.Seconds()/async.Seconds(), "async-%-of-raw")
			b.ReportMetric(100*raw.Seconds()/blocking.Seconds(), "send-%-of-raw")
		})
	}
}

// BenchmarkIdleMemory reports the heap and stack memory that one idle,
// connected client holds, next to a raw gorilla connection. Both figures
// include the server side of the connection, which is the same for both.
func BenchmarkIdleMemory(b *testing.B) {
	const conns = 200
	url := sinkServer(b)
	measure := func(open func() func()) float64 {
		closers := make([]func(), 0, conns)
		before := memInUse()
		for range conns {
			closers = append(closers, open())
		}
		after := memInUse()
		for _, f := range closers {
			f()
		}
		return float64(after-before) / conns
	}
	for b.Loop() {
		raw := measure(func() func() {
			conn, _, err := websocket.DefaultDialer.Dial(url, nil)
			if err != nil {
				b.Fatal(err)
			}
			return func() { conn.Close() }
		})
		client := measure(func() func() {
			c, err := New(Config{URL: url})
			if err != nil {
				b.Fatal(err)
			}
			c.WaitConnected(context.Background())
			return func() { c.Close(context.Background()) }
		})
		b.ReportMetric(raw, "raw-B/conn")
		b.ReportMetric(client, "client-B/conn")
	}
}

func memInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse + m.StackInuse
}
