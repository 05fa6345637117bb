package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDescribeFileErrorTemporary(t *testing.T) {
	parent := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(parent, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := os.CreateTemp(parent, ".grants.json.key.tmp-*")
	if err == nil {
		t.Fatal("CreateTemp under a regular file succeeded")
	}
	got := describeFileError(err)
	if want := "open a temporary file to replace grants.json.key failed: "; !strings.HasPrefix(
		got, want) {
		t.Errorf("describeFileError(%v) = %q, want prefix %q", err, got, want)
	}
	if strings.Contains(got, ".tmp-") {
		t.Errorf("describeFileError(%v) = %q, want no random temporary name", err, got)
	}
}

func TestDescribeFileErrorNamedFile(t *testing.T) {
	_, err := os.ReadFile(filepath.Join(t.TempDir(), "grants.json.key"))
	if err == nil {
		t.Fatal("ReadFile of a missing file succeeded")
	}
	got := describeFileError(err)
	if !strings.HasPrefix(got, "open grants.json.key failed: ") {
		t.Errorf("describeFileError(%v) = %q, want the file and the operation", err, got)
	}
}

func TestDescribeFileErrorOther(t *testing.T) {
	err := errors.New("disk full")
	if got := describeFileError(err); got != "disk full" {
		t.Errorf("describeFileError(%v) = %q, want the error itself", err, got)
	}
}
