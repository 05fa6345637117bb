package metrics_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// promtool returns the path of promtool. It skips the test when promtool
// is not installed, unless the CI environment variable is set, in which
// case a missing promtool fails the test.
func promtool(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("promtool")
	if err == nil {
		return path
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("promtool not found and CI is set: %v", err)
	}
	t.Skipf("promtool not found (install Debian's prometheus package): %v", err)
	return ""
}

func runPromtool(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command(promtool(t), args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func TestAlertRulesCheck(t *testing.T) {
	runPromtool(t, ".", "check", "rules", "alerts.yml")
}

func TestAlertRulesUnitTests(t *testing.T) {
	runPromtool(t, ".", "test", "rules", "alerts_test.yml")
}

// TestDashboardQueriesParse writes every panel query of dashboard.json as a
// recording rule and lets promtool parse them.
func TestDashboardQueriesParse(t *testing.T) {
	tool := promtool(t)
	var rules strings.Builder
	rules.WriteString("groups:\n  - name: dashboard\n    rules:\n")
	for i, q := range dashboardQueries(t) {
		rules.WriteString("      - record: dashboard:query" + string(rune('a'+i)) + "\n")
		rules.WriteString("        expr: |\n")
		for line := range strings.SplitSeq(q.expr, "\n") {
			rules.WriteString("          " + line + "\n")
		}
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "dashboard_rules.yml")
	if err := os.WriteFile(file, []byte(rules.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(tool, "check", "rules", file).CombinedOutput()
	if err != nil {
		t.Fatalf("promtool check rules on the dashboard queries: %v\n%s\n%s", err, out,
			rules.String())
	}
}
