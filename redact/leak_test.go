package redact_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"

	"github.com/cowork-ai/resilience/redact"
)

// hiddenKey is a LogValuer that hides its key, the way applications wrap
// credentials. Handlers that do not resolve LogValuers inside slices print
// the raw struct instead.
type hiddenKey struct{ Key string }

func (k hiddenKey) LogValue() slog.Value { return slog.StringValue("key:" + k.Key[:2] + "...") }

// account resolves to a group holding a password.
type account struct{ user, password string }

func (a account) LogValue() slog.Value {
	return slog.GroupValue(slog.String("user", a.user), slog.String("password", a.password))
}

// logJSON logs through a redacting handler over a JSON handler and returns
// the output.
func logJSON(t *testing.T, r *redact.Redactor, log func(*slog.Logger)) string {
	t.Helper()
	var buf bytes.Buffer
	log(slog.New(r.NewHandler(slog.NewJSONHandler(&buf, nil))))
	return buf.String()
}

func assertNoLeak(t *testing.T, out string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if strings.Contains(out, s) {
			t.Errorf("output leaks %q:\n%s", s, out)
		}
	}
}

func TestLeakLogValuerInSlice(t *testing.T) {
	out := logJSON(t, redact.Default(), func(l *slog.Logger) {
		l.Info("keys", "list", []any{hiddenKey{"qwerty-secret-1"}, redact.Secret("qwerty-secret-2")},
			"typed", []hiddenKey{{"qwerty-secret-3"}})
	})
	assertNoLeak(t, out, "qwerty-secret-1", "qwerty-secret-2", "qwerty-secret-3")
	if !strings.Contains(out, `"key:qw..."`) {
		t.Errorf("output lacks the LogValue of the slice element:\n%s", out)
	}
}

func TestLeakGroupValuedLogValuer(t *testing.T) {
	out := logJSON(t, redact.Default(), func(l *slog.Logger) {
		l.Info("login", "account", account{"bob", "hunter2-pw"},
			"nested", []any{account{"eve", "hunter3-pw"}})
	})
	assertNoLeak(t, out, "hunter2-pw", "hunter3-pw")
	if !strings.Contains(out, `"user":"bob"`) {
		t.Errorf("output lost the group's other members:\n%s", out)
	}
}

func TestLeakErrorAttrAndMessage(t *testing.T) {
	err := errors.New("auth failed: password=hunter2 for " + githubKey)
	out := logJSON(t, redact.Default(), func(l *slog.Logger) {
		l.Error("call with "+openAIKey+" failed", "err", err, "wrapped", []error{err})
	})
	assertNoLeak(t, out, "hunter2", githubKey, openAIKey)
}

func TestLeakURLInsideHTTPError(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	srv.Close() // every request now fails with a *url.Error naming the URL
	target := strings.Replace(srv.URL, "http://", "http://bob:hunter2@", 1) +
		"/v1?api_key=k-123&q=1"
	_, err := http.Get(target)
	var ue *url.Error
	if !errors.As(err, &ue) {
		t.Fatalf("http.Get error = %v, want a *url.Error", err)
	}
	ue.URL = target // net/http masks the password itself; the query it keeps
	red := redact.Error(err)
	assertNoLeak(t, red.Error(), "hunter2", "k-123")
	if !errors.As(red, &ue) {
		t.Errorf("errors.As(redacted, *url.Error) = false, want the original chain")
	}
	out := logJSON(t, redact.Default(), func(l *slog.Logger) { l.Error("get", "err", err) })
	assertNoLeak(t, out, "hunter2", "k-123")
}

func TestLeakDumpedRequest(t *testing.T) {
	req := httptest.NewRequest("POST", "http://api.example.com/v1/chat", strings.NewReader(`{"q":1}`))
	req.Header.Set("Authorization", "Bearer "+anthropicKey)
	req.Header.Set("Cookie", "session=s3ss10n-v4lue; theme=dark")
	req.Header.Set("X-Api-Key", "plainkey123")
	dump, err := httputil.DumpRequest(req, true)
	if err != nil {
		t.Fatal(err)
	}
	got := redact.String(string(dump))
	assertNoLeak(t, got, anthropicKey, "s3ss10n-v4lue", "dark", "plainkey123")
	for _, keep := range []string{"Authorization: Bearer [REDACTED", "Cookie: session=[REDACTED", "POST http://api.example.com/v1/chat"} {
		if !strings.Contains(got, keep) {
			t.Errorf("String(dump) = %q, lacks %q", got, keep)
		}
	}
}

func TestLeakShortRegisteredSecret(t *testing.T) {
	r, err := redact.Default().WithSecrets("7f3k")
	if err != nil {
		t.Fatal(err)
	}
	out := logJSON(t, r, func(l *slog.Logger) { l.Info("pin is 7f3k", "pin", "x7f3kx") })
	assertNoLeak(t, out, "7f3k")
}

func TestLeakBase64WrappedJSONCredential(t *testing.T) {
	cred := base64.StdEncoding.EncodeToString([]byte(`{"type":"service_account","private_key":"k-9981"}`))
	for _, in := range []string{"creds=" + cred, "GOOGLE_CREDS " + cred + ".", `{"c":"` + cred + `"}`} {
		got := redact.String(in)
		assertNoLeak(t, got, cred[:20], cred[len(cred)-20:])
	}
}

func TestLeakJSONBodyPassword(t *testing.T) {
	body := []byte(`{"user":"bob","password":"hunter2","nested":[{"Password":"p2"}]}`)
	got := string(redact.JSON(body))
	assertNoLeak(t, got, "hunter2", `"p2"`)
	if !strings.Contains(got, `"user":"bob"`) {
		t.Errorf("JSON(%s) = %s, lost the user", body, got)
	}
	err := errors.New("bad request: " + string(body))
	assertNoLeak(t, redact.Error(err).Error(), "hunter2", `"p2"`)
}

func TestLeakNoMutationOfCallerValue(t *testing.T) {
	type creds struct {
		User  string
		Pass  string `redact:"true"`
		Extra map[string]any
		List  []string
	}
	in := &creds{User: "bob", Pass: "hunter2", Extra: map[string]any{"token": "t-1"}, List: []string{openAIKey}}
	before, _ := json.Marshal(in)
	out := redact.Value(in).(*creds)
	after, _ := json.Marshal(in)
	if !bytes.Equal(before, after) {
		t.Errorf("Value mutated its input:\nbefore %s\nafter  %s", before, after)
	}
	if out.Pass != "[REDACTED:key]" || out.Extra["token"] != "[REDACTED:key]" || out.List[0] != "[REDACTED:openai]" {
		t.Errorf("Value(%+v) = %+v, want Pass, Extra[token] and List[0] redacted", in, out)
	}
	// The handler also leaves logged values alone.
	logJSON(t, redact.Default(), func(l *slog.Logger) { l.Info("c", "creds", in) })
	if after, _ := json.Marshal(in); !bytes.Equal(before, after) {
		t.Errorf("logging mutated the value:\nbefore %s\nafter  %s", before, after)
	}
}

func TestLeakWithAttrsAndGroups(t *testing.T) {
	out := logJSON(t, redact.Default(), func(l *slog.Logger) {
		l = l.With("password", "hunter2", "note", "key "+githubKey)
		l.WithGroup("credentials").Info("x", "user", "bob-secret-name")
		l.WithGroup("req").Info("y", slog.Group("auth", "user", "eve-secret"), "ok", 1)
	})
	assertNoLeak(t, out, "hunter2", githubKey, "bob-secret-name", "eve-secret")
}

func TestLeakContextIndependentOfNextHandler(t *testing.T) {
	var buf bytes.Buffer
	h := redact.NewHandler(slog.NewTextHandler(&buf, nil))
	slog.New(h).Log(context.Background(), slog.LevelInfo, "line1\nfake=entry",
		"list", []hiddenKey{{"qwerty-secret-9"}}, "b", []byte("password=hunter2"))
	assertNoLeak(t, buf.String(), "qwerty-secret-9", "hunter2", "\nfake")
}
