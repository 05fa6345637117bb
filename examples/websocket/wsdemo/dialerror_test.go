package wsdemo

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/cowork-ai/resilience/wsreconnect"
)

// closedAddr returns a loopback address on which nothing listens.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

func TestShortDialErrorRefused(t *testing.T) {
	_, err := net.Dial("tcp", closedAddr(t))
	if err == nil {
		t.Fatal("dial to a closed port succeeded")
	}
	if got := shortDialError(err); got != "connection refused" {
		t.Errorf("shortDialError(%v) = %q, want %q", err, got, "connection refused")
	}
}

func TestShortDialErrorTimeout(t *testing.T) {
	d := net.Dialer{Timeout: time.Nanosecond}
	_, err := d.Dial("tcp", closedAddr(t))
	if err == nil {
		t.Skip("dial finished within 1ns")
	}
	got := shortDialError(err)
	if got == "connection refused" {
		t.Skipf("dial failed before its deadline: %v", err)
	}
	if !strings.Contains(got, "timeout") || strings.Contains(got, "127.0.0.1") {
		t.Errorf("shortDialError(%v) = %q, want a timeout without the address", err, got)
	}
}

func TestShortDialErrorHandshake(t *testing.T) {
	err := fmt.Errorf("dial: %w", &wsreconnect.HandshakeError{
		Status: http.StatusServiceUnavailable, Err: websocket.ErrBadHandshake})
	if got, want := shortDialError(err), "handshake rejected with 503"; got != want {
		t.Errorf("shortDialError(%v) = %q, want %q", err, got, want)
	}
}

func TestShortDialErrorOther(t *testing.T) {
	err := errors.New("subscribe to transcripts: unexpected reply")
	if got := shortDialError(err); got != err.Error() {
		t.Errorf("shortDialError(%v) = %q, want the error itself", err, got)
	}
}
