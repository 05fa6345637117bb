package plugin

import (
	"encoding/json"
	"testing"
	"time"
)

func FuzzDecodeManifest(f *testing.F) {
	valid, _ := json.Marshal(Manifest{
		ID: "echo", Version: "1.0.0", Entry: "bin/run",
		HostAPI:   APIRange{Min: "1.0.0"},
		Files:     []File{{Path: "bin/run", SHA256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}},
		IssuedAt:  time.Unix(0, 0),
		ExpiresAt: time.Unix(1, 0),
	})
	f.Add(valid)
	f.Add([]byte(`{"id":"x","files":[{"path":"../a"}]}`))
	f.Add([]byte(`{"id":"x"} {"id":"y"}`))
	f.Add([]byte(`{"unknown":1}`))
	f.Add([]byte(`{"id":"x","id":"y"}`))
	f.Add([]byte(`{"ID":"x","files":[{"PATH":"a","path":"b"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, reason, err := decodeManifest(data)
		if err != nil {
			if reason == ReasonNone {
				t.Fatalf("rejection without a reason: %v", err)
			}
			return
		}
		for _, file := range m.Files {
			if !localPath(file.Path) {
				t.Fatalf("accepted path %q", file.Path)
			}
		}
		if !localPath(m.Entry) {
			t.Fatalf("accepted entry %q", m.Entry)
		}
	})
}

func FuzzCompareVersions(f *testing.F) {
	for _, s := range []string{"1.0.0", "1.0.0-alpha.1", "1.0.0+build", "0.0.0-0", "99999999999999999999.0.0"} {
		f.Add(s, "1.0.0")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		ab, errA := CompareVersions(a, b)
		ba, errB := CompareVersions(b, a)
		if (errA == nil) != (errB == nil) {
			t.Fatalf("errors differ by order: %v, %v", errA, errB)
		}
		if errA == nil && ab != -ba {
			t.Fatalf("CompareVersions(%q, %q) = %d but reversed = %d", a, b, ab, ba)
		}
	})
}
