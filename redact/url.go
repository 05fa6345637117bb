package redact

import (
	"net/http"
	"net/url"
	"strings"
)

// URL returns raw with its secrets redacted by the Default Redactor.
func URL(raw string) string { return defaultRedactor.URL(raw) }

// URL returns raw with the password in its user info, the values of
// sensitive query and fragment parameters, and any detected secret in the
// rest replaced by placeholders. A user name standing alone is treated as a
// token and redacted too. When raw does not parse, the text between the
// scheme and the host is redacted anyway and the rest is redacted as text.
// Unlike url.URL.String, the placeholders are not percent-encoded, and
// parameters keep their order.
func (r *Redactor) URL(raw string) (out string) {
	defer func() {
		if recover() != nil {
			out = r.placeholder(ruleError)
		}
	}()
	u, err := url.Parse(raw)
	if err != nil || u.Opaque != "" {
		return r.String(r.unparsedUserinfo(raw))
	}
	var b strings.Builder
	if u.Scheme != "" {
		b.WriteString(r.String(u.Scheme))
		b.WriteString(":")
	}
	if u.Scheme != "" || u.Host != "" || u.User != nil {
		b.WriteString("//")
	}
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			b.WriteString(r.String(u.User.Username()))
			b.WriteString(":")
		}
		b.WriteString(r.placeholder(ruleURL))
		b.WriteString("@")
	}
	b.WriteString(r.String(u.Host))
	b.WriteString(r.String(u.EscapedPath()))
	if u.ForceQuery || u.RawQuery != "" {
		b.WriteString("?")
		b.WriteString(r.query(u.RawQuery))
	}
	if u.Fragment != "" {
		b.WriteString("#")
		b.WriteString(r.query(u.EscapedFragment()))
	}
	// Parsing lower-cases the scheme and re-escapes parts, which can form
	// an encoded registered secret across the parts redacted one by one.
	return r.replaceForms(b.String())
}

// unparsedUserinfo redacts whatever lies between "://" and the last '@'
// before the host of a URL that does not parse.
func (r *Redactor) unparsedUserinfo(raw string) string {
	p := strings.Index(raw, "://")
	if p < 0 {
		return raw
	}
	rest := raw[p+3:]
	hostEnd := strings.IndexAny(rest, "/?#")
	if hostEnd < 0 {
		hostEnd = len(rest)
	}
	at := strings.LastIndexByte(rest[:hostEnd], '@')
	if at < 0 {
		return raw
	}
	return raw[:p+3] + r.placeholder(ruleURL) + rest[at:]
}

// query redacts an encoded query string, parameter by parameter.
func (r *Redactor) query(q string) string {
	var b strings.Builder
	for i, part := range strings.Split(q, "&") {
		if i > 0 {
			b.WriteByte('&')
		}
		k, v, found := strings.Cut(part, "=")
		name, err := url.QueryUnescape(k)
		if err != nil {
			name = k
		}
		b.WriteString(r.String(k))
		if !found {
			continue
		}
		b.WriteByte('=')
		if r.SensitiveKey(name) && v != "" {
			b.WriteString(r.placeholder(ruleKey))
		} else {
			b.WriteString(r.String(v))
		}
	}
	return b.String()
}

// Header returns a redacted copy of h made by the Default Redactor.
func Header(h http.Header) http.Header { return defaultRedactor.Header(h) }

// Header returns a copy of h with credentials replaced by placeholders; h is
// not modified. Authorization and Proxy-Authorization keep their scheme
// word ("Bearer [REDACTED:header]"). Cookie keeps cookie names, and
// Set-Cookie keeps the name and attributes. A header with a sensitive name
// (X-Api-Key, X-Auth-Token, ...) loses its whole value. Every other value
// is redacted as text.
func (r *Redactor) Header(h http.Header) http.Header {
	if h == nil {
		return nil
	}
	out := make(http.Header, len(h))
	for k, vs := range h {
		c := make([]string, len(vs))
		for i, v := range vs {
			c[i] = r.headerValue(k, v)
		}
		out[k] = c
	}
	return out
}

func (r *Redactor) headerValue(name, v string) string {
	switch keyKind(name) {
	case kindScheme:
		sp, _ := schemeValue(v, 0, true, nil)
		return r.rewrite(v, sp, true)
	case kindCookie, kindSetCookie:
		sp := cookieSpans(v, 0, len(v), keyKind(name) == kindSetCookie, nil)
		return r.rewrite(v, sp, true)
	}
	if r.SensitiveKey(name) && v != "" {
		return r.placeholder(ruleHeader)
	}
	return r.String(v)
}
