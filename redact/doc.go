// Package redact removes secrets from text, errors, URLs, HTTP headers,
// JSON, Go values and log records before they reach a log, a crash report,
// a user interface or a language model.
//
// Most programs want [NewHandler], which wraps any [log/slog.Handler] so
// that nothing it logs carries a secret, and [Error] for error text shown
// elsewhere. [String], [Bytes], [URL], [Header], [JSON] and [Value] redact
// one kind of value each. A [Secret] holds a credential in memory and never
// prints it.
//
// The package-level functions use [Default], an immutable [Redactor] with
// the built-in detection. A program that has its own secrets (the API keys
// it loaded, say) builds its own Redactor with [New] and [Config.Secrets],
// or with [Redactor.WithSecrets], and uses its methods. A Redactor is safe
// for concurrent use.
//
// # Detection
//
// The detectors run cheapest first, in one pass over the input:
//
//  1. Registered secrets, matched literally and in their base64,
//     URL-encoded, JSON-escaped and hex forms.
//  2. Sensitive key names (password, passwd, secret, token, api_key,
//     access_token, client_secret, private_key, authorization, cookie,
//     session, signature, credential, ...), compared in lower case without
//     separators, so "X-Api-Key", "OPENAI_API_KEY" and "db.password" all
//     match. Names that describe a secret without holding it (token_count,
//     max_tokens, public_key, password_file, ...) are allowed. In text the
//     value after "key=", "key:" or "\"key\":" goes (a quoted string
//     holding '/', '?', '=' or '&' is a URL or a path, not a key, so in
//     `Get "http://h/?token=x": EOF` only x goes), and a header line
//     ("X-Api-Key: v", "Authorization: Bearer v") loses the rest of the
//     line. An error code ("ERR-SessionExpired: ...") is not a key. A
//     lower-case word, ": " and a sentence is a Go error prefix, so
//     "session: grant expired" and "token: invalid" stay, while the single
//     word in "password: hunter2" and a credential-like first word go. In
//     JSON, values, maps and structs the whole value under the key goes.
//  3. Structures: URL user info and query parameters, Authorization and
//     Cookie headers, DSNs (postgres://user:pass@host, user:pass@tcp(host),
//     "host=db password=x"), PEM private-key blocks.
//  4. Token formats with a fixed prefix. These are OpenAI (sk-, sk-proj-),
//     Anthropic (sk-ant-), Google (AIza), Hugging Face (hf_), GitHub (ghp_,
//     gho_, github_pat_, ...), GitLab (glpat-), Slack (xoxb-, ...), AWS
//     access key ids (AKIA, ASIA), Stripe (sk_live_, rk_live_, ...) and JWTs
//     (eyJ...). Bearer and basic credentials count too, and so do Deepgram
//     keys after "Token" or "deepgram". A token ends where its alphabet ends, so the punctuation
//     after it stays.
//  5. Base64 and percent-encoded spans are decoded, within bounds, and
//     redacted whole when the decoding holds a secret.
//
// Each detector runs only when the byte under the cursor can start what it
// detects, and no regular expression is used, so text without secrets is
// scanned in one pass without allocating. BenchmarkStringClean measures a
// clean 200-byte log line.
//
// # Output
//
// A secret is replaced whole by "[REDACTED:rule]", where rule names the
// detector, or by "[REDACTED]" with [Config.OmitRule]; no prefix or suffix
// of it is kept. Control characters, Unicode line separators,
// bidirectional overrides and invisible separators such as U+200B are
// escaped (\n, \x1b, \u2028) so that redacted text cannot forge log lines.
// A zero width character inside a token does not end the token. Input nested deeper than [Config.MaxDepth]
// or larger than [Config.MaxNodes] elements, cyclic values, and panics
// inside the redactor or in the values it renders yield a placeholder,
// never the raw value.
//
// Detection has limits: a secret with no registered value, no sensitive key
// and no known format (a bare password in prose) cannot be told apart from
// other text.
package redact
