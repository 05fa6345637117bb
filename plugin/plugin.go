package plugin

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
)

// Plugin is a verified plugin and its private copy, returned by
// [Loader.Load]. It is safe for concurrent use: each [Plugin.Start] runs a
// separate process.
type Plugin struct {
	loader   *Loader
	manifest Manifest
	private  string // the 0700 directory that holds files and work dirs
	files    string // the verified copy
	entry    string // the copied entry point

	closeOnce sync.Once
	closeErr  error
}

// Manifest returns a copy of the verified manifest.
func (p *Plugin) Manifest() Manifest {
	m := p.manifest
	m.Files = slices.Clone(m.Files)
	m.Requires.Executables = slices.Clone(m.Requires.Executables)
	m.Requires.Env = slices.Clone(m.Requires.Env)
	m.Requires.Platforms = slices.Clone(m.Requires.Platforms)
	return m
}

// Dir returns the directory that holds the verified copy of the plugin's
// files.
func (p *Plugin) Dir() string { return p.files }

// Close removes the private copy. Close every process started from p
// first. Close is idempotent.
func (p *Plugin) Close() error {
	p.closeOnce.Do(func() {
		if err := os.RemoveAll(p.private); err != nil {
			p.closeErr = fmt.Errorf("plugin: remove private copy: %w", err)
		}
	})
	return p.closeErr
}

// Preflight checks every declared requirement against this host and the
// environment the plugin would receive, and returns a
// *MissingDependencyError listing each unmet one, or nil. It also checks
// the interpreter named by the entry point's "#!" line and, when that is
// env, the program env would run from the plugin's PATH.
func (p *Plugin) Preflight() error {
	env := p.loader.environ("")
	var missing []Dependency
	req := p.manifest.Requires
	platform := runtime.GOOS + "/" + runtime.GOARCH
	if len(req.Platforms) > 0 && !slices.Contains(req.Platforms, platform) {
		missing = append(missing, Dependency{
			Kind: DependencyPlatform,
			Name: strings.Join(req.Platforms, ", "),
			Hint: fmt.Sprintf("this host is %s; install a build of the plugin for %s", platform, platform),
		})
	}
	pathList := lookupEnv(env, "PATH")
	if d, ok := p.checkInterpreter(pathList); !ok {
		missing = append(missing, d)
	}
	for _, name := range req.Executables {
		if lookPath(name, pathList) == "" {
			missing = append(missing, Dependency{
				Kind: DependencyExecutable,
				Name: name,
				Hint: pathHint(name, pathList),
			})
		}
	}
	for _, name := range req.Env {
		if d, ok := p.loader.checkEnv(name); !ok {
			missing = append(missing, d)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return &MissingDependencyError{Plugin: p.manifest.ID, Missing: missing}
}

// checkInterpreter checks the interpreter of the entry point's "#!" line
// and, when that is env, the program env runs from pathList.
func (p *Plugin) checkInterpreter(pathList string) (Dependency, bool) {
	interp, rest := shebang(p.entry)
	if interp != "" && !isExecutable(interp) {
		return Dependency{
			Kind: DependencyInterpreter,
			Name: interp,
			Hint: fmt.Sprintf("install %s, which the entry point's #! line names", interp),
		}, false
	}
	if prog := envProgram(interp, rest); prog != "" && lookPath(prog, pathList) == "" {
		return Dependency{
			Kind: DependencyInterpreter,
			Name: prog,
			Hint: pathHint(prog, pathList) +
				", because the entry point's #! line runs it through env",
		}, false
	}
	return Dependency{}, true
}

// pathHint returns the action that puts the program name on the plugin's
// PATH, given that PATH's value. The hint leaves the value out, because it
// describes the host's layout and the hint reaches logs and user notices.
func pathHint(name, pathList string) string {
	if pathList == "" {
		return fmt.Sprintf("the plugin's PATH is empty; add PATH to the plugin environment "+
			"allowlist and install %s in a directory on it", name)
	}
	return fmt.Sprintf("install %s in a directory on the plugin's PATH", name)
}

func (l *Loader) checkEnv(name string) (Dependency, bool) {
	d := Dependency{Kind: DependencyEnv, Name: name}
	if !slices.Contains(l.cfg.Env, name) {
		d.Hint = fmt.Sprintf("the host does not pass %s to plugins; add it to the plugin environment allowlist", name)
		return d, false
	}
	if v, ok := os.LookupEnv(name); !ok || v == "" {
		d.Hint = fmt.Sprintf("set %s in the environment of the host application", name)
		return d, false
	}
	return d, true
}

// environ returns the plugin's environment: the allowlisted host
// variables that are set, then HOME, TMPDIR and PWD naming work.
func (l *Loader) environ(work string) []string {
	env := make([]string, 0, len(l.cfg.Env)+3)
	for _, name := range l.cfg.Env {
		if v, ok := os.LookupEnv(name); ok {
			env = append(env, name+"="+v)
		}
	}
	if work != "" {
		env = append(env, "HOME="+work, "TMPDIR="+work, "PWD="+work)
	}
	return env
}

func lookupEnv(env []string, name string) string {
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, name+"="); ok {
			return v
		}
	}
	return ""
}

// lookPath searches the directories of pathList for an executable file
// called name. Unlike exec.LookPath it searches the plugin's PATH rather
// than the host's, and never the current directory.
func lookPath(name, pathList string) string {
	for _, dir := range filepath.SplitList(pathList) {
		if dir == "" || !filepath.IsAbs(dir) {
			continue
		}
		if p := filepath.Join(dir, name); isExecutable(p) {
			return p
		}
	}
	return ""
}

func isExecutable(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.Mode().IsRegular() && info.Mode()&0o111 != 0
}

// shebang returns the interpreter path of a "#!" line and the rest of the
// line, or "" if the file has no such line.
func shebang(path string) (interp, rest string) {
	f, err := os.Open(path)
	if err != nil {
		return "", ""
	}
	defer f.Close()
	head := make([]byte, 256)
	n, _ := io.ReadFull(f, head)
	line, ok := bytes.CutPrefix(head[:n], []byte("#!"))
	if !ok {
		return "", ""
	}
	line, _, _ = bytes.Cut(line, []byte("\n"))
	text := strings.TrimSpace(string(line))
	i := strings.IndexAny(text, " \t")
	if i < 0 {
		return text, ""
	}
	return text[:i], strings.TrimSpace(text[i:])
}

// envProgram returns the program that env, as the interpreter of a "#!"
// line, searches for on PATH, or "" when there is none to check. Linux
// passes the rest of the line to env as one argument, so only "-S" splits
// it into assignments, options and the program.
func envProgram(interp, rest string) string {
	if path.Base(interp) != "env" || rest == "" {
		return ""
	}
	if split, ok := strings.CutPrefix(rest, "-S"); ok {
		for _, f := range strings.Fields(split) {
			if !strings.HasPrefix(f, "-") && !strings.Contains(f, "=") {
				return programName(f)
			}
		}
		return ""
	}
	if strings.HasPrefix(rest, "-") || strings.Contains(rest, "=") {
		return ""
	}
	return programName(rest)
}

// programName returns name unless it contains a slash, which env runs as a
// path instead of searching PATH.
func programName(name string) string {
	if strings.Contains(name, "/") {
		return ""
	}
	return name
}
