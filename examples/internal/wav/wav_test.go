package wav_test

import (
	"errors"
	"testing"

	"github.com/cowork-ai/resilience/examples/internal/wav"
)

func TestSpeechRoundTrip(t *testing.T) {
	b := wav.Speech("open the quarterly report", 1.5)
	f, err := wav.Decode(b)
	if err != nil {
		t.Fatalf("Decode(Speech(...)) error: %v", err)
	}
	want := wav.Header{Format: wav.FormatPCM, Channels: 1, SampleRate: 16000, BitsPerSample: 16}
	if f.Header != want {
		t.Errorf("Header = %+v, want %+v", f.Header, want)
	}
	if f.Comment != "open the quarterly report" {
		t.Errorf("Comment = %q, want %q", f.Comment, "open the quarterly report")
	}
	if got := f.Duration(); got != 1.5 {
		t.Errorf("Duration() = %v, want 1.5", got)
	}
	if len(f.Data) != 48000 {
		t.Errorf("len(Data) = %d, want 48000", len(f.Data))
	}
}

func TestSpeechIsNotSilent(t *testing.T) {
	f, err := wav.Decode(wav.Speech("hello", 0.1))
	if err != nil {
		t.Fatal(err)
	}
	var peak int16
	for i := 0; i+1 < len(f.Data); i += 2 {
		peak = max(peak, int16(uint16(f.Data[i])|uint16(f.Data[i+1])<<8))
	}
	if peak < 1000 {
		t.Errorf("peak sample = %d, want an audible signal above 1000", peak)
	}
}

func TestDecodeInvalid(t *testing.T) {
	good := wav.Speech("hello world", 0.2)
	noData := wav.Encode(wav.Header{Format: wav.FormatPCM, Channels: 1, SampleRate: 8000,
		BitsPerSample: 16}, nil, "")
	noData = noData[:len(noData)-8] // drop the empty data chunk
	noData[4] -= 8
	tests := map[string][]byte{
		"empty":          nil,
		"not riff":       []byte("RIFX\x00\x00\x00\x00WAVE"),
		"truncated":      good[:len(good)/2],
		"header only":    good[:12],
		"missing data":   noData,
		"oversized size": append([]byte("RIFF\xff\xff\xff\x7fWAVE"), good[12:]...),
	}
	for name, b := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := wav.Decode(b)
			if !errors.Is(err, wav.ErrInvalid) {
				t.Errorf("Decode error = %v, want ErrInvalid", err)
			}
		})
	}
}

func TestEncodeOddComment(t *testing.T) {
	h := wav.Header{Format: wav.FormatFloat, Channels: 2, SampleRate: 44100, BitsPerSample: 32}
	b := wav.Encode(h, make([]byte, 16), "odd")
	if len(b)%2 != 0 {
		t.Errorf("len = %d, want an even length", len(b))
	}
	f, err := wav.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if f.Header != h || f.Comment != "odd" {
		t.Errorf("Decode = %+v %q, want %+v %q", f.Header, f.Comment, h, "odd")
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(wav.Speech("a b", 0.01))
	f.Add([]byte("RIFF\x04\x00\x00\x00WAVE"))
	f.Add([]byte("RIFF\x10\x00\x00\x00WAVELIST\x04\x00\x00\x00INFO"))
	f.Fuzz(func(t *testing.T, b []byte) {
		file, err := wav.Decode(b)
		if err == nil && file.Duration() < 0 {
			t.Errorf("Duration() = %v, want >= 0", file.Duration())
		}
	})
}
