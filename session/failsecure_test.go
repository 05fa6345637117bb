package session_test

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/cowork-ai/resilience/session"
)

// TestPatternSkipsDotSegments checks resources that, once resolved, name a
// place outside the pattern: "." and ".." elements and empty elements,
// which a "*" would otherwise match.
func TestPatternSkipsDotSegments(t *testing.T) {
	tests := []struct {
		pattern  string
		resource string
		want     session.Reason
	}{
		{"/home/ada/notes/*", "/home/ada/notes/..", session.ReasonNotGranted},
		{"/home/ada/notes/*", "/home/ada/notes/.", session.ReasonNotGranted},
		{"/home/*/notes", "/home/../notes", session.ReasonNotGranted},
		{"/home/*/notes", "/home/./notes", session.ReasonNotGranted},
		{"/home/*/notes", "/home//notes", session.ReasonNotGranted},
		{"/home/?./x", "/home/../x", session.ReasonNotGranted},
		{"dir/*", "dir/../etc/passwd", session.ReasonNotGranted},
		{"dir/*", "dir/a/b", session.ReasonNotGranted},
		{"dir/*", "dir/a/", session.ReasonNotGranted},
		{"dir/*", "DIR/a", session.ReasonNotGranted},
		{"*", "..", session.ReasonNotGranted},
		{"*", ".", session.ReasonNotGranted},
		{"dir/*", "dir/..hidden", session.ReasonGranted},
		{"dir/*", "dir/.hidden", session.ReasonGranted},
		{"/home/*/notes", "/home/ada/notes", session.ReasonGranted},
		{"/home/ada/notes/..", "/home/ada/notes/..", session.ReasonGranted},
	}
	for _, tt := range tests {
		t.Run(tt.pattern+" vs "+tt.resource, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				m := newManager(t, session.Config{}, nil)
				mustGrant(t, m, session.Scope{Action: "file.read", Resource: tt.pattern}, time.Minute)
				checkReason(t, m, session.Scope{Action: "file.read", Resource: tt.resource}, tt.want)
			})
		})
	}
}
