// Package wav encodes and decodes the RIFF/WAVE files that the examples
// send to their speech-to-text stand-ins: 16-bit PCM samples plus an
// optional LIST/INFO comment that the stand-ins read back as the
// transcript, so a recording and its expected text travel together.
package wav

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// FormatPCM is the WAVE format tag of uncompressed integer PCM.
const FormatPCM = 1

// FormatFloat is the WAVE format tag of IEEE 754 floating-point samples.
const FormatFloat = 3

// ErrInvalid reports bytes that are not a well-formed WAVE file.
var ErrInvalid = errors.New("wav: invalid file")

// Header is the "fmt " chunk of a WAVE file.
type Header struct {
	Format        uint16 // FormatPCM or another WAVE format tag
	Channels      uint16
	SampleRate    uint32 // samples per second per channel
	BitsPerSample uint16
}

// File is a decoded WAVE file.
type File struct {
	Header
	Data    []byte // the "data" chunk, little-endian samples
	Comment string // the LIST/INFO ICMT text, empty when absent
}

// Duration returns the length of the audio in seconds.
func (f *File) Duration() float64 {
	frame := int(f.Channels) * int(f.BitsPerSample) / 8
	if frame == 0 || f.SampleRate == 0 {
		return 0
	}
	return float64(len(f.Data)/frame) / float64(f.SampleRate)
}

// Speech returns a mono 16 kHz 16-bit PCM recording of the given length in
// seconds: a sequence of sine tones, one per word of comment, standing in
// for a spoken phrase, with comment stored as its LIST/INFO ICMT text.
func Speech(comment string, seconds float64) []byte {
	const rate = 16000
	n := int(seconds * rate)
	samples := make([]int16, n)
	words := 1
	for _, c := range comment {
		if c == ' ' {
			words++
		}
	}
	per := max(n/words, 1)
	for i := range samples {
		word := i / per
		freq := 220.0 + 55.0*float64(word%8)
		envelope := math.Sin(math.Pi * float64(i%per) / float64(per))
		v := 0.4 * envelope * math.Sin(2*math.Pi*freq*float64(i)/rate)
		samples[i] = int16(v * math.MaxInt16)
	}
	h := Header{Format: FormatPCM, Channels: 1, SampleRate: rate, BitsPerSample: 16}
	return Encode(h, pcm16(samples), comment)
}

func pcm16(samples []int16) []byte {
	b := make([]byte, 2*len(samples))
	for i, s := range samples {
		binary.LittleEndian.PutUint16(b[2*i:], uint16(s))
	}
	return b
}

// Encode returns a WAVE file with header h, the sample bytes data, and a
// LIST/INFO chunk carrying comment when comment is not empty.
func Encode(h Header, data []byte, comment string) []byte {
	var info []byte
	if comment != "" {
		text := append([]byte(comment), 0)
		info = append([]byte("INFO"), chunk("ICMT", text)...)
	}
	body := []byte("WAVE")
	body = append(body, chunk("fmt ", fmtChunk(h))...)
	if info != nil {
		body = append(body, chunk("LIST", info)...)
	}
	body = append(body, chunk("data", data)...)
	return chunk("RIFF", body)
}

func fmtChunk(h Header) []byte {
	b := make([]byte, 16)
	frame := h.Channels * h.BitsPerSample / 8
	binary.LittleEndian.PutUint16(b[0:], h.Format)
	binary.LittleEndian.PutUint16(b[2:], h.Channels)
	binary.LittleEndian.PutUint32(b[4:], h.SampleRate)
	binary.LittleEndian.PutUint32(b[8:], h.SampleRate*uint32(frame))
	binary.LittleEndian.PutUint16(b[12:], frame)
	binary.LittleEndian.PutUint16(b[14:], h.BitsPerSample)
	return b
}

// chunk frames payload as a RIFF chunk: id, little-endian size, payload and
// the pad byte that keeps the next chunk on an even offset.
func chunk(id string, payload []byte) []byte {
	b := make([]byte, 8, 8+len(payload)+1)
	copy(b, id)
	binary.LittleEndian.PutUint32(b[4:], uint32(len(payload)))
	b = append(b, payload...)
	if len(payload)%2 == 1 {
		b = append(b, 0)
	}
	return b
}

// Decode parses a WAVE file. It returns an error wrapping ErrInvalid when
// the RIFF structure is broken, the "fmt " or "data" chunk is missing, or
// a chunk runs past the end of b. It does not judge whether the format is
// one a consumer supports.
func Decode(b []byte) (*File, error) {
	if len(b) < 12 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return nil, fmt.Errorf("%w: no RIFF/WAVE header", ErrInvalid)
	}
	size := binary.LittleEndian.Uint32(b[4:8])
	if size < 4 || uint64(size)+8 > uint64(len(b)) {
		return nil, fmt.Errorf("%w: RIFF size %d does not fit the %d bytes present",
			ErrInvalid, size, len(b)-8)
	}
	f := &File{}
	var haveFmt, haveData bool
	rest := b[12 : 8+size]
	for len(rest) > 0 {
		if len(rest) < 8 {
			return nil, fmt.Errorf("%w: truncated chunk header", ErrInvalid)
		}
		id, n := string(rest[0:4]), binary.LittleEndian.Uint32(rest[4:8])
		if uint64(n) > uint64(len(rest)-8) {
			return nil, fmt.Errorf("%w: chunk %q of %d bytes is truncated", ErrInvalid, id, n)
		}
		payload := rest[8 : 8+n]
		switch id {
		case "fmt ":
			if n < 16 {
				return nil, fmt.Errorf("%w: fmt chunk of %d bytes", ErrInvalid, n)
			}
			f.Header = parseFmt(payload)
			haveFmt = true
		case "data":
			f.Data = payload
			haveData = true
		case "LIST":
			f.Comment = parseInfo(payload)
		}
		skip := 8 + uint64(n) + uint64(n%2)
		rest = rest[min(skip, uint64(len(rest))):]
	}
	if !haveFmt || !haveData {
		return nil, fmt.Errorf("%w: missing fmt or data chunk", ErrInvalid)
	}
	return f, nil
}

func parseFmt(b []byte) Header {
	return Header{
		Format:        binary.LittleEndian.Uint16(b[0:]),
		Channels:      binary.LittleEndian.Uint16(b[2:]),
		SampleRate:    binary.LittleEndian.Uint32(b[4:]),
		BitsPerSample: binary.LittleEndian.Uint16(b[14:]),
	}
}

// parseInfo returns the ICMT text of a LIST/INFO payload, or "".
func parseInfo(b []byte) string {
	if len(b) < 4 || string(b[0:4]) != "INFO" {
		return ""
	}
	rest := b[4:]
	for len(rest) >= 8 {
		id, n := string(rest[0:4]), binary.LittleEndian.Uint32(rest[4:8])
		if uint64(n) > uint64(len(rest)-8) {
			return ""
		}
		if id == "ICMT" {
			text := rest[8 : 8+n]
			for len(text) > 0 && text[len(text)-1] == 0 {
				text = text[:len(text)-1]
			}
			return string(text)
		}
		skip := 8 + uint64(n) + uint64(n%2)
		rest = rest[min(skip, uint64(len(rest))):]
	}
	return ""
}
