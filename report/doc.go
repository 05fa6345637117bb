// Package report turns any error into a notice for the user: a stable
// code, a redacted message, whether retrying can help, and what to do next.
//
// [From] builds a [Notice], which marshals to JSON for a user interface,
// and [Log] logs an error with its code through a redacting handler. Both
// use a zero [Reporter]. An application that registers its own secrets, or
// guidance for codes of its own, builds a Reporter and calls its methods.
// The examples ExampleFrom, ExampleLog and ExampleReporter show each use.
//
// # What to show and what to log
//
// A notice has two audiences. [Notice.Code] and [Notice.Guidance] are the
// text for the user: the code to quote to support and one or two sentences
// on what to do next. [Notice.Message] is the technical detail (the error
// text, redacted and escaped) for logs and support. It names hosts, files
// and internal packages, so show it only where the user asks for details.
// [Notice.Retryable] reports whether an immediate retry can help, so the
// interface knows whether to offer one, and the guidance agrees with it.
//
// # Guidance by code
//
// Every code that the packages of this module return has guidance of its
// own. Where the cause decides whether retrying helps, the code has a text
// for each case. Whether an error is retryable is decided by the same
// classification as the retry package uses, not by the code alone.
// [Reporter.Guidance] replaces any entry and adds codes of an application.
// A code without an entry gets a generic text for a retryable or a
// permanent error.
//
//   - ERR-Canceled, not retryable: The operation was canceled before it
//     finished. Start it again when you are ready.
//   - ERR-CircuitOpen, not retryable: The service failed several times in a
//     row, so calls to it are paused for a while. Try again later.
//   - ERR-ClockUncertain, not retryable: The system clock changed (for
//     example after sleep), so permissions were withdrawn for safety. Grant
//     them again to continue.
//   - ERR-EnvironmentChanged, not retryable: Something the task depends on
//     changed while it ran, such as a window it used being closed. Restore
//     it, then resume, or cancel the task.
//   - ERR-Internal, retryable: Something unexpected went wrong. Try again. If
//     it keeps happening, report the code and the time it happened.
//   - ERR-Internal, not retryable: Something unexpected went wrong. Report
//     the code and the time it happened.
//   - ERR-InvalidInput, not retryable: The input was rejected as invalid, so
//     sending it again unchanged fails again. Correct it, then try again.
//   - ERR-InvalidScope, not retryable: The action asked for a permission that
//     does not exist, so granting cannot help. Report the code and the time
//     it happened.
//   - ERR-MissingDependency, not retryable: Something the plugin needs is not
//     installed. Install what the message names, then try again.
//   - ERR-NotRetryable, not retryable: The operation failed in a way that
//     trying again unchanged cannot fix. Check the message for what to
//     change, or report the code.
//   - ERR-PermissionDenied, not retryable: This action needs a permission you
//     have not granted. Grant it when asked, or cancel the action.
//   - ERR-PlanAborted, not retryable: The task was stopped and its completed
//     steps were undone where possible. Review what changed before starting
//     it again.
//   - ERR-PluginCanceled, not retryable: The plugin was stopped because the
//     operation was canceled. Start it again when you are ready.
//   - ERR-PluginCrashed, retryable: The plugin stopped unexpectedly. Try
//     again. If it keeps happening, update or disable the plugin.
//   - ERR-PluginProtocol, retryable: The plugin sent a reply that could not
//     be read. Try again. If it keeps happening, update or disable the
//     plugin.
//   - ERR-PluginRejected, retryable: The plugin's files could not be read.
//     Try again. If it keeps happening, check that the plugin folder exists
//     and can be read.
//   - ERR-PluginRejected, not retryable: The plugin failed verification and
//     was not loaded. Reinstall it from a trusted source or contact its
//     publisher.
//   - ERR-PluginStartFailed, retryable: The plugin could not be started. Try
//     again. If it keeps happening, update or disable the plugin.
//   - ERR-PluginTimeout, not retryable: The plugin did not finish in the time
//     allowed and was stopped. Check for an update to the plugin, or disable
//     it if it keeps timing out.
//   - ERR-RateLimited, retryable: The service is receiving too many requests.
//     Wait a moment before trying again.
//   - ERR-RetriesExhausted, retryable: The operation failed after several
//     attempts. Check your network connection and try again later.
//   - ERR-RetryAfterTooLong, retryable: The service asked for a longer wait
//     before the next attempt than is allowed. Try again later.
//   - ERR-RetryBudgetExhausted, retryable: Too many operations are failing
//     right now, so retries are paused to let the service recover. Try again
//     later.
//   - ERR-RetryTimeBudgetExhausted, retryable: The operation kept failing
//     until the time allowed for it ran out. Check your network connection
//     and try again later.
//   - ERR-SessionClosed, not retryable: Permission checks have stopped
//     because the program is shutting down. Restart it to continue.
//   - ERR-SessionExpired, not retryable: Your permission for this action has
//     expired. Grant it again to continue.
//   - ERR-SessionRevoked, not retryable: Your permission for this action was
//     revoked. Grant it again to continue.
//   - ERR-StepFailed, retryable: A step of the task failed every way it was
//     tried. Try the step again, or skip it.
//   - ERR-StepFailed, not retryable: A step of the task failed every way it
//     was tried, and trying it again unchanged fails the same way. Fix what
//     the message names, or skip the step.
//   - ERR-StepTimeout, retryable: A step of the task took too long and was
//     stopped. Try the step again, or skip it.
//   - ERR-StepTimeout, not retryable: A step of the task did not finish in
//     the time allowed and was stopped. Check that what the step waits for is
//     ready, then run the task again, or skip the step.
//   - ERR-StoreDegraded, retryable: Saved permissions could not be read or
//     written, so the action was denied for safety. Try again in a moment. If
//     it keeps happening, check free disk space and file permissions.
//   - ERR-StrategyPanic, retryable: A step failed because of a fault in the
//     program. Try again. If it keeps happening, report the code and the time
//     it happened.
//   - ERR-StrategyPanic, not retryable: A step failed because of a fault in
//     the program. Report the code and the time it happened.
//   - ERR-Timeout, retryable: The operation took too long and was stopped.
//     Check your network connection, then try again.
//   - ERR-Timeout, not retryable: The operation ran out of the time it was
//     given and was stopped. Start it again when you are ready. If it keeps
//     timing out, check your network connection.
//   - ERR-WebSocket, retryable: The connection failed. Check your network
//     connection, then reconnect.
//   - ERR-WebSocket, not retryable: The connection failed in a way that
//     reconnecting unchanged cannot fix. Report the code and the time it
//     happened.
//   - ERR-WebSocketClosed, not retryable: The connection was shut down before
//     the message was sent. Reconnect, then send it again.
//   - ERR-WebSocketDropped, retryable: The message was dropped to make room
//     for newer ones while the connection was slow or down. Send it again if
//     it is still needed.
//   - ERR-WebSocketExpired, retryable: The message waited too long to be sent
//     and was dropped. Send it again if it is still needed.
//   - ERR-WebSocketGaveUp, retryable: The connection to the server could not
//     be restored. Check your network connection, then reconnect.
//   - ERR-WebSocketInvalidMessage, not retryable: The program tried to send a
//     kind of message the connection does not carry. Report the code and the
//     time it happened.
//   - ERR-WebSocketNotConnected, retryable: The connection is down, so the
//     message was not sent. Send it again once the connection is back.
//   - ERR-WebSocketQueueFull, retryable: Too many messages are waiting to be
//     sent. Wait a moment, then send it again.
//   - ERR-WebSocketRejected, not retryable: The server refused the
//     connection. Check your credentials and settings, then reconnect.
//   - ERR-WebSocketTerminalClose, not retryable: The server closed the
//     connection and asked not to reconnect. Check the message for the reason
//     and fix it before reconnecting.
//   - ERR-WebSocketTooLarge, not retryable: The message is larger than the
//     connection accepts, so it was not sent. Send a smaller message.
//   - ERR-WebSocketWriteFailed, retryable: The message could not be written
//     to the connection and may not have arrived. Send it again once the
//     connection is back.
//   - ERR-HTTP401 and ERR-HTTP403, not retryable: The service did not accept
//     the credentials. Check your sign-in or API key, then try again.
//   - ERR-HTTP404, not retryable: The service does not know what was
//     requested, so trying again unchanged fails again. Check the address or
//     settings.
//   - ERR-HTTP408, ERR-HTTP429, ERR-HTTP500, ERR-HTTP502, ERR-HTTP503 and
//     ERR-HTTP504, retryable: The service is busy or briefly unavailable. Try
//     again in a moment.
//   - Another ERR-HTTP5xx, not retryable: The service cannot handle this
//     request, so trying again unchanged is unlikely to help. Report the
//     code.
//   - Another ERR-HTTP4xx, not retryable: The service rejected the request,
//     so sending it again unchanged fails again. Check the message for what
//     to change.
//
// ERR-CircuitOpen is not retryable because an immediate retry is rejected
// too. The breaker's error text in the message says when calls resume.
package report
