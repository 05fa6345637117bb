package plugin_test

import (
	"testing"

	"github.com/cowork-ai/resilience/plugin"
)

// TestCompareVersionsHugeNumbers checks numeric pre-release identifiers
// too long for 64 bits: they still compare as numbers, so a rollback
// between two of them is caught.
func TestCompareVersionsHugeNumbers(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"1.0.0-100000000000000000000", "1.0.0-99999999999999999999", 1},
		{"1.0.0-99999999999999999999", "1.0.0-99999999999999999999", 0},
		{"1.0.0-99999999999999999999", "1.0.0-5", 1},
		{"1.0.0-99999999999999999999", "1.0.0-alpha", -1},
		{"1.0.0-rc.18446744073709551616", "1.0.0-rc.18446744073709551615", 1},
		{"18446744073709551615.0.0", "18446744073709551614.99.99", 1},
		{"1.0.0-0a", "1.0.0-0", 1},
		{"1.0.0+001", "1.0.0", 0},
	} {
		got, err := plugin.CompareVersions(tc.a, tc.b)
		if err != nil || got != tc.want {
			t.Errorf("CompareVersions(%q, %q) = %d, %v; want %d", tc.a, tc.b, got, err, tc.want)
		}
	}
}
