// Package plugin verifies signed plugins, checks their dependencies, and
// runs them as sandboxed subprocesses that are killed on timeout.
//
// A plugin is a directory holding its files, a manifest (plugin.json) and
// a detached Ed25519 signature (plugin.sig). Publishers sign a directory
// with [SignDir] or the plugin-sign command in plugin/cmd/plugin-sign.
// Hosts create a [Loader] from a [Config] that pins the trusted public
// keys, then call [Loader.Load], [Plugin.Start] and [Process.Call]; see
// the Loader.Load example.
//
// # Verification
//
// [Loader.Verify] and [Loader.Load] run their checks in this order:
//
//   - the signature and its key (trusted, not revoked), before any
//     manifest byte is parsed;
//   - the manifest, decoded strictly so that an unknown field, a key
//     repeated in an object and a key that differs from a field name
//     only in case are rejected;
//   - the plugin id and version against the request;
//   - the issue and expiry times and the host API range;
//   - the highest version loaded before, so a rollback is rejected (the
//     marks persist in Config.StateFile);
//   - the directory tree, which must contain exactly the listed regular
//     files and no symbolic link, device, pipe or socket;
//   - the size and SHA-256 digest of every file.
//
// Each rejection is a [*RejectedError] carrying one [Reason], and is
// logged at Error level with event=plugin.verify_failed.
//
// Load copies each file into a private 0700 directory while hashing it,
// and processes run from that copy, so the bytes executed are the bytes
// verified even if the original directory changes afterwards.
//
// # Running
//
// [Plugin.Start] first runs [Plugin.Preflight], which lists every missing
// executable, environment variable, platform or interpreter in one
// [*MissingDependencyError]. The process then runs in its own process
// group, in a private working directory, with only the allowlisted
// environment variables, with core dumps disabled and CPU time, address
// space and open files limited. On Linux the limits are in place before
// the process runs its first instruction. Where the host may not trace
// its child (ptrace), as under some container profiles, they are set
// right after it starts instead. Requests and replies are single lines of
// JSON on standard input and output; standard error is kept, bounded,
// for the host to redact and log.
//
// When a context ends or [Process.Close] is called, the process group
// gets SIGTERM and, after Config.Grace, SIGKILL. When the process exits,
// whatever is left in its group is killed at once, so a grandchild that
// holds a pipe cannot make the host wait. A crash, timeout or malformed
// reply is a [*RunError]; the host keeps running.
//
// The process runs as the host's user, so it can read what the host can
// read. The sandbox limits resource use and cleans up every process of
// the group. It is not an isolation boundary against a malicious plugin,
// so the signature check is what keeps such a plugin out. Running plugins is
// implemented for Linux only, while verification works on every platform.
//
// # Concurrency
//
// A Loader and a Plugin are safe for concurrent use. A Process serialises
// its calls; Close may be called from any goroutine. Hooks are called
// without any lock held: OnVerify on the goroutine of the Verify or Load
// call, OnRun on the goroutine that supervises the process.
package plugin

// BUG(plugin): a descendant that leaves the process group (with setsid or
// setpgid) escapes the group kill; only its pipes are closed after the
// grace period. Containing it would need a cgroup or PID namespace.
