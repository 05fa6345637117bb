package standin

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// StreamPath is the path at which a Backend accepts WebSocket connections.
const StreamPath = "/v1/stream"

// Message is the JSON frame a Backend exchanges with its clients. A client
// sends {"type":"subscribe","topic":T}, answered by {"type":"subscribed",
// "topic":T}, and {"type":"command","id":I,"text":...}, answered by
// {"type":"ack","id":I}.
type Message struct {
	Type  string `json:"type"`
	Topic string `json:"topic,omitempty"`
	ID    string `json:"id,omitempty"`
	Text  string `json:"text,omitempty"`
}

// Received is a message a Backend read, with the number of the connection
// it arrived on (1 for the first connection accepted, 2 for the next, ...).
type Received struct {
	Conn int
	Message
}

// Backend is a WebSocket service that can restart: [Backend.Down] closes
// every connection with close code 1012 (service restart) and stops
// listening, so dials are refused, and [Backend.Up] listens again on the
// same address.
type Backend struct {
	addr     string
	upgrader websocket.Upgrader
	handlers sync.WaitGroup

	// control serialises Down and Up, so a restart cannot interleave with
	// another.
	control sync.Mutex

	// mu guards the fields below.
	mu        sync.Mutex
	srv       *http.Server
	serveDone chan struct{}
	conns     map[*websocket.Conn]struct{}
	accepted  int
	received  []Received
}

// NewBackend starts a Backend on 127.0.0.1 with a free port.
func NewBackend() (*Backend, error) {
	b := &Backend{conns: make(map[*websocket.Conn]struct{})}
	if err := b.listen("127.0.0.1:0"); err != nil {
		return nil, err
	}
	return b, nil
}

// URL returns the WebSocket address of the stream endpoint.
func (b *Backend) URL() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return "ws://" + b.addr + StreamPath
}

// Accepted returns the number of connections accepted so far.
func (b *Backend) Accepted() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.accepted
}

// Received returns a copy of every message read so far, in order.
func (b *Backend) Received() []Received {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]Received(nil), b.received...)
}

// Down closes every open connection with close code 1012 and stops
// listening. It does nothing when the Backend is already down.
func (b *Backend) Down() {
	b.control.Lock()
	defer b.control.Unlock()
	b.mu.Lock()
	srv, done := b.srv, b.serveDone
	b.srv = nil
	conns := b.conns
	b.conns = make(map[*websocket.Conn]struct{})
	b.mu.Unlock()
	if srv == nil {
		return
	}
	_ = srv.Close()
	<-done
	msg := websocket.FormatCloseMessage(websocket.CloseServiceRestart, "service restart")
	for c := range conns {
		_ = c.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
		_ = c.Close()
	}
}

// Up listens again on the Backend's address. It does nothing when the
// Backend is already up.
func (b *Backend) Up() error {
	b.control.Lock()
	defer b.control.Unlock()
	b.mu.Lock()
	up := b.srv != nil
	b.mu.Unlock()
	if up {
		return nil
	}
	b.mu.Lock()
	addr := b.addr
	b.mu.Unlock()
	return b.listen(addr)
}

// Close stops the Backend for good and waits for its goroutines to end.
func (b *Backend) Close() {
	b.Down()
	b.handlers.Wait()
}

func (b *Backend) listen(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("standin: listen for backend: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+StreamPath, b.stream)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	done := make(chan struct{})
	b.mu.Lock()
	b.addr, b.srv, b.serveDone = ln.Addr().String(), srv, done
	b.mu.Unlock()
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	return nil
}

func (b *Backend) stream(w http.ResponseWriter, r *http.Request) {
	c, err := b.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	b.handlers.Add(1)
	defer b.handlers.Done()
	n, ok := b.register(c)
	if !ok {
		_ = c.Close()
		return
	}
	defer b.unregister(c)
	for {
		_, data, err := c.ReadMessage()
		if err != nil {
			return
		}
		var m Message
		if json.Unmarshal(data, &m) != nil {
			continue
		}
		b.mu.Lock()
		b.received = append(b.received, Received{Conn: n, Message: m})
		b.mu.Unlock()
		if reply, ok := answer(m); ok {
			if err := c.WriteJSON(reply); err != nil {
				return
			}
		}
	}
}

// register adds c to the open connections unless the Backend went down
// while c was upgrading, and returns c's connection number.
func (b *Backend) register(c *websocket.Conn) (int, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.srv == nil {
		return 0, false
	}
	b.conns[c] = struct{}{}
	b.accepted++
	return b.accepted, true
}

func (b *Backend) unregister(c *websocket.Conn) {
	b.mu.Lock()
	delete(b.conns, c)
	b.mu.Unlock()
	_ = c.Close()
}

func answer(m Message) (Message, bool) {
	switch m.Type {
	case "subscribe":
		return Message{Type: "subscribed", Topic: m.Topic}, true
	case "command":
		return Message{Type: "ack", ID: m.ID}, true
	}
	return Message{}, false
}
