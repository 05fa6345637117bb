// Package session keeps time-boxed permission grants and decides, before
// every action, whether one allows it. It fails secure: every error,
// uncertainty or internal failure denies, and a doubtful grant is revoked.
//
// Most callers create one [Manager] with [New], record the user's consent
// with [Manager.Grant], and call [Manager.Check] or [Manager.Ensure] before
// each action, or wrap an HTTP handler with [Manager.Middleware], which
// responds to every denial with 403.
//
// # Expiry and clocks
//
// A grant has a wall-clock and a monotonic deadline and ends at whichever
// comes first. It ends when a check finds it past a deadline, and the
// background loop also ends it at its deadline. The manager compares the
// wall clock with the monotonic clock on every reading: when the wall clock
// moves backwards, or forwards by more than the monotonic clock (as across
// a suspend), every live grant is revoked with ReasonClockUncertain. For
// each grant that ends, [Hooks].OnRegrant receives one request for the
// user to grant the scope again.
//
// # Revocation is final
//
// An ended grant leaves a tombstone, kept for at least its original time
// to live, so Extend cannot renew it and checks report why it ended. File
// writes are serialised and each carries the latest version, so a write
// that started before a revocation cannot restore the grant on disk.
//
// # Persistence
//
// With Config.Path set, grants survive restarts in one file, replaced
// atomically (temporary file, fsync, rename, fsync of the directory), mode
// 0600 in a directory created with mode 0700, authenticated with
// HMAC-SHA256. A file that is missing, truncated, corrupt, tampered with,
// of another schema version, readable by others, or owned by another user
// loads zero grants and, unless missing, is moved aside for inspection.
// When the disk fails, grants live in memory, [Manager.Status] reports
// Degraded, and the file is written again once the disk works.
//
// NOTE: Across a restart only the wall clock bounds a grant, because the
// monotonic clock starts anew. A wall clock set back while the program was
// stopped therefore lengthens the grants loaded, each at most to its
// original time to live from the restart, unless the clock went back past
// the time the file was written, which rejects the file.
// The MAC proves that the file was written with the key, not that it is
// the latest copy: an older copy put back in place loads.
//
// # Concurrency
//
// A Manager is safe for concurrent use. Check takes no lock unless a grant
// is ending, and does not allocate when it allows, so it is cheap enough to call before every
// action. Call [Manager.Close] to stop the background goroutines.
package session
