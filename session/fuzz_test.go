package session_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cowork-ai/resilience/internal/clock"
	"github.com/cowork-ai/resilience/session"
)

// FuzzLoadGrantFile feeds arbitrary bytes to the loader as the grant file.
// Whatever the bytes, loading must not panic, and a grant may load only
// from a file of schema 1 whose MAC matches its payload.
func FuzzLoadGrantFile(f *testing.F) {
	path := filepath.Join(f.TempDir(), "grants.json")
	m, err := session.NewForTest(session.Config{Path: path, Key: testKey}, clock.System(), nil)
	if err != nil {
		f.Fatal(err)
	}
	if _, err := m.Grant(context.Background(), fileWrite, time.Hour); err != nil {
		f.Fatal(err)
	}
	m.Close()
	valid, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}

	f.Add(valid)
	f.Add(valid[:len(valid)-3])
	f.Add(bytes.Replace(valid, []byte("file.write"), []byte("file.wrote"), 1))
	f.Add(bytes.Replace(valid, []byte(`"schema": 1`), []byte(`"schema": 1.0`), 1))
	f.Add([]byte(`{"schema":1,"mac":"","payload":{"version":1,"grants":[]}}`))
	f.Add([]byte(`{"schema":1,"mac":"00","payload":null}`))
	f.Add([]byte("\x00\xff{["))

	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "grants.json")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		m, err := session.NewForTest(session.Config{Path: path, Key: testKey}, clock.System(), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		st := m.Status()
		allowed := m.Check(context.Background(), fileWrite).Allowed
		if (st.Load.Grants > 0 || allowed) && !authentic(data) {
			t.Errorf("a file that fails authentication loaded %d grants (allowed %v):\n%s",
				st.Load.Grants, allowed, data)
		}
	})
}

// authentic reports whether data is a schema 1 file whose MAC matches its
// compact payload under testKey.
func authentic(data []byte) bool {
	var env struct {
		Schema  json.RawMessage `json:"schema"`
		MAC     string          `json:"mac"`
		Payload json.RawMessage `json:"payload"`
	}
	if json.Unmarshal(data, &env) != nil {
		return false
	}
	var schema int
	if json.Unmarshal(env.Schema, &schema) != nil || schema != 1 {
		return false
	}
	var body bytes.Buffer
	if json.Compact(&body, env.Payload) != nil {
		return false
	}
	sum, err := hex.DecodeString(env.MAC)
	return err == nil && hmac.Equal(sum, session.FileMAC(testKey, 1, body.Bytes()))
}
