// Command plugin-sign generates Ed25519 plugin signing keys, signs plugin
// directories and verifies them.
//
// Usage:
//
//	plugin-sign keygen -out NAME
//	plugin-sign sign -key NAME.key -id ID -version VERSION -entry PATH -host-api-min VERSION [flags] DIR
//	plugin-sign verify -pub NAME.pub -id ID [-version VERSION] DIR
//
// keygen writes NAME.key (the private key, mode 0600) and NAME.pub (the
// public key to pin in the host). sign hashes every file under DIR and
// writes DIR/plugin.json and DIR/plugin.sig. verify runs the host's checks
// on DIR and prints the result.
package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/cowork-ai/resilience/plugin"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, time.Now); err != nil {
		fmt.Fprintln(os.Stderr, "plugin-sign:", err)
		os.Exit(1)
	}
}

const usage = `usage:
  plugin-sign keygen -out NAME
  plugin-sign sign -key NAME.key -id ID -version VERSION -entry PATH -host-api-min VERSION [flags] DIR
  plugin-sign verify -pub NAME.pub -id ID [-version VERSION] DIR
run "plugin-sign COMMAND -h" for the flags of a command`

func run(args []string, stdout io.Writer, now func() time.Time) error {
	if len(args) == 0 {
		return errors.New(usage)
	}
	switch args[0] {
	case "keygen":
		return keygen(args[1:], stdout)
	case "sign":
		return sign(args[1:], stdout, now)
	case "verify":
		return verify(args[1:], stdout)
	}
	return fmt.Errorf("unknown command %q\n%s", args[0], usage)
}

func keygen(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("keygen", flag.ContinueOnError)
	out := fs.String("out", "", "base name of the key files: writes `NAME`.key and NAME.pub")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" || fs.NArg() != 0 {
		return errors.New("keygen: -out NAME is required and no arguments are accepted")
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	// O_EXCL so an existing private key is never overwritten.
	f, err := os.OpenFile(*out+".key", os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(plugin.MarshalPrivateKey(priv)); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.WriteFile(*out+".pub", plugin.MarshalPublicKey(pub), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "key id %s: private key %s.key, public key %s.pub\n", plugin.KeyID(pub), *out, *out)
	return nil
}

func sign(args []string, stdout io.Writer, now func() time.Time) error {
	fs := flag.NewFlagSet("sign", flag.ContinueOnError)
	keyFile := fs.String("key", "", "private key `file` written by keygen")
	var m plugin.Manifest
	fs.StringVar(&m.ID, "id", "", "plugin `id`")
	fs.StringVar(&m.Version, "version", "", "plugin semantic `version`")
	fs.StringVar(&m.Entry, "entry", "", "entry point `path`, relative to DIR")
	fs.StringVar(&m.HostAPI.Min, "host-api-min", "", "lowest supported host API `version`")
	fs.StringVar(&m.HostAPI.Max, "host-api-max", "", "first unsupported host API `version` (empty: no upper bound)")
	valid := fs.Duration("valid", 90*24*time.Hour, "how long the signature is accepted")
	execs := fs.String("requires-exec", "", "comma-separated `programs` that must be on the plugin's PATH")
	env := fs.String("requires-env", "", "comma-separated environment `variables` the plugin needs")
	platforms := fs.String("platforms", "", "comma-separated `os/arch` pairs the plugin runs on (empty: any)")
	if err := fs.Parse(args); err != nil {
		return err
	}

	if *keyFile == "" || fs.NArg() != 1 {
		return errors.New("sign: -key FILE and exactly one DIR are required")
	}
	if *valid <= 0 {
		return fmt.Errorf("sign: -valid %v must be positive", *valid)
	}
	text, err := os.ReadFile(*keyFile)
	if err != nil {
		return err
	}
	key, err := plugin.ParsePrivateKey(text)
	if err != nil {
		return err
	}

	m.IssuedAt = now().UTC().Truncate(time.Second)
	m.ExpiresAt = m.IssuedAt.Add(*valid)
	m.Requires = plugin.Requirements{
		Executables: splitList(*execs), Env: splitList(*env), Platforms: splitList(*platforms),
	}
	dir := fs.Arg(0)
	if err := plugin.SignDir(dir, m, key); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "signed %s %s in %s with key id %s, valid until %s\n",
		m.ID, m.Version, dir, plugin.KeyID(key.Public().(ed25519.PublicKey)), m.ExpiresAt.Format(time.RFC3339))
	return nil
}

func verify(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	pubFile := fs.String("pub", "", "public key `file` written by keygen")
	var ref plugin.Ref
	fs.StringVar(&ref.ID, "id", "", "expected plugin `id`")
	fs.StringVar(&ref.Version, "version", "", "expected `version` (empty: any)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *pubFile == "" || ref.ID == "" || fs.NArg() != 1 {
		return errors.New("verify: -pub FILE, -id ID and exactly one DIR are required")
	}
	text, err := os.ReadFile(*pubFile)
	if err != nil {
		return err
	}
	pub, err := plugin.ParsePublicKey(text)
	if err != nil {
		return err
	}
	l, err := plugin.New(plugin.Config{TrustedKeys: []ed25519.PublicKey{pub}})
	if err != nil {
		return err
	}
	m, err := l.Verify(context.Background(), fs.Arg(0), ref)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "verified %s %s: %d files, expires %s\n", m.ID, m.Version, len(m.Files), m.ExpiresAt.Format(time.RFC3339))
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}
