package session

import (
	"fmt"
	"path"
	"strings"
	"unicode"
)

// Scope names what a grant permits: one action and, optionally, the
// resources it applies to. Scopes are narrow on purpose. A grant's
// Resource is a [path.Match] pattern that must match the whole resource of
// a check, and a grant without a Resource covers only checks without one;
// it does not cover every resource of its action.
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
	for _, r := range action {
		if r == ':' || unicode.IsSpace(r) || unicode.IsControl(r) || r == unicode.ReplacementChar {
			return false
		}
	}
	return true
}

// covers reports whether a grant of s permits acting on resource. It
// assumes the actions are already equal.
func (s Scope) covers(resource string) bool {
	if s.Resource == resource {
		return true
	}
	if s.Resource == "" || resource == "" {
		return false
	}
	ok, err := path.Match(s.Resource, resource)
	return ok && err == nil
}
