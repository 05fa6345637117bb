package redact_test

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/cowork-ai/resilience/redact"
)

// Fake credentials in the documented formats, built so that no real key
// appears in the source.
var (
	openAIKey    = "sk-proj-" + strings.Repeat("Ab3d", 12)
	openAILegacy = "sk-" + strings.Repeat("x9Yz", 12)
	anthropicKey = "sk-ant-api03-" + strings.Repeat("Qw7e", 20)
	googleKey    = "AIza" + strings.Repeat("Sy9A", 8) + "b_c"
	hfKey        = "hf_" + strings.Repeat("aBcD", 9)
	githubKey    = "ghp_" + strings.Repeat("a1B2", 9)
	githubPAT    = "github_pat_" + strings.Repeat("11AB", 20) + "_x"
	gitlabKey    = "glpat-" + strings.Repeat("xY1-", 5)
	slackKey     = "xoxb-1234567890-" + strings.Repeat("aB", 12)
	awsKey       = "AKIA" + "IOSFODNN7EXAMPL1"
	stripeKey    = "sk_live_" + strings.Repeat("4eC3", 6)
	deepgramKey  = strings.Repeat("0f1e2d3c4b", 4)
	jwt          = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0." +
		"dBjftJeZ4CVPmB92K27uhbUJU1p1r_wW1gFWFOEjXk"
)

// check runs String on each case and compares the output.
func check(t *testing.T, cases []struct{ in, want string }) {
	t.Helper()
	for _, c := range cases {
		if got := redact.String(c.in); got != c.want {
			t.Errorf("String(%q)\n got %q\nwant %q", c.in, got, c.want)
		}
	}
}

func TestTokenFormats(t *testing.T) {
	check(t, []struct{ in, want string }{
		{"key " + openAIKey, "key [REDACTED:openai]"},
		{"key " + openAILegacy, "key [REDACTED:openai]"},
		{"key " + anthropicKey, "key [REDACTED:anthropic]"},
		{"key " + googleKey, "key [REDACTED:google]"},
		{"key " + hfKey, "key [REDACTED:huggingface]"},
		{"key " + githubKey, "key [REDACTED:github]"},
		{"key " + githubPAT, "key [REDACTED:github]"},
		{"key " + gitlabKey, "key [REDACTED:gitlab]"},
		{"key " + slackKey, "key [REDACTED:slack]"},
		{"key " + awsKey, "key [REDACTED:aws]"},
		{"key " + stripeKey, "key [REDACTED:stripe]"},
		{"id " + jwt, "id [REDACTED:jwt]"},
		{"Authorization: Token " + deepgramKey, "Authorization: Token [REDACTED:header]"},
		{"sent Token " + deepgramKey + " upstream", "sent Token [REDACTED:deepgram] upstream"},
		{"DEEPGRAM_KEY " + deepgramKey, "DEEPGRAM_KEY [REDACTED:deepgram]"},
		{"with Bearer " + "abc123def456ghi", "with Bearer [REDACTED:bearer]"},
		{"with Basic dXNlcjpodW50ZXIy", "with Basic [REDACTED:basic]"},
	})
}

func TestTokenTrailingPunctuation(t *testing.T) {
	for _, tail := range []string{".", ",", ")", "&", ";", "'", "\"", "]", "!", ":"} {
		for _, tok := range []string{openAIKey, anthropicKey, githubKey, awsKey, jwt, slackKey} {
			in := "(see " + tok + tail + " next"
			got := redact.String(in)
			if strings.Contains(got, tok[4:12]) {
				t.Errorf("String(%q) = %q, leaks part of the token", in, got)
			}
			if !strings.Contains(got, "]"+tail+" next") {
				t.Errorf("String(%q) = %q, lost the %q after the token", in, got, tail)
			}
		}
	}
}

func TestTokenFalsePositives(t *testing.T) {
	for _, in := range []string{
		"The quick brown fox jumps over the lazy dog, then asks: why?",
		"request 550e8400-e29b-41d4-a716-446655440000 finished in 12ms",
		"commit 3f786850e387550fdab836ed7e6dc881de23001b (HEAD -> main)",
		"Merge a1b2c3d4e5f60718293a4b5c6d7e8f9012345678 into 0123456789abcdef0123456789abcdef01234567",
		"sk-learn is a library; ask-me-anything; risk-free",
		"the token was rejected; use basic authentication or a bearer token",
		"AKIA is a prefix, AIza too, hf_ and ghp_ alone are not keys",
		"sk_live_x, xoxb-1, glpat-short, github_pat_1 and sk-ant-x are too short",
		"AKIAIOSFODNN7EXAMPLEX has one character too many for an access key id",
		"time=2024-01-02T15:04:05.000Z level=INFO msg=\"served\" status=200 bytes=512",
		"token_count=1532 max_tokens=4096 public_key=ssh-ed25519 password_file=/run/pw",
		"eyJ alone is not a JWT, nor is eyJhbGciOi.short",
		"mail bob@example.com about http://example.com/a@b and x:y@z",
		"C:\\Users\\bob\\AppData is a path; 10:30:15 is a time",
		"naïve café — Ünïcödé text stays 日本語",
	} {
		if got := redact.String(in); got != in {
			t.Errorf("String(%q)\n got %q, want it unchanged", in, got)
		}
	}
}

func TestKeyValues(t *testing.T) {
	check(t, []struct{ in, want string }{
		{"password=hunter2 user=bob", "password=[REDACTED:key] user=bob"},
		{"PASSWORD = hunter2", "PASSWORD = [REDACTED:key]"},
		{"cfg db.password: s3cr,et then", "cfg db.password: [REDACTED:key] then"},
		{"db.password: at line start\nok", `db.password: [REDACTED:key]\nok`},
		{"client_secret=abc&grant_type=x", "client_secret=[REDACTED:key]&grant_type=x"},
		{"X-Api-Key=abc123", "X-Api-Key=[REDACTED:key]"},
		{"OPENAI_API_KEY=whatever", "OPENAI_API_KEY=[REDACTED:key]"},
		{`{"password": "a b c", "user": "bob"}`, `{"password": "[REDACTED:key]", "user": "bob"}`},
		{`{"refresh_token":"r1","n":1}`, `{"refresh_token":"[REDACTED:key]","n":1}`},
		{`body "{\"api_key\":\"k1\"}"`, `body "{\"api_key\":\"[REDACTED:key]\"}"`},
		{`{"credentials": {"user": "a", "pass": "b"}, "ok": true}`,
			`{"credentials": [REDACTED:key], "ok": true}`},
		{"session_id='abc def'", "session_id='[REDACTED:key]'"},
		{"got token: abc (expired)", "got token: [REDACTED:key] (expired)"},
		{"password=p)w(d done", "password=[REDACTED:key] done"},
		{"password=[REDACTED] stays", "password=[REDACTED] stays"},
	})
}

func TestKeyValueAllowList(t *testing.T) {
	for _, in := range []string{
		"token_count=17", "max_tokens=4096", "input_tokens: 12", "public_key=ssh-ed25519",
		"session_timeout=30s", "signature_algorithm=ed25519", "author=bob",
		"passage=chapter1", "password_file=/run/secrets/db",
	} {
		if got := redact.String(in); got != in {
			t.Errorf("String(%q) = %q, want it unchanged", in, got)
		}
	}
}

func TestSensitiveKey(t *testing.T) {
	for key, want := range map[string]bool{
		"password": true, "Passwd": true, "api_key": true, "X-API-KEY": true,
		"accessToken": true, "refresh-token": true, "client_secret": true,
		"private_key": true, "Authorization": true, "cookie": true,
		"sessionid": true, "signature": true, "aws_secret_access_key": true,
		"auth": true, "pwd": true, "token_count": false, "max_tokens": false,
		"public_key": false, "author": false, "user": false, "": false,
		"message": false, "key": false,
	} {
		if got := redact.SensitiveKey(key); got != want {
			t.Errorf("SensitiveKey(%q) = %v, want %v", key, got, want)
		}
	}
}

func TestStructures(t *testing.T) {
	check(t, []struct{ in, want string }{
		{"dial https://bob:hunter2@api.example.com/v1 failed",
			"dial https://bob:[REDACTED:url]@api.example.com/v1 failed"},
		{"postgres://app:pa55@db:5432/main?sslmode=disable",
			"postgres://app:[REDACTED:url]@db:5432/main?sslmode=disable"},
		{"clone https://" + strings.Repeat("t0k", 8) + "@github.com/x/y",
			"clone https://[REDACTED:url]@github.com/x/y"},
		{"ssh://git@github.com/x", "ssh://git@github.com/x"},
		{"mysql app:pa55@tcp(db:3306)/main", "mysql app:[REDACTED:url]@tcp(db:3306)/main"},
		{"host=db port=5432 user=app password=pa55 dbname=main",
			"host=db port=5432 user=app password=[REDACTED:key] dbname=main"},
		{"Server=db;User Id=app;Password=pa55;Database=main",
			"Server=db;User Id=app;Password=[REDACTED:key];Database=main"},
		{"GET /?access_token=abc&page=2", "GET /?access_token=[REDACTED:key]&page=2"},
		{"key:\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaA==\n-----END OPENSSH PRIVATE KEY-----\nok",
			`key:\n[REDACTED:pem]\nok`},
		{"-----BEGIN PRIVATE KEY-----\nMIIEvQ truncated", "[REDACTED:pem]"},
		{"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
			`-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----`},
	})
}

func TestHeaderLines(t *testing.T) {
	check(t, []struct{ in, want string }{
		{"Authorization: Bearer abc.def\r\nHost: x",
			`Authorization: Bearer [REDACTED:header]\r\nHost: x`},
		{"Proxy-Authorization: Basic dXNlcjpwYXNz", "Proxy-Authorization: Basic [REDACTED:header]"},
		{"Cookie: sid=abc; theme=dark\nX: y", `Cookie: sid=[REDACTED:header]; theme=[REDACTED:header]\nX: y`},
		{"Set-Cookie: sid=abc; Path=/; HttpOnly", "Set-Cookie: sid=[REDACTED:header]; Path=/; HttpOnly"},
		{"X-Api-Key: two words\nok", `X-Api-Key: [REDACTED:key]\nok`},
		{`header "Authorization: Bearer abc" rejected`,
			`header "Authorization: Bearer [REDACTED:header]" rejected`},
	})
}

func TestEncodedSpans(t *testing.T) {
	check(t, []struct{ in, want string }{
		// base64 of {"client_secret":"abc"}
		{"cred eyJjbGllbnRfc2VjcmV0IjoiYWJjIn0= end", "cred [REDACTED:encoded] end"},
		{"q=" + "%7B%22password%22%3A%22x%22%7D" + " end", "q=[REDACTED:encoded] end"},
		// base64 of ordinary text stays.
		{"data aGVsbG8gd29ybGQsIGhvdyBhcmUgeW91", "data aGVsbG8gd29ybGQsIGhvdyBhcmUgeW91"},
		{"path /a%20b/c%2Fd", "path /a%20b/c%2Fd"},
	})
}

func TestControlCharacters(t *testing.T) {
	check(t, []struct{ in, want string }{
		{"a\nb\rc\td", `a\nb\rc\td`},
		{"bell\x07 esc\x1b[31m del\x7f", `bell\x07 esc\x1b[31m del\x7f`},
		{"sep\u2028x\u202ey\u0085", `sep\u2028x\u202ey\u0085`},
		{"bad \xff byte", `bad \xff byte`},
	})
}

func TestRegisteredSecrets(t *testing.T) {
	r, err := redact.New(redact.Config{Secrets: []string{"pw42", "hunter2 and more"}})
	if err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]string{
		"pin pw42.":                        "pin [REDACTED:secret].",
		"b64 cHc0Mg== hex 70773432":        "b64 [REDACTED:secret] hex [REDACTED:secret]",
		"url hunter2+and+more or %20":      "url [REDACTED:secret] or %20",
		"path hunter2%20and%20more":        "path [REDACTED:secret]",
		"upper hex 70773432 and 70773432.": "upper hex [REDACTED:secret] and [REDACTED:secret].",
		"pw4 alone":                        "pw4 alone",
	} {
		if got := r.String(in); got != want {
			t.Errorf("String(%q) = %q, want %q", in, got, want)
		}
	}
	if got := redact.String("pin pw42"); got != "pin pw42" {
		t.Errorf("Default().String(%q) = %q: a registered secret leaked into the default", "pin pw42", got)
	}
}

func TestNewRejectsInvalidConfig(t *testing.T) {
	for name, cfg := range map[string]redact.Config{
		"Secrets[0]":       {Secrets: []string{"abc"}},
		"MaxDepth":         {MaxDepth: -1},
		"MaxNodes":         {MaxNodes: -1},
		"SensitiveKeys[1]": {SensitiveKeys: []string{"pin", "--"}},
	} {
		if _, err := redact.New(cfg); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("New(%+v) error = %v, want one naming %s", cfg, err, name)
		}
	}
}

func TestConfigKeysAndOmitRule(t *testing.T) {
	r, err := redact.New(redact.Config{
		SensitiveKeys: []string{"ssn"}, AllowKeys: []string{"session_label"}, OmitRule: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	in := "user_ssn=123 session_label=blue password=x"
	want := "user_ssn=[REDACTED] session_label=blue password=[REDACTED]"
	if got := r.String(in); got != want {
		t.Errorf("String(%q) = %q, want %q", in, got, want)
	}
}

func TestBytes(t *testing.T) {
	in := []byte("password=hunter2")
	got := redact.Bytes(in)
	if string(got) != "password=[REDACTED:key]" {
		t.Errorf("Bytes(%q) = %q", in, got)
	}
	if string(in) != "password=hunter2" {
		t.Errorf("Bytes modified its input: %q", in)
	}
}

func TestKeyPrefixInProse(t *testing.T) {
	// Go error messages start with "pkg: ", so a sensitive word followed
	// by ": " and a sentence is a prefix, not a key with a value.
	for _, in := range []string{
		"session: permission denied for screen.control: expired",
		"plandemo: not authorized\nsession: grant expired",
		"session: Config.MaxTTL -1s is negative",
		"session: Config.ClockCheckInterval -1s is negative",
		"session: Config.Key has 3 bytes, want at least 16",
		"token: invalid",
		"token: invalid signature",
		"secret: not found",
		"load secret: not found",
		"auth: login failed: password: incorrect",
		"session: expired",
	} {
		got := redact.String(in)
		want := strings.NewReplacer("\n", `\n`).Replace(in)
		if got != want {
			t.Errorf("String(%q)\n got %q, want it unchanged", in, got)
		}
	}
}

func TestKeyValueLeaksNearProse(t *testing.T) {
	check(t, []struct{ in, want string }{
		{"password: hunter2", "password: [REDACTED:key]"},
		{"password: hunter", "password: [REDACTED:key]"},
		{"login with password: hunter2 failed", "login with password: [REDACTED:key] failed"},
		{"password: p@ss w0rd", "password: [REDACTED:key] w0rd"},
		{"token: " + strings.Repeat("abcdefgh", 3) + " rejected",
			"token: [REDACTED:key] rejected"},
		{"token: abc (expired)", "token: [REDACTED:key] (expired)"},
		{"token:invalid", "token:[REDACTED:key]"},
		{"secret=not found", "secret=[REDACTED:key] found"},
		{`token: "abc def" rejected`, `token: "[REDACTED:key]" rejected`},
		{`{"session": "permission denied"}`, `{"session": "[REDACTED:key]"}`},
		{"Session: two words", "Session: [REDACTED:key]"},
		{"api_key: two words", "api_key: [REDACTED:key]"},
		{"cfg api_key: two words", "cfg api_key: [REDACTED:key] words"},
		{"Authorization: Bearer abc def", "Authorization: Bearer [REDACTED:header]"},
		{"cookie: sid=abc", "cookie: sid=[REDACTED:header]"},
	})
}

func TestZeroWidthInsideTokens(t *testing.T) {
	for _, zw := range []string{"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"} {
		for _, tok := range []string{openAIKey, githubKey, awsKey, slackKey, stripeKey} {
			split := tok[:10] + zw + tok[10:]
			in := "key " + split + ", next"
			got := redact.String(in)
			for _, part := range []string{tok[4:10], tok[10:16], tok[len(tok)-6:]} {
				if strings.Contains(got, part) {
					t.Errorf("String(%q) = %q, leaks %q", in, got, part)
				}
			}
			if !strings.HasSuffix(got, "], next") {
				t.Errorf("String(%q) = %q, want the text after the token kept", in, got)
			}
		}
	}
}

func TestZeroWidthEscaped(t *testing.T) {
	check(t, []struct{ in, want string }{
		{"pass\u200bword=x", `pass\u200bword=x`},
		{"a\u2060b\ufeffc", `a\u2060b\ufeffc`},
		// Joiners stay: emoji sequences and several scripts need them.
		{"family 👨\u200d👩\u200d👧, می\u200cخواهم", "family 👨\u200d👩\u200d👧, می\u200cخواهم"},
	})
}

func TestEncodedPaddingVariants(t *testing.T) {
	for _, secret := range []string{"token=abcdefg", "pwd=hunter2?>", `{"secret":"x"}`} {
		std := base64.StdEncoding.EncodeToString([]byte(secret))
		for _, enc := range []string{
			std, strings.TrimRight(std, "="), std + "=",
			base64.URLEncoding.EncodeToString([]byte(secret)),
			base64.RawURLEncoding.EncodeToString([]byte(secret)),
			strings.ReplaceAll(std, "=", "%3D"),
		} {
			in := "cred " + enc + " end"
			if got := redact.String(in); got != "cred [REDACTED:encoded] end" {
				t.Errorf("String(%q) = %q, want the encoded %q redacted", in, got, secret)
			}
		}
	}
}

func TestRegisteredSecretJSONEscapes(t *testing.T) {
	r, err := redact.New(redact.Config{Secrets: []string{`p&ss"w0rd`, "pässwörd42"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range []string{
		`body {"pw":"p&ss\"w0rd"}`,           // an encoder without HTML escaping, as slog's
		`body {"pw":"p\u0026ss\"w0rd"}`,      // encoding/json
		`body {"pw":"p\u00e4ssw\u00f6rd42"}`, // ASCII-only encoders, as Python's json
		`body {"pw":"pässwörd42"}`,
	} {
		got := r.String(in)
		if got != `body {"pw":"[REDACTED:secret]"}` {
			t.Errorf("String(%q) = %q, want the secret redacted", in, got)
		}
	}
}

func TestSensitiveKeyCloudNames(t *testing.T) {
	for _, key := range []string{
		"Ocp-Apim-Subscription-Key", "AccountKey", "azure_storage_account_key", "sig",
	} {
		if !redact.SensitiveKey(key) {
			t.Errorf("SensitiveKey(%q) = false, want true", key)
		}
	}
	for _, key := range []string{"signal", "AccountKeyName", "subscription_id", "design"} {
		if redact.SensitiveKey(key) {
			t.Errorf("SensitiveKey(%q) = true, want false", key)
		}
	}
	check(t, []struct{ in, want string }{
		{"GET https://acct.blob.core.windows.net/c/b?sv=2024&se=x&sig=abc%2Bdef%3D",
			"GET https://acct.blob.core.windows.net/c/b?sv=2024&se=x&sig=[REDACTED:key]"},
		{"DefaultEndpointsProtocol=https;AccountName=a;AccountKey=bXlrZXk=;EndpointSuffix=x",
			"DefaultEndpointsProtocol=https;AccountName=a;AccountKey=[REDACTED:key];EndpointSuffix=x"},
	})
}

// TestQuotedURLBeforeColon checks that a quoted URL or path followed by
// ": ", as net/http errors print it, is not read as a JSON key. The query
// secret goes and the words after the quote stay.
func TestQuotedURLBeforeColon(t *testing.T) {
	check(t, []struct{ in, want string }{
		{`Get "http://h/?api_key=x": dial tcp 127.0.0.1:1: connect: connection refused`,
			`Get "http://h/?api_key=[REDACTED:key]": dial tcp 127.0.0.1:1: connect: connection refused`},
		{`Post "http://127.0.0.1:4/v1/listen?token=abc&page=2": read: connection reset`,
			`Post "http://127.0.0.1:4/v1/listen?token=[REDACTED:key]&page=2": read: connection reset`},
		{`Get "https://u:pw@h/token": EOF`, `Get "https://u:[REDACTED:url]@h/token": EOF`},
		{`open "/run/secrets/api_token": permission denied`,
			`open "/run/secrets/api_token": permission denied`},
		{`{"api_key": "x"}`, `{"api_key": "[REDACTED:key]"}`},
		{`{"api_key": x, "url": "http://h/?a=b"}`, `{"api_key": [REDACTED:key], "url": "http://h/?a=b"}`},
		{`{\"access_token\": \"x\"}`, `{\"access_token\": \"[REDACTED:key]\"}`},
		{`"API Key": secret1`, `"API Key": [REDACTED:key]`},
	})
}

// TestErrorCodeBeforeColon checks that an error code whose name holds a
// sensitive word, as in "ERR-SessionExpired: ...", is not taken for a key.
func TestErrorCodeBeforeColon(t *testing.T) {
	check(t, []struct{ in, want string }{
		{"ERR-SessionExpired: operation failed", "ERR-SessionExpired: operation failed"},
		{"ERR-SessionExpired: session: grant expired -- Grant it again.",
			"ERR-SessionExpired: session: grant expired -- Grant it again."},
		{"ERR-TokenRejected: x", "ERR-TokenRejected: x"},
		{"ERR-TokenRejected: " + openAIKey, "ERR-TokenRejected: [REDACTED:openai]"},
		{"session_token: abc123", "session_token: [REDACTED:key]"},
	})
}
