package session_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cowork-ai/resilience/internal/clock"
	"github.com/cowork-ai/resilience/session"
)

func fileConfig(path string, rec *recorder) session.Config {
	cfg := session.Config{Path: path, Key: testKey}
	if rec != nil {
		cfg.Hooks = rec.hooks()
	}
	return cfg
}

func mode(t *testing.T, path string) fs.FileMode {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatalf("Stat: %v", err)
	}
	return info.Mode().Perm()
}

func TestFileModesIgnoreUmask(t *testing.T) {
	old := syscall.Umask(0o002)
	defer syscall.Umask(old)

	dir := filepath.Join(t.TempDir(), "state", "session")
	path := filepath.Join(dir, "grants.json")
	m := newManager(t, session.Config{Path: path}, nil)
	mustGrant(t, m, fileWrite, time.Hour)

	if got := mode(t, path); got != 0o600 {
		t.Errorf("grant file mode = %04o, want 0600", got)
	}
	if got := mode(t, path+".key"); got != 0o600 {
		t.Errorf("key file mode = %04o, want 0600", got)
	}
	for _, d := range []string{dir, filepath.Dir(dir)} {
		if got := mode(t, d); got != 0o700 {
			t.Errorf("directory %s mode = %04o, want 0700", d, got)
		}
	}
}

func TestReopenRestoresGrants(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "grants.json")
		m := newManager(t, fileConfig(path, nil), nil)
		short := session.Scope{Action: "screen.click"}
		revoked := session.Scope{Action: "mic.listen"}
		g := mustGrant(t, m, fileWrite, time.Hour)
		mustGrant(t, m, short, time.Minute)
		mustGrant(t, m, revoked, time.Hour)
		m.Revoke(context.Background(), revoked)
		if err := m.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}

		time.Sleep(2 * time.Minute)
		var rec recorder
		m2 := newManager(t, fileConfig(path, &rec), nil)
		st := m2.Status()
		if st.Load.Kind != session.StoreLoaded || st.Load.Grants != 1 {
			t.Fatalf("Status().Load = %+v, want one grant loaded", st.Load)
		}
		d := m2.Check(context.Background(), fileWrite)
		if !d.Allowed || d.GrantID != g.ID {
			t.Errorf("Check after reopening = %+v, want grant %s", d, g.ID)
		}
		if !d.ExpiresAt.Equal(g.ExpiresAt) {
			t.Errorf("ExpiresAt after reopening = %v, want %v", d.ExpiresAt, g.ExpiresAt)
		}
		checkReason(t, m2, short, session.ReasonNotGranted) // expired entries are dropped
		checkReason(t, m2, revoked, session.ReasonRevoked)
		time.Sleep(58 * time.Minute)
		checkReason(t, m2, fileWrite, session.ReasonExpired)
	})
}

// writeGrantFile writes a valid file holding one grant of fileWrite for an
// hour and returns its content.
func writeGrantFile(t *testing.T, path string) []byte {
	t.Helper()
	m, err := session.NewForTest(fileConfig(path, nil), clock.NewFake(), nil)
	if err != nil {
		t.Fatal(err)
	}
	mustGrant(t, m, fileWrite, time.Hour)
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestLoadRejectsBadFile(t *testing.T) {
	tests := []struct {
		name   string
		damage func(t *testing.T, path string, data []byte)
		want   session.Rejection
	}{
		{"truncated", func(t *testing.T, path string, data []byte) {
			rewrite(t, path, data[:len(data)/2])
		}, session.RejectTruncated},
		{"empty", func(t *testing.T, path string, data []byte) {
			rewrite(t, path, nil)
		}, session.RejectTruncated},
		{"flipped byte", func(t *testing.T, path string, data []byte) {
			i := bytes.Index(data, []byte("file.write"))
			data[i] ^= 0x01
			rewrite(t, path, data)
		}, session.RejectTampered},
		{"garbage", func(t *testing.T, path string, _ []byte) {
			rewrite(t, path, []byte("not json at all"))
		}, session.RejectCorrupt},
		{"other schema version", func(t *testing.T, path string, data []byte) {
			rewrite(t, path, bytes.Replace(data, []byte(`"schema": 1`), []byte(`"schema": 2`), 1))
		}, session.RejectUnknownSchema},
		{"extended expiry", func(t *testing.T, path string, data []byte) {
			expiry := []byte(`"2000-01-01T01:00:00Z"`) // the grant's deadline, an hour in
			if !bytes.Contains(data, expiry) {
				t.Fatalf("file has no expiry %s:\n%s", expiry, data)
			}
			rewrite(t, path, bytes.Replace(data, expiry, []byte(`"2099-01-01T01:00:00Z"`), 1))
		}, session.RejectTampered},
		{"world-readable", func(t *testing.T, path string, _ []byte) {
			os.Chmod(path, 0o604)
		}, session.RejectInsecureMode},
		{"group-readable", func(t *testing.T, path string, _ []byte) {
			os.Chmod(path, 0o640)
		}, session.RejectInsecureMode},
		{"foreign owner", func(t *testing.T, path string, _ []byte) {
			if err := os.Chown(path, 4242, 4242); err != nil {
				t.Skipf("cannot change the owner: %v", err)
			}
		}, session.RejectForeignOwner},
		{"symbolic link", func(t *testing.T, path string, data []byte) {
			other := path + ".elsewhere"
			rewrite(t, other, data)
			os.Remove(path)
			os.Symlink(other, path)
		}, session.RejectInsecureMode},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				path := filepath.Join(t.TempDir(), "grants.json")
				data := writeGrantFile(t, path)
				tt.damage(t, path, data)

				var rec recorder
				m := newManager(t, fileConfig(path, &rec), nil)
				checkReason(t, m, fileWrite, session.ReasonNotGranted)
				st := m.Status()
				if st.Load.Kind != session.StoreRejected || st.Load.Rejection != tt.want {
					t.Fatalf("Status().Load = %v/%v (%v), want rejected/%v",
						st.Load.Kind, st.Load.Rejection, st.Load.Err, tt.want)
				}
				if st.Degraded {
					t.Errorf("Status().Degraded = true after a rejected file, want false")
				}
				if _, err := os.Lstat(st.Load.MovedTo); st.Load.MovedTo == "" || err != nil {
					t.Errorf("rejected file moved to %q: %v", st.Load.MovedTo, err)
				}
				if kinds := rec.storeKinds(); len(kinds) != 1 || kinds[0] != session.StoreRejected {
					t.Errorf("store events = %v, want [rejected]", kinds)
				}

				// The manager works on: a new grant writes a fresh file.
				mustGrant(t, m, fileWrite, time.Hour)
				m.Close()
				m2 := newManager(t, fileConfig(path, nil), nil)
				checkReason(t, m2, fileWrite, session.ReasonGranted)
			})
		})
	}
}

func rewrite(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestLoadRejectsFileFromFuture(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "grants.json")
		writeGrantFile(t, path)
		c := newFakeAt(-time.Hour) // the clock was set back an hour since
		m := newManager(t, fileConfig(path, nil), c)
		checkReason(t, m, fileWrite, session.ReasonNotGranted)
		if got := m.Status().Load.Rejection; got != session.RejectClockUncertain {
			t.Errorf("Status().Load.Rejection = %v, want clock uncertain", got)
		}
	})
}

func TestWrongKeyRejectsFile(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "grants.json")
		writeGrantFile(t, path)
		cfg := fileConfig(path, nil)
		cfg.Key = bytes.Repeat([]byte{7}, 32)
		m := newManager(t, cfg, nil)
		checkReason(t, m, fileWrite, session.ReasonNotGranted)
		if got := m.Status().Load.Rejection; got != session.RejectTampered {
			t.Errorf("Status().Load.Rejection = %v, want tampered", got)
		}
	})
}

func TestInsecureKeyFileReplaced(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "grants.json")
		m := newManager(t, session.Config{Path: path}, nil)
		mustGrant(t, m, fileWrite, time.Hour)
		m.Close()
		if err := os.Chmod(path+".key", 0o644); err != nil {
			t.Fatal(err)
		}

		var rec recorder
		m2 := newManager(t, session.Config{Path: path, Hooks: rec.hooks()}, nil)
		checkReason(t, m2, fileWrite, session.ReasonNotGranted)
		if got := mode(t, path+".key"); got != 0o600 {
			t.Errorf("new key file mode = %04o, want 0600", got)
		}
		if kinds := rec.storeKinds(); len(kinds) != 2 ||
			kinds[0] != session.StoreRejected || kinds[1] != session.StoreRejected {
			t.Errorf("store events = %v, want the key and then the file rejected", kinds)
		}
	})
}

// TestImmutableDirectoryDegradesThenRecovers makes the directory
// immutable with chattr +i, which stops even root from creating or
// renaming files in it, where chmod would not.
func TestImmutableDirectoryDegradesThenRecovers(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "grants.json")
	var rec recorder
	m := newManager(t, fileConfig(path, &rec), nil)
	other := session.Scope{Action: "screen.click"}
	mustGrant(t, m, other, time.Hour)

	if out, err := exec.Command("chattr", "+i", dir).CombinedOutput(); err != nil {
		t.Skipf("chattr +i not available here: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("chattr", "-i", dir).Run() })

	mustGrant(t, m, fileWrite, time.Hour)
	st := m.Status()
	if !st.Degraded || st.Err == nil {
		t.Fatalf("Status() = %+v after a failed write, want degraded with an error", st)
	}
	checkReason(t, m, fileWrite, session.ReasonGranted) // served from memory
	m.Revoke(context.Background(), other)
	checkReason(t, m, other, session.ReasonRevoked)
	// The directory refuses to delete the file that still lists the revoked
	// grant, so the file is emptied in place: a restart now loads nothing.
	restarted := newManager(t, fileConfig(path, nil), nil)
	checkReason(t, restarted, other, session.ReasonNotGranted)
	restarted.Close()

	if out, err := exec.Command("chattr", "-i", dir).CombinedOutput(); err != nil {
		t.Fatalf("chattr -i: %v: %s", err, out)
	}
	mustGrant(t, m, session.Scope{Action: "mic.listen"}, time.Hour)
	if st := m.Status(); st.Degraded {
		t.Fatalf("Status().Degraded = true after the directory became writable, err %v", st.Err)
	}
	want := []session.StoreEventKind{session.StoreLoaded, session.StoreDegraded,
		session.StoreDegraded, session.StoreRecovered}
	if got := rec.storeKinds(); !equalKinds(got, want) {
		t.Errorf("store events = %v, want %v", got, want)
	}
	rec.mu.Lock()
	if len(rec.stores) > 2 && !rec.stores[2].StaleRemoved {
		t.Errorf("second degraded event = %+v, want the stale file emptied", rec.stores[2])
	}
	rec.mu.Unlock()

	m.Close()
	m2 := newManager(t, fileConfig(path, nil), nil)
	checkReason(t, m2, fileWrite, session.ReasonGranted)
	checkReason(t, m2, other, session.ReasonRevoked)
}

func equalKinds(a, b []session.StoreEventKind) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestParentIsFileDegradesThenRecovers puts a regular file where the
// grant file's directory should be, so every write fails with ENOTDIR, even
// for root. Once the file is gone, the background loop writes again.
func TestParentIsFileDegradesThenRecovers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		parent := filepath.Join(t.TempDir(), "state")
		rewrite(t, parent, []byte("in the way"))
		path := filepath.Join(parent, "grants.json")
		var rec recorder
		m := newManager(t, fileConfig(path, &rec), nil)
		if st := m.Status(); !st.Degraded || !errors.Is(st.Err, syscall.ENOTDIR) {
			t.Fatalf("Status() = %+v, want degraded with ENOTDIR", st)
		}
		mustGrant(t, m, fileWrite, time.Hour)
		checkReason(t, m, fileWrite, session.ReasonGranted)

		// Expiry holds while the grants live in memory only.
		short := session.Scope{Action: "screen.click"}
		mustGrant(t, m, short, time.Second)
		time.Sleep(time.Second)
		checkReason(t, m, short, session.ReasonExpired)

		os.Remove(parent)
		time.Sleep(session.DefaultRetryInterval)
		synctest.Wait()
		if st := m.Status(); st.Degraded {
			t.Fatalf("Status().Degraded = true after the directory appeared: %v", st.Err)
		}
		if got := mode(t, parent); got != 0o700 {
			t.Errorf("created directory mode = %04o, want 0700", got)
		}
		m.Close()
		m2 := newManager(t, fileConfig(path, nil), nil)
		checkReason(t, m2, fileWrite, session.ReasonGranted)
		if got := rec.storeKinds(); !equalKinds(got, []session.StoreEventKind{
			session.StoreDegraded, session.StoreRecovered}) {
			t.Errorf("store events = %v, want [degraded recovered]", got)
		}
	})
}

// TestDiskFullRemovesStaleFile fails every write with ENOSPC after a
// revocation: the file still lists the revoked grant, so it is deleted.
func TestDiskFullRemovesStaleFile(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "grants.json")
		var full sync.Mutex
		diskFull := false
		fault := func(op, _ string) error {
			full.Lock()
			defer full.Unlock()
			if diskFull && op == "write" {
				return syscall.ENOSPC
			}
			return nil
		}
		var rec recorder
		m := newFaultyManager(t, fileConfig(path, &rec), nil, fault)
		mustGrant(t, m, fileWrite, time.Hour)
		full.Lock()
		diskFull = true
		full.Unlock()

		m.Revoke(context.Background(), fileWrite)
		if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("stale file still present after a revocation could not be written: %v", err)
		}
		st := m.Status()
		if !st.Degraded || !errors.Is(st.Err, syscall.ENOSPC) {
			t.Errorf("Status() = %+v, want degraded with ENOSPC", st)
		}
		checkReason(t, m, fileWrite, session.ReasonRevoked)
		synctest.Wait() // the loop may have made the failing write and report it
		rec.mu.Lock()
		last := rec.stores[len(rec.stores)-1]
		rec.mu.Unlock()
		if last.Kind != session.StoreDegraded || !last.StaleRemoved {
			t.Errorf("last store event = %+v, want degraded with the stale file removed", last)
		}
	})
}

func TestTransientErrorRetried(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "grants.json")
		var mu sync.Mutex
		var busy []time.Time
		armed := false
		fault := func(op, _ string) error {
			mu.Lock()
			defer mu.Unlock()
			if armed && op == "rename" && len(busy) < 3 {
				busy = append(busy, time.Now())
				return &os.LinkError{Op: "rename", Err: syscall.EBUSY}
			}
			return nil
		}
		m := newFaultyManager(t, fileConfig(path, nil), nil, fault)
		mu.Lock()
		armed = true
		mu.Unlock()
		start := time.Now()
		mustGrant(t, m, fileWrite, time.Hour)
		if got := time.Since(start); got != 300*time.Millisecond {
			t.Errorf("write took %v with three busy errors, want 0+100+200 ms", got)
		}
		if st := m.Status(); st.Degraded {
			t.Errorf("Status().Degraded = true after transient errors: %v", st.Err)
		}
		m.Close()
		m2 := newManager(t, fileConfig(path, nil), nil)
		checkReason(t, m2, fileWrite, session.ReasonGranted)
	})
}

// TestSaveInFlightCannotRestoreRevokedGrant holds a write that carries a
// grant until after the grant is revoked, then lets it finish.
func TestSaveInFlightCannotRestoreRevokedGrant(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "grants.json")
		held := make(chan struct{})
		release := make(chan struct{})
		var once sync.Once
		var armed sync.Mutex
		hold := false
		fault := func(op, _ string) error {
			armed.Lock()
			h := hold
			armed.Unlock()
			if h && op == "rename" {
				once.Do(func() {
					close(held)
					<-release
				})
			}
			return nil
		}
		m := newFaultyManager(t, fileConfig(path, nil), nil, fault)
		armed.Lock()
		hold = true
		armed.Unlock()

		granted := make(chan session.Grant)
		go func() {
			g, _ := m.Grant(context.Background(), fileWrite, time.Hour)
			granted <- g
		}()
		<-held // the grant's write is between sync and rename
		revoked := make(chan int)
		go func() {
			n, _ := m.Revoke(context.Background(), fileWrite)
			revoked <- n
		}()
		synctest.Wait() // Revoke has ended the grant in memory and waits to write
		checkReason(t, m, fileWrite, session.ReasonRevoked)
		close(release)
		<-granted
		if n := <-revoked; n != 1 {
			t.Fatalf("Revoke = %d, want 1", n)
		}
		m.Close()

		m2 := newManager(t, fileConfig(path, nil), nil)
		checkReason(t, m2, fileWrite, session.ReasonRevoked)
	})
}

func TestTempFilesLeftBehindOnFailure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "grants.json")
		fault := func(op, _ string) error {
			if op == "rename" {
				return syscall.EIO
			}
			return nil
		}
		m := newFaultyManager(t, fileConfig(path, nil), nil, fault)
		mustGrant(t, m, fileWrite, time.Hour)
		synctest.Wait() // the loop may be writing too
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if strings.Contains(e.Name(), ".tmp-") {
				t.Errorf("temporary file %s left after a failed write", e.Name())
			}
		}
	})
}

// TestKeySavedAfterRecovery starts with no way to read or write the key
// file, so the key lives in memory until the disk works; the file written
// then must load after a restart.
func TestKeySavedAfterRecovery(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		parent := filepath.Join(t.TempDir(), "state")
		rewrite(t, parent, []byte("in the way"))
		path := filepath.Join(parent, "grants.json")
		m := newManager(t, session.Config{Path: path}, nil)
		if !m.Status().Degraded {
			t.Fatal("Status().Degraded = false with an unreadable key file, want true")
		}
		mustGrant(t, m, fileWrite, time.Hour)
		os.Remove(parent)
		mustGrant(t, m, session.Scope{Action: "screen.click"}, time.Hour)
		if st := m.Status(); st.Degraded {
			t.Fatalf("Status().Degraded = true after the directory appeared: %v", st.Err)
		}
		m.Close()

		m2 := newManager(t, session.Config{Path: path}, nil)
		if st := m2.Status(); st.Load.Kind != session.StoreLoaded || st.Load.Grants != 2 {
			t.Fatalf("Status().Load = %+v, want two grants loaded", st.Load)
		}
		checkReason(t, m2, fileWrite, session.ReasonGranted)
	})
}
