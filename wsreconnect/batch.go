package wsreconnect

import (
	"net"
	"sync"
)

// Batch limits: the writer stops adding messages to a batch at either.
const (
	maxBatchMessages = 64
	maxBatchBytes    = 64 << 10
)

// batchConn sits between gorilla and the socket. While the writer has a
// batch open, gorilla's writes are buffered and reach the socket in one
// system call at flush, so a backlog of small messages costs one write
// instead of one each. Outside a batch, writes pass straight through.
// Gorilla serialises its own writes; mu also orders them with flush, which
// the writer calls outside gorilla.
type batchConn struct {
	net.Conn

	mu       sync.Mutex
	batching bool
	buf      []byte
	err      error // first failed socket write of the batch
}

func (b *batchConn) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.batching {
		return b.Conn.Write(p)
	}
	if b.err != nil {
		return 0, b.err
	}
	if len(b.buf)+len(p) > maxBatchBytes {
		// Keep the buffer small: send what is buffered, then p itself.
		if err := b.flushLocked(); err != nil {
			return 0, err
		}
		return b.Conn.Write(p)
	}
	b.buf = append(b.buf, p...)
	return len(p), nil
}

// begin opens a batch.
func (b *batchConn) begin() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.batching = true
	b.err = nil
}

// full reports whether the batch has reached its byte limit.
func (b *batchConn) full() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.buf) >= maxBatchBytes/2
}

// flush writes the buffered bytes and closes the batch. Its error covers
// every write of the batch.
func (b *batchConn) flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.batching = false
	if err := b.flushLocked(); err != nil {
		return err
	}
	return b.err
}

func (b *batchConn) flushLocked() error {
	if len(b.buf) == 0 {
		return nil
	}
	_, err := b.Conn.Write(b.buf)
	b.buf = b.buf[:0]
	if err != nil && b.err == nil {
		b.err = err
	}
	return err
}
