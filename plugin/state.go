package plugin

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// stateFile is the format of Config.StateFile.
type stateFile struct {
	// Highest maps a plugin id to the highest version loaded.
	Highest map[string]string `json:"highest"`
}

func readMarks(path string) (map[string]string, error) {
	marks := make(map[string]string)
	if path == "" {
		return marks, nil
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return marks, nil
	}
	if err != nil {
		return nil, fmt.Errorf("plugin: read Config.StateFile: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var st stateFile
	if err := dec.Decode(&st); err != nil {
		return nil, fmt.Errorf("plugin: parse Config.StateFile %s: %w", path, err)
	}
	for id, v := range st.Highest {
		if _, err := parseVersion(v); err != nil {
			return nil, fmt.Errorf("plugin: parse Config.StateFile %s: plugin %q: %w", path, id, err)
		}
		marks[id] = v
	}
	return marks, nil
}

// writeMarks replaces path atomically: a temporary file in the same
// directory is written, synced and renamed over path, then the directory
// is synced, so a crash leaves the old or the new content, never a mix.
func writeMarks(path string, marks map[string]string) error {
	data, err := json.MarshalIndent(stateFile{Highest: marks}, "", "  ")
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())

	if _, err := tmp.Write(append(data, '\n')); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}

	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// checkRollback returns a rejection if version is lower than the highest
// version of id loaded before.
func (l *Loader) checkRollback(id string, v version) (string, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	mark, ok := l.marks[id]
	if !ok {
		return "", true
	}
	mv, err := parseVersion(mark)
	return mark, err == nil && v.compare(mv) >= 0
}

// stateLocks serialises the updates of each state file among the
// Loaders of this process. It maps a cleaned absolute path to a
// *sync.Mutex.
//
// NOTE: host processes that share a state file are not locked against
// each other, so two of them loading at the same instant can still lose
// one mark.
var stateLocks sync.Map

func lockStateFile(path string) (unlock func()) {
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	mu, _ := stateLocks.LoadOrStore(path, new(sync.Mutex))
	mu.(*sync.Mutex).Lock()
	return mu.(*sync.Mutex).Unlock
}

// raiseMark records version as the highest of id if it is, and persists
// the marks. It first merges the marks saved in the state file, which
// other Loaders may have raised, and re-checks for a rollback, because
// another Load may have raised the mark since the first check.
func (l *Loader) raiseMark(id, ver string) (rollbackFrom string, err error) {
	v, err := parseVersion(ver)
	if err != nil {
		return "", err
	}
	if l.cfg.StateFile != "" {
		defer lockStateFile(l.cfg.StateFile)()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.mergeSavedMarksLocked(); err != nil {
		return "", err
	}

	if mark, ok := l.marks[id]; ok {
		mv, err := parseVersion(mark)
		if err != nil {
			return "", err
		}
		switch c := v.compare(mv); {
		case c < 0:
			return mark, nil
		case c == 0:
			return "", nil
		}
	}

	prev, had := l.marks[id]
	l.marks[id] = ver
	if l.cfg.StateFile == "" {
		return "", nil
	}
	if err := writeMarks(l.cfg.StateFile, l.marks); err != nil {
		if had {
			l.marks[id] = prev
		} else {
			delete(l.marks, id)
		}
		return "", fmt.Errorf("plugin: save Config.StateFile: %w", err)
	}
	return "", nil
}

// mergeSavedMarksLocked raises each mark to the one in the state file
// where that is higher. l.mu must be held. A state file that cannot be
// read or parsed is an error, because the marks it holds are unknown.
func (l *Loader) mergeSavedMarksLocked() error {
	if l.cfg.StateFile == "" {
		return nil
	}
	saved, err := readMarks(l.cfg.StateFile)
	if err != nil {
		return err
	}
	for id, ver := range saved {
		mark, ok := l.marks[id]
		if !ok {
			l.marks[id] = ver
			continue
		}
		if c, err := CompareVersions(ver, mark); err == nil && c > 0 {
			l.marks[id] = ver
		}
	}
	return nil
}
