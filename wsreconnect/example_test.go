package wsreconnect_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/cowork-ai/resilience/wsreconnect"
	"github.com/gorilla/websocket"
)

// An echo server plays the backend. The client subscribes in
// OnConnect, which runs on every (re)connection before queued messages
// are written, then sends a message and waits for its echo.
func Example() {
	upgrader := websocket.Upgrader{}
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, err := upgrader.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer conn.Close()
		for {
			typ, data, err := conn.ReadMessage()
			if err != nil {
				return
			}
			conn.WriteMessage(typ, data)
		}
	}))
	defer backend.Close()

	echoes := make(chan string, 2)
	client, err := wsreconnect.New(wsreconnect.Config{
		URL: "ws" + strings.TrimPrefix(backend.URL, "http"),
		OnConnect: func(ctx context.Context, conn *wsreconnect.Conn) error {
			return conn.WriteMessage(websocket.TextMessage, []byte("subscribe"))
		},
		OnMessage: func(_ int, data []byte) { echoes <- string(data) },
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	defer client.Close(ctx)

	if err := client.Send(ctx, websocket.TextMessage, []byte("hello")); err != nil {
		fmt.Println("send:", err)
		return
	}
	fmt.Println(<-echoes)
	fmt.Println(<-echoes)
	fmt.Println("sent:", client.Stats().MessagesSent)
	// Output:
	// subscribe
	// hello
	// sent: 1
}

// A Receipt follows a message sent without blocking. While the client is
// disconnected, messages wait in the queue until they expire.
func ExampleClient_SendAsync() {
	client, err := wsreconnect.New(wsreconnect.Config{
		URL:      "ws://127.0.0.1:1/", // nothing listens here
		QueueTTL: 50 * time.Millisecond,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close(context.Background())

	receipt := client.SendAsync(websocket.TextMessage, []byte("status update"))
	<-receipt.Done()
	fmt.Println(receipt.Outcome())
	fmt.Println(receipt.Err())
	// Output:
	// expired
	// wsreconnect: message expired before it was sent
}
