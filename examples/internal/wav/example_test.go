package wav_test

import (
	"fmt"

	"github.com/cowork-ai/resilience/examples/internal/wav"
)

func ExampleSpeech() {
	recording := wav.Speech("open the quarterly report", 1.5)
	f, err := wav.Decode(recording)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d bytes, %d Hz, %d-bit, %.1f s: %q\n",
		len(recording), f.SampleRate, f.BitsPerSample, f.Duration(), f.Comment)

	_, err = wav.Decode(recording[:40])
	fmt.Println(err)
	// Output:
	// 48090 bytes, 16000 Hz, 16-bit, 1.5 s: "open the quarterly report"
	// wav: invalid file: RIFF size 48082 does not fit the 32 bytes present
}
