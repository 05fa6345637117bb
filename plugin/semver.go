package plugin

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// version is a parsed semantic version (semver.org 2.0.0). Build metadata
// is accepted and ignored in comparisons, as the specification requires.
type version struct {
	major, minor, patch uint64
	pre                 []string
}

var errVersion = errors.New("plugin: invalid semantic version, want MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]")

func parseVersion(s string) (version, error) {
	v, err := parseVersionCore(s)
	if err != nil {
		return v, fmt.Errorf("%w: %q", err, s)
	}
	return v, nil
}

func parseVersionCore(s string) (version, error) {
	var v version
	if i := strings.IndexByte(s, '+'); i >= 0 {
		if !validIdentifiers(s[i+1:], false) {
			return v, errVersion
		}
		s = s[:i]
	}
	if i := strings.IndexByte(s, '-'); i >= 0 {
		if !validIdentifiers(s[i+1:], true) {
			return v, errVersion
		}
		v.pre = strings.Split(s[i+1:], ".")
		s = s[:i]
	}
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return v, errVersion
	}
	nums := [3]*uint64{&v.major, &v.minor, &v.patch}
	for i, p := range parts {
		n, ok := parseNumber(p)
		if !ok {
			return v, errVersion
		}
		*nums[i] = n
	}
	return v, nil
}

// parseNumber parses a numeric identifier: digits without a leading zero.
func parseNumber(s string) (uint64, bool) {
	if s == "" || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseUint(s, 10, 64)
	return n, err == nil
}

func validIdentifiers(s string, prerelease bool) bool {
	for _, id := range strings.Split(s, ".") {
		if id == "" {
			return false
		}
		digits := true
		for i := 0; i < len(id); i++ {
			c := id[i]
			switch {
			case c >= '0' && c <= '9':
			case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '-':
				digits = false
			default:
				return false
			}
		}
		if prerelease && digits && len(id) > 1 && id[0] == '0' {
			return false
		}
	}
	return true
}

// compare returns -1, 0 or +1 as v is lower than, equal to or higher than
// w in semantic version precedence.
func (v version) compare(w version) int {
	for _, p := range [3][2]uint64{{v.major, w.major}, {v.minor, w.minor}, {v.patch, w.patch}} {
		if p[0] != p[1] {
			return cmpUint(p[0], p[1])
		}
	}
	switch {
	case len(v.pre) == 0 && len(w.pre) == 0:
		return 0
	case len(v.pre) == 0:
		return 1
	case len(w.pre) == 0:
		return -1
	}
	for i := 0; i < len(v.pre) && i < len(w.pre); i++ {
		if c := compareIdentifier(v.pre[i], w.pre[i]); c != 0 {
			return c
		}
	}
	return cmpUint(uint64(len(v.pre)), uint64(len(w.pre)))
}

// compareIdentifier compares two pre-release identifiers. Numeric ones
// compare as numbers of any length: validIdentifiers has ruled out
// leading zeros, so the longer is the larger.
func compareIdentifier(a, b string) int {
	aNum, bNum := isDigits(a), isDigits(b)
	switch {
	case aNum && bNum:
		if len(a) != len(b) {
			return cmpUint(uint64(len(a)), uint64(len(b)))
		}
	case aNum:
		return -1
	case bNum:
		return 1
	}
	return strings.Compare(a, b)
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// CompareVersions compares two semantic versions and returns -1, 0 or +1
// as a is lower than, equal to or higher than b. Build metadata is
// ignored. It returns an error if either string is not a semantic version.
func CompareVersions(a, b string) (int, error) {
	va, err := parseVersion(a)
	if err != nil {
		return 0, err
	}
	vb, err := parseVersion(b)
	if err != nil {
		return 0, err
	}
	return va.compare(vb), nil
}
