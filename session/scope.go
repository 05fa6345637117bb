package session

import (
	"fmt"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Scope names what a grant permits: one action and, optionally, the
// resources it applies to. Scopes are narrow on purpose. A grant's
// Resource is a [path.Match] pattern that must match the whole resource of
// a check. A grant without a Resource covers only checks without one, not
// every resource of its action. A resource with a ".", ".." or empty
// element, such as "dir/../x" or "dir//x", matches only a pattern equal to
// it, so a "*" never reaches outside the directory it names.
type Scope struct {
	// Action is the operation, such as "file.write" or "screen.click". It
	// must not be empty and may not contain a colon, white space or
	// control characters.
	Action string

	// Resource is, in a grant, a path.Match pattern such as
	// "/home/ada/notes/*" and, in a check, the resource acted on. Empty
	// means no resource.
	Resource string
}

// ParseScope parses the form that [Scope.String] produces: the action,
// then optionally a colon and the resource, as in "file.write:/tmp/*".
func ParseScope(s string) (Scope, error) {
	action, resource, _ := strings.Cut(s, ":")
	sc := Scope{Action: action, Resource: resource}
	if err := sc.validate(); err != nil {
		return Scope{}, err
	}
	return sc, nil
}

// String returns the scope as "action" or "action:resource".
func (s Scope) String() string {
	if s.Resource == "" {
		return s.Action
	}
	return s.Action + ":" + s.Resource
}

// validate reports whether s can be granted: a well-formed action and a
// well-formed pattern. It does not allocate when s is valid.
func (s Scope) validate() error {
	if !validAction(s.Action) {
		return fmt.Errorf("%w: action %q must be non-empty, without colons, spaces or control characters",
			ErrInvalidScope, s.Action)
	}
	if _, err := path.Match(s.Resource, ""); err != nil {
		return fmt.Errorf("%w: resource pattern %q: %v", ErrInvalidScope, s.Resource, err)
	}
	return nil
}

func validAction(action string) bool {
	if action == "" {
		return false
	}
	for i := 0; i < len(action); i++ {
		c := action[i]
		if c >= utf8.RuneSelf {
			return validRunes(action[i:])
		}
		if c <= ' ' || c == ':' || c == 0x7f {
			return false
		}
	}
	return true
}

func validRunes(s string) bool {
	for _, r := range s {
		if r == ':' || unicode.IsSpace(r) || unicode.IsControl(r) || r == utf8.RuneError {
			return false
		}
	}
	return true
}

// covers reports whether a grant of s permits acting on resource. It
// assumes the actions are already equal.
func (s Scope) covers(resource string) bool {
	return compile(s.Resource).matches(resource)
}

// matcher is a grant's resource pattern, sorted once into the kind of
// match it needs so that checks avoid path.Match where they can.
type matcher struct {
	pattern string
	prefix  int // for "dir/*": the length of "dir/"; -1 for other patterns
}

func compile(pattern string) matcher {
	i := strings.IndexAny(pattern, `*?[\`)
	if i >= 0 && i == len(pattern)-1 && pattern[i] == '*' {
		return matcher{pattern: pattern, prefix: i}
	}
	return matcher{pattern: pattern, prefix: -1}
}

// matches reports what path.Match(m.pattern, resource) does, with three
// exceptions. An empty pattern matches only an empty resource, and an
// invalid pattern matches nothing but itself. A resource with a ".", ".."
// or empty element matches only a pattern equal to it, because "dir/.."
// and "dir//x" name places outside what "dir/*" and "dir/*/x" cover.
func (m matcher) matches(resource string) bool {
	switch {
	case m.pattern == resource:
		return true
	case m.pattern == "" || resource == "":
		return false
	case m.prefix >= 0:
		return strings.HasPrefix(resource, m.pattern[:m.prefix]) &&
			!strings.Contains(resource[m.prefix:], "/") && plain(resource)
	}
	ok, err := path.Match(m.pattern, resource)
	return ok && err == nil && plain(resource)
}

// plain reports whether no '/'-separated element of resource is ".", ".."
// or empty, apart from the empty element before a leading '/'.
func plain(resource string) bool {
	rest := strings.TrimPrefix(resource, "/")
	for {
		elem, after, more := strings.Cut(rest, "/")
		if elem == "" || elem == "." || elem == ".." {
			return false
		}
		if !more {
			return true
		}
		rest = after
	}
}
