package redact

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf16"
)

// Default limits applied when the matching Config field is zero.
const (
	// DefaultMaxDepth is the nesting depth beyond which structured input
	// (JSON, values, log attributes, encoded spans) is replaced by a
	// placeholder.
	DefaultMaxDepth = 32
	// DefaultMaxNodes is the number of elements a structured input may
	// contain before the rest is replaced by placeholders.
	DefaultMaxNodes = 100_000
	// MinSecretLen is the shortest secret Config.Secrets accepts. Shorter
	// strings would redact ordinary words and numbers.
	MinSecretLen = 4
)

// ErrInvalidConfig is returned by New when a Config field is invalid.
var ErrInvalidConfig = errors.New("redact: invalid config")

// Config configures a Redactor. The zero value is valid and gives the
// detection of the package-level functions.
type Config struct {
	// Secrets are values the application holds as secret, such as the
	// API keys it loaded. Each is redacted wherever it appears, literally
	// or in its base64, URL-encoded, JSON-escaped or hex form. Each must be
	// at least MinSecretLen bytes long. Nil means none.
	Secrets []string

	// SensitiveKeys are extra key names whose values are always redacted,
	// in addition to the built-in ones (password, token, api_key, ...).
	// They are compared after normalisation: lower case, with '-', '_',
	// '.' and spaces removed, and match when they occur anywhere in a key.
	SensitiveKeys []string

	// AllowKeys are key names never treated as sensitive by name, such as
	// "token_count", normalised like SensitiveKeys and compared whole. The
	// built-in list already allows common ones (token_count, max_tokens,
	// public_key, ...). Values under an allowed key are still scanned for
	// secrets.
	AllowKeys []string

	// OmitRule writes "[REDACTED]" for every match. By default the
	// placeholder names the rule that matched, as in "[REDACTED:github]".
	OmitRule bool

	// MaxDepth limits nesting, as described for DefaultMaxDepth.
	// Zero means DefaultMaxDepth.
	MaxDepth int

	// MaxNodes limits the size of structured input, as described for
	// DefaultMaxNodes. Zero means DefaultMaxNodes.
	MaxNodes int
}

// A Redactor removes secrets from text, errors, URLs, headers, JSON, Go
// values and log records. It is immutable once built and safe for
// concurrent use.
type Redactor struct {
	forms     []string // registered secrets and their encoded forms
	sensitive []string // normalised extra sensitive key names
	allow     map[string]bool
	omitRule  bool
	maxDepth  int
	maxNodes  int
}

// defaultRedactor serves the package-level functions. It is never modified.
var defaultRedactor = mustNew(Config{})

func mustNew(cfg Config) *Redactor {
	r, err := New(cfg)
	if err != nil {
		panic(err)
	}
	return r
}

// Default returns the Redactor used by the package-level functions: the
// built-in detection, no registered secrets, rule names in placeholders.
func Default() *Redactor { return defaultRedactor }

// New returns a Redactor for cfg, or an error naming the first invalid
// field.
func New(cfg Config) (*Redactor, error) {
	if cfg.MaxDepth < 0 {
		return nil, fmt.Errorf("%w: MaxDepth %d is negative", ErrInvalidConfig, cfg.MaxDepth)
	}
	if cfg.MaxNodes < 0 {
		return nil, fmt.Errorf("%w: MaxNodes %d is negative", ErrInvalidConfig, cfg.MaxNodes)
	}
	r := &Redactor{
		omitRule: cfg.OmitRule,
		maxDepth: cfg.MaxDepth,
		maxNodes: cfg.MaxNodes,
		allow:    make(map[string]bool, len(cfg.AllowKeys)),
	}
	if r.maxDepth == 0 {
		r.maxDepth = DefaultMaxDepth
	}
	if r.maxNodes == 0 {
		r.maxNodes = DefaultMaxNodes
	}
	for i, s := range cfg.Secrets {
		if len(s) < MinSecretLen {
			return nil, fmt.Errorf("%w: Secrets[%d] is shorter than %d bytes",
				ErrInvalidConfig, i, MinSecretLen)
		}
		r.forms = appendForms(r.forms, s)
	}
	for i, k := range cfg.SensitiveKeys {
		n := normalizeKey(k)
		if n == "" {
			return nil, fmt.Errorf("%w: SensitiveKeys[%d] %q has no letters or digits",
				ErrInvalidConfig, i, k)
		}
		r.sensitive = append(r.sensitive, n)
	}
	for _, k := range cfg.AllowKeys {
		r.allow[normalizeKey(k)] = true
	}
	return r, nil
}

// WithSecrets returns a copy of r that also redacts the given secrets, or
// an error if one is shorter than MinSecretLen. r itself is unchanged.
func (r *Redactor) WithSecrets(secrets ...string) (*Redactor, error) {
	c := *r
	c.forms = append([]string(nil), r.forms...)
	for i, s := range secrets {
		if len(s) < MinSecretLen {
			return nil, fmt.Errorf("%w: secret %d is shorter than %d bytes",
				ErrInvalidConfig, i, MinSecretLen)
		}
		c.forms = appendForms(c.forms, s)
	}
	return &c, nil
}

// appendForms appends s and every distinct encoded form of it to forms.
func appendForms(forms []string, s string) []string {
	b := []byte(s)
	js, _ := json.Marshal(s)
	candidates := []string{
		s,
		base64.StdEncoding.EncodeToString(b),
		base64.RawStdEncoding.EncodeToString(b),
		base64.URLEncoding.EncodeToString(b),
		base64.RawURLEncoding.EncodeToString(b),
		url.QueryEscape(s),
		url.PathEscape(s),
		string(js[1 : len(js)-1]),
		jsonEscape(s, false),
		jsonEscape(s, true),
		hex.EncodeToString(b),
		strings.ToUpper(hex.EncodeToString(b)),
	}
	for _, c := range candidates {
		dup := false
		for _, f := range forms {
			if f == c {
				dup = true
				break
			}
		}
		if !dup {
			forms = append(forms, c)
		}
	}
	return forms
}

// jsonEscape returns s escaped for a JSON string, without the HTML escapes
// of encoding/json, as log/slog and most other encoders write it. With
// asciiOnly, every non-ASCII rune is escaped as \uXXXX, as Python's json
// module does by default.
func jsonEscape(s string, asciiOnly bool) string {
	var b strings.Builder
	for _, ru := range s {
		switch {
		case ru == '"' || ru == '\\':
			b.WriteByte('\\')
			b.WriteRune(ru)
		case ru == '\n':
			b.WriteString(`\n`)
		case ru == '\r':
			b.WriteString(`\r`)
		case ru == '\t':
			b.WriteString(`\t`)
		case ru < 0x20 || asciiOnly && ru > 0x7f:
			for _, r16 := range utf16.Encode([]rune{ru}) {
				fmt.Fprintf(&b, `\u%04x`, r16)
			}
		default:
			b.WriteRune(ru)
		}
	}
	return b.String()
}

// placeholder returns the text that replaces a secret found by rule.
func (r *Redactor) placeholder(rule string) string {
	if r.omitRule || rule == "" {
		return "[REDACTED]"
	}
	if p, ok := placeholders[rule]; ok {
		return p
	}
	return "[REDACTED:" + rule + "]"
}

// placeholders holds the placeholder of every built-in rule, so that
// redacting allocates no placeholder text.
var placeholders = func() map[string]string {
	m := map[string]string{}
	for _, rule := range []string{
		ruleSecret, ruleKey, ruleURL, ruleHeader, rulePEM, ruleEncoded, ruleLimit,
		ruleError, "openai", "anthropic", "stripe", "google", "aws", "huggingface",
		"github", "gitlab", "slack", "jwt", "bearer", "basic", "deepgram",
	} {
		m[rule] = "[REDACTED:" + rule + "]"
	}
	return m
}()
