package session

import "github.com/cowork-ai/resilience/internal/clock"

// NewForTest is New with an injected clock and, when fault is not nil, a
// function run before each file operation that may fail it. op is one of
// open, read, mkdir, create, write, sync, rename, syncdir, remove and truncate.
func NewForTest(cfg Config, c clock.Clock, fault func(op, path string) error) (*Manager, error) {
	return newManager(cfg, c, fault)
}

// FileMAC returns the MAC that a grant file of the given schema version
// must carry for its compact payload.
func FileMAC(key []byte, schema int, payload []byte) []byte { return mac(key, schema, payload) }
