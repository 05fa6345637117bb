package redact_test

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"

	"github.com/cowork-ai/resilience/redact"
)

func ExampleString() {
	fmt.Println(redact.String("connect postgres://app:pa55@db/main password=hunter2"))
	fmt.Println(redact.String("commit 3f786850e387550fdab836ed7e6dc881de23001b is kept"))
	// Output:
	// connect postgres://app:[REDACTED:url]@db/main password=[REDACTED:key]
	// commit 3f786850e387550fdab836ed7e6dc881de23001b is kept
}

func ExampleError() {
	err := fmt.Errorf("load token=tk-1234: %w", fs.ErrNotExist)
	red := redact.Error(err)
	fmt.Println(red)
	fmt.Println(errors.Is(red, fs.ErrNotExist))
	// Output:
	// load token=[REDACTED:key]: file does not exist
	// true
}

func ExampleNewHandler() {
	opts := &slog.HandlerOptions{ReplaceAttr: dropTime}
	logger := slog.New(redact.NewHandler(slog.NewJSONHandler(os.Stdout, opts)))
	logger.Info("login\nforged=line",
		"user", "bob",
		"password", "hunter2",
		slog.Group("req", "url", "https://bob:pw@api.example.com/?api_key=k1"),
		"key", redact.Secret("sk-in-memory"))
	// Output:
	// {"level":"INFO","msg":"login\\nforged=line","user":"bob","password":"[REDACTED:key]","req":{"url":"https://bob:[REDACTED:url]@api.example.com/?api_key=[REDACTED:key]"},"key":"[REDACTED]"}
}

func ExampleRedactor_WithSecrets() {
	r, err := redact.Default().WithSecrets("pw42-short")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r.String("echo pw42-short | base64 gives cHc0Mi1zaG9ydA=="))
	// Output:
	// echo [REDACTED:secret] | base64 gives [REDACTED:secret]
}

func dropTime(groups []string, a slog.Attr) slog.Attr {
	if a.Key == slog.TimeKey && len(groups) == 0 {
		return slog.Attr{}
	}
	return a
}
