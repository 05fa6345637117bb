package breaker

import (
	"fmt"
	"iter"
	"slices"
)

// Set is a fixed group of breakers with distinct names, typically one per
// external service of an application. It is immutable and safe for
// concurrent use.
type Set struct {
	byName map[string]*Breaker
	list   []*Breaker
}

// NewSet returns a set of the given breakers, in the given order, or an
// error if one is nil or two share a name.
func NewSet(breakers ...*Breaker) (*Set, error) {
	s := &Set{byName: make(map[string]*Breaker, len(breakers))}
	for i, b := range breakers {
		if b == nil {
			return nil, fmt.Errorf("breaker: breaker %d of the set is nil", i)
		}
		if _, dup := s.byName[b.name]; dup {
			return nil, fmt.Errorf("breaker: two breakers of the set are named %q", b.name)
		}
		s.byName[b.name] = b
	}
	s.list = slices.Clone(breakers)
	return s, nil
}

// Get returns the breaker called name, or nil if the set has none.
func (s *Set) Get(name string) *Breaker { return s.byName[name] }

// All returns an iterator over the breakers in the order given to NewSet.
func (s *Set) All() iter.Seq[*Breaker] { return slices.Values(s.list) }

// Names returns the breakers' names in the order given to NewSet.
func (s *Set) Names() []string {
	names := make([]string, len(s.list))
	for i, b := range s.list {
		names[i] = b.name
	}
	return names
}
