package plugindemo

import (
	"bufio"
	"encoding/json"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// The entry point names of the example plugins. The plugins are copies of
// the running binary, and the name it was started under selects what it
// does.
const (
	// entryWordCount answers each request with the number of words in
	// its text.
	entryWordCount = "wordcount"
	// entryHang ignores SIGTERM, so the host has to kill it, answers its
	// first request to show that it is ready, and never answers another.
	entryHang = "hang"
)

// Request is the message the host sends a plugin, one JSON object per line.
type Request struct {
	Text string `json:"text"`
}

// Reply is the response of a plugin, one JSON object per line.
type Reply struct {
	Words int `json:"words"`
}

// ServeIfPlugin makes this binary act as an example plugin, and then exit,
// when it was started under a plugin's entry point name. Otherwise it
// returns at once. The scenario re-executes the binary as its plugins, so
// call ServeIfPlugin first in main, and in TestMain of any test that runs
// the scenario.
func ServeIfPlugin() {
	switch filepath.Base(os.Args[0]) {
	case entryWordCount:
		os.Exit(serveWordCount())
	case entryHang:
		serveHang()
	}
}

func serveWordCount() int {
	in := bufio.NewScanner(os.Stdin)
	out := json.NewEncoder(os.Stdout)
	for in.Scan() {
		var req Request
		if err := json.Unmarshal(in.Bytes(), &req); err != nil {
			return 2
		}
		if err := out.Encode(Reply{Words: len(strings.Fields(req.Text))}); err != nil {
			return 1
		}
	}
	return 0
}

// serveHang answers the first request once SIGTERM is ignored, then reads
// requests and never answers them, whatever the host does short of
// SIGKILL.
func serveHang() {
	signal.Ignore(syscall.SIGTERM)
	in := bufio.NewReader(os.Stdin)
	if _, err := in.ReadBytes('\n'); err == nil {
		_ = json.NewEncoder(os.Stdout).Encode(Reply{})
	}
	_, _ = io.Copy(io.Discard, in)
	for {
		time.Sleep(time.Hour)
	}
}
