package standin_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/goleak"

	"github.com/cowork-ai/resilience/examples/internal/standin"
	"github.com/cowork-ai/resilience/examples/internal/wav"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const key = "sk-test-0123456789"

func newProvider(t *testing.T) *standin.Provider {
	t.Helper()
	p, err := standin.NewProvider("primary", key)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

func post(t *testing.T, ctx context.Context, url, apiKey string, body []byte) (
	*http.Response, standin.ErrorBody, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+apiKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, standin.ErrorBody{}, err
	}
	defer resp.Body.Close()
	var e standin.ErrorBody
	if resp.StatusCode != http.StatusOK {
		if err := json.NewDecoder(resp.Body).Decode(&e); err != nil {
			t.Fatalf("decode error body: %v", err)
		}
	}
	return resp, e, nil
}

func TestProviderTranscribes(t *testing.T) {
	p := newProvider(t)
	audio := wav.Speech("open the report", 0.5)
	req, _ := http.NewRequest(http.MethodPost, p.URL(), bytes.NewReader(audio))
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tr standin.Transcript
	if err := json.NewDecoder(resp.Body).Decode(&tr); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || tr.Text != "open the report" || tr.Provider != "primary" {
		t.Errorf("response = %d %+v, want 200 with the recording's text", resp.StatusCode, tr)
	}
	reqs := p.Requests()
	if len(reqs) != 1 || reqs[0].Bytes != len(audio) || len(reqs[0].BodySHA256) != 64 {
		t.Errorf("Requests() = %+v, want one record of %d bytes", reqs, len(audio))
	}
}

func TestProviderFaults(t *testing.T) {
	p := newProvider(t)
	audio := wav.Speech("hello", 0.1)
	p.Script(standin.Fault{Kind: standin.FaultRateLimit, RetryAfter: 1500 * time.Millisecond},
		standin.Fault{Kind: standin.FaultQuota},
		standin.Fault{Kind: standin.FaultUnavailable})

	resp, e, err := post(t, context.Background(), p.URL(), key, audio)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "2" ||
		resp.Header.Get("X-RateLimit-Reset-Requests") != "1.5s" ||
		e.Error.Code != "rate_limit_exceeded" {
		t.Errorf("rate limit = %d %v %+v, want 429 with Retry-After 2 and reset 1.5s",
			resp.StatusCode, resp.Header, e)
	}

	resp, e, _ = post(t, context.Background(), p.URL(), key, audio)
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "" ||
		e.Error.Code != "insufficient_quota" {
		t.Errorf("quota = %d %v %+v, want 429 insufficient_quota without Retry-After",
			resp.StatusCode, resp.Header, e)
	}

	resp, e, _ = post(t, context.Background(), p.URL(), key, audio)
	if resp.StatusCode != 503 || e.Error.Code != "service_unavailable" {
		t.Errorf("unavailable = %d %+v, want 503", resp.StatusCode, e)
	}

	resp, _, _ = post(t, context.Background(), p.URL(), key, audio)
	if resp.StatusCode != 200 {
		t.Errorf("after the script = %d, want 200", resp.StatusCode)
	}
}

func TestProviderOutage(t *testing.T) {
	p := newProvider(t)
	audio := wav.Speech("hello", 0.1)
	p.Script(standin.Fault{Kind: standin.FaultQuota})
	p.SetOutage(true)
	for range 2 {
		resp, _, _ := post(t, context.Background(), p.URL(), key, audio)
		if resp.StatusCode != 503 {
			t.Errorf("during the outage = %d, want 503", resp.StatusCode)
		}
	}
	p.SetOutage(false)
	resp, e, _ := post(t, context.Background(), p.URL(), key, audio)
	if resp.StatusCode != 429 || e.Error.Code != "insufficient_quota" {
		t.Errorf("after the outage = %d %q, want the scripted quota fault kept",
			resp.StatusCode, e.Error.Code)
	}
}

func TestProviderKeyInQuery(t *testing.T) {
	p := newProvider(t)
	resp, _, err := post(t, context.Background(), p.URL()+"?key="+key, "", wav.Speech("hi", 0.1))
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		t.Errorf("key in query = %d, want 200", resp.StatusCode)
	}
}

func TestProviderRejectsAudio(t *testing.T) {
	p := newProvider(t)
	float := wav.Encode(wav.Header{Format: wav.FormatFloat, Channels: 1, SampleRate: 16000,
		BitsPerSample: 32}, make([]byte, 64), "hi")
	tests := []struct {
		name string
		body []byte
		code string
	}{
		{"corrupt", wav.Speech("hello", 0.1)[:30], "invalid_audio"},
		{"not audio", []byte("hello"), "invalid_audio"},
		{"float samples", float, "unsupported_audio_format"},
	}
	for _, tt := range tests {
		resp, e, err := post(t, context.Background(), p.URL(), key, tt.body)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 400 || e.Error.Code != tt.code {
			t.Errorf("%s: %d %q, want 400 %q", tt.name, resp.StatusCode, e.Error.Code, tt.code)
		}
	}
}

func TestProviderRejectsWrongKey(t *testing.T) {
	p := newProvider(t)
	resp, e, _ := post(t, context.Background(), p.URL(), "sk-wrong", wav.Speech("hi", 0.1))
	if resp.StatusCode != 401 || e.Error.Code != "invalid_api_key" {
		t.Errorf("wrong key = %d %q, want 401 invalid_api_key", resp.StatusCode, e.Error.Code)
	}
}

func TestProviderSlowOutlastsClient(t *testing.T) {
	p := newProvider(t)
	p.Script(standin.Fault{Kind: standin.FaultSlow, Delay: time.Minute})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, _, err := post(t, ctx, p.URL(), key, wav.Speech("hi", 0.1))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("slow request error = %v, want DeadlineExceeded", err)
	}
	if err := p.Close(); err != nil {
		t.Errorf("Close() = %v, want the slow handler to end with its client", err)
	}
}

func dial(t *testing.T, url string) *websocket.Conn {
	t.Helper()
	c, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	return c
}

func TestBackendRestart(t *testing.T) {
	b, err := standin.NewBackend()
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	url := b.URL()

	c := dial(t, url)
	defer c.Close()
	if err := c.WriteJSON(standin.Message{Type: "subscribe", Topic: "transcripts"}); err != nil {
		t.Fatal(err)
	}
	var m standin.Message
	if err := c.ReadJSON(&m); err != nil || m.Type != "subscribed" {
		t.Fatalf("subscribe reply = %+v, %v; want subscribed", m, err)
	}

	b.Down()
	_, _, err = c.ReadMessage()
	if !websocket.IsCloseError(err, websocket.CloseServiceRestart) {
		t.Errorf("read after Down = %v, want close 1012", err)
	}
	if _, _, err := websocket.DefaultDialer.Dial(url, nil); err == nil {
		t.Error("dial while down succeeded, want refused")
	}

	if err := b.Up(); err != nil {
		t.Fatal(err)
	}
	if b.URL() != url {
		t.Errorf("URL after Up = %s, want %s", b.URL(), url)
	}
	c2 := dial(t, url)
	defer c2.Close()
	if err := c2.WriteJSON(standin.Message{Type: "command", ID: "7", Text: "x"}); err != nil {
		t.Fatal(err)
	}
	if err := c2.ReadJSON(&m); err != nil || m.Type != "ack" || m.ID != "7" {
		t.Fatalf("command reply = %+v, %v; want ack 7", m, err)
	}
	got := b.Received()
	if len(got) != 2 || got[0].Conn != 1 || got[1].Conn != 2 || got[1].ID != "7" {
		t.Errorf("Received() = %+v, want subscribe on 1 and command 7 on 2", got)
	}
	if b.Accepted() != 2 {
		t.Errorf("Accepted() = %d, want 2", b.Accepted())
	}
}
