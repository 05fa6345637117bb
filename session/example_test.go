package session_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"time"

	"github.com/cowork-ai/resilience/session"
)

func Example() {
	m, err := session.New(session.Config{MaxTTL: time.Hour})
	if err != nil {
		panic(err)
	}
	defer m.Close()
	ctx := context.Background()

	// The user allows the assistant to edit their notes for 15 minutes.
	notes := session.Scope{Action: "file.write", Resource: "/home/ada/notes/*"}
	if _, err := m.Grant(ctx, notes, 15*time.Minute); err != nil {
		panic(err)
	}

	todo := session.Scope{Action: "file.write", Resource: "/home/ada/notes/todo.txt"}
	fmt.Println(m.Check(ctx, todo).Reason)
	fmt.Println(m.Check(ctx, session.Scope{Action: "file.write", Resource: "/etc/hosts"}).Reason)

	m.Revoke(ctx, notes)
	err = m.Ensure(ctx, todo)
	var denied *session.DeniedError
	if errors.As(err, &denied) {
		fmt.Println(denied.Code(), denied.RegrantRequired())
	}
	fmt.Println(errors.Is(err, session.ErrSessionRevoked), errors.Is(err, session.ErrPermissionDenied))
	// Output:
	// granted
	// not granted
	// ERR-SessionRevoked true
	// true true
}

func ExampleManager_Middleware() {
	m, err := session.New(session.Config{})
	if err != nil {
		panic(err)
	}
	defer m.Close()
	m.Grant(context.Background(), session.Scope{Action: "screen.click"}, time.Minute)

	act := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "clicked")
	})
	h := m.Middleware(act, func(r *http.Request) string { return r.URL.Query().Get("scope") })

	for _, scope := range []string{"screen.click", "screen.type"} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/act?scope="+scope, nil))
		fmt.Print(w.Code, " ", w.Body.String())
	}
	// Output:
	// 200 clicked
	// 403 {"code":"ERR-PermissionDenied","reason":"not granted","regrant_required":true}
}

func ExampleHooks_onRegrant() {
	requests := make(chan session.RegrantRequest, 1)
	m, err := session.New(session.Config{Hooks: session.Hooks{
		// Runs on the manager's own goroutine, so it may block on the user.
		OnRegrant: func(r session.RegrantRequest) { requests <- r },
	}})
	if err != nil {
		panic(err)
	}
	defer m.Close()
	ctx := context.Background()
	m.Grant(ctx, session.Scope{Action: "mic.listen"}, time.Hour)
	m.RevokeAll(ctx)

	r := <-requests
	fmt.Printf("ask again for %v (%v)\n", r.Scope, r.Reason)
	// Output:
	// ask again for mic.listen (revoked)
}

func ExampleConfig_path() {
	dir, err := os.MkdirTemp("", "session-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "grants.json")
	ctx := context.Background()
	scope := session.Scope{Action: "browser.open"}

	m, _ := session.New(session.Config{Path: path})
	m.Grant(ctx, scope, time.Hour)
	m.Close()

	// A restart restores the grant from the authenticated file.
	m, _ = session.New(session.Config{Path: path})
	defer m.Close()
	st := m.Status()
	fmt.Println(st.Load.Kind, st.Load.Grants, m.Check(ctx, scope).Reason)
	// Output:
	// loaded 1 granted
}
