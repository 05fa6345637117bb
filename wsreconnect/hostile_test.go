package wsreconnect

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cowork-ai/resilience/internal/testutil"
	"github.com/gorilla/websocket"
)

// hostileServer serves handler over an in-memory network inside a
// synctest bubble and returns a client config that dials it. It waits
// for the handlers when the test ends.
func hostileServer(t *testing.T, handler func(ws *websocket.Conn)) Config {
	t.Helper()
	network := new(testutil.PipeNetwork)
	ln, err := network.Listen("")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	upgrader := websocket.Upgrader{}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := upgrader.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		wg.Add(1)
		defer wg.Done()
		defer ws.Close()
		handler(ws)
	})}
	served := make(chan struct{})
	go func() {
		defer close(served)
		srv.Serve(ln)
	}()
	t.Cleanup(func() {
		srv.Close()
		<-served
		wg.Wait()
	})
	return Config{URL: "ws://" + ln.Addr().String() + "/", Dialer: pipeDialer(network)}
}

// A server that reads the close frame but never replies, and keeps
// streaming data, must not hold Close(context.Background()) forever. The
// data frames renew the read deadline, so that deadline alone does not
// bound the wait.
func TestCloseBoundedWhenServerStreamsAndIgnoresClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		quiet := make(chan struct{}) // closed to stop the stream
		cfg := hostileServer(t, func(ws *websocket.Conn) {
			ws.SetCloseHandler(func(int, string) error { return nil }) // never reply
			go func() {
				for {
					if _, _, err := ws.ReadMessage(); err != nil {
						return
					}
				}
			}()
			for {
				select {
				case <-quiet:
					return
				case <-time.After(time.Second):
				}
				ws.SetWriteDeadline(time.Now().Add(time.Second))
				if err := ws.WriteMessage(websocket.TextMessage, []byte("tick")); err != nil {
					return
				}
			}
		})
		cfg.Backoff = fixed(t, time.Hour, 1)
		c, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.WaitConnected(context.Background()); err != nil {
			t.Fatal(err)
		}
		closed := make(chan error, 1)
		began := time.Now()
		go func() { closed <- c.Close(context.Background()) }()
		select {
		case err := <-closed:
			if err != nil {
				t.Errorf("Close = %v", err)
			}
			if took := time.Since(began); took > 30*time.Second {
				t.Errorf("Close took %v, want at most ReadTimeout (30s)", took)
			}
		case <-time.After(10 * time.Minute):
			t.Error("Close still waiting after 10 minutes of server data")
			close(quiet) // the read deadline then ends the wait
			<-closed
		}
	})
}

// Close sends a close frame even when a ForceReconnect is pending at the
// same moment: the supervisor must not pick the forced reconnect, which
// drops the socket without one.
func TestCloseWinsOverPendingForceReconnect(t *testing.T) {
	for range 8 { // the supervisor's choice between ready cases is random
		synctest.Test(t, func(t *testing.T) {
			codes := make(chan int, 1)
			cfg := hostileServer(t, func(ws *websocket.Conn) {
				for {
					if _, _, err := ws.ReadMessage(); err != nil {
						code := -1
						if ce, ok := err.(*websocket.CloseError); ok {
							code = ce.Code
						}
						codes <- code
						return
					}
				}
			})
			entered, release := make(chan struct{}), make(chan struct{})
			cfg.OnSuccess = func(ConnectEvent) {
				close(entered)
				<-release
			}
			c, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			<-entered
			c.ForceReconnect()
			closed := make(chan error, 1)
			go func() { closed <- c.Close(context.Background()) }()
			synctest.Wait()
			close(release)
			if err := <-closed; err != nil {
				t.Errorf("Close = %v", err)
			}
			if code := <-codes; code != websocket.CloseNormalClosure {
				t.Errorf("server saw close code %d, want 1000", code)
			}
		})
	}
}
