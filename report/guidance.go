package report

import (
	"strconv"
	"strings"
)

// advice is the guidance for one code: the text for an error that is
// retryable and the text for one that is not. A code whose errors are
// always one or the other has only that text, which is then used for both.
type advice struct{ retry, final string }

// text returns the guidance for an error that is retryable or not.
func (a advice) text(retryable bool) string {
	if retryable && a.retry != "" || a.final == "" {
		return a.retry
	}
	return a.final
}

// Texts shared by several codes.
const (
	reportFault = "Report the code and the time it happened."
	pluginAgain = "Try again. If it keeps happening, update or disable the plugin."
)

// builtinGuidance is the guidance for each code that the packages of this
// module return. Keep the table in doc.go in step with it.
var builtinGuidance = map[string]advice{
	CodeInternal: {
		retry: "Something unexpected went wrong. Try again. If it keeps happening, " +
			"report the code and the time it happened.",
		final: "Something unexpected went wrong. " + reportFault,
	},
	CodeTimeout: {
		retry: "The operation took too long and was stopped. Check your network " +
			"connection, then try again.",
		final: "The operation ran out of the time it was given and was stopped. " +
			"Start it again when you are ready. If it keeps timing out, check your " +
			"network connection.",
	},
	CodeCanceled: {final: "The operation was canceled before it finished. Start it " +
		"again when you are ready."},
	"ERR-InvalidInput": {final: "The input was rejected as invalid, so sending it " +
		"again unchanged fails again. Correct it, then try again."},

	// breaker
	"ERR-CircuitOpen": {final: "The service failed several times in a row, so " +
		"calls to it are paused for a while. Try again later."},

	// retry
	"ERR-RateLimited": {retry: "The service is receiving too many requests. Wait a " +
		"moment before trying again."},
	"ERR-RetriesExhausted": {retry: "The operation failed after several attempts. " +
		"Check your network connection and try again later."},
	"ERR-RetryTimeBudgetExhausted": {retry: "The operation kept failing until the " +
		"time allowed for it ran out. Check your network connection and try again later."},
	"ERR-RetryBudgetExhausted": {retry: "Too many operations are failing right now, " +
		"so retries are paused to let the service recover. Try again later."},
	"ERR-RetryAfterTooLong": {retry: "The service asked for a longer wait before the " +
		"next attempt than is allowed. Try again later."},
	"ERR-NotRetryable": {final: "The operation failed in a way that trying again " +
		"unchanged cannot fix. Check the message for what to change, or report the code."},

	// session
	"ERR-PermissionDenied": {final: "This action needs a permission you have not " +
		"granted. Grant it when asked, or cancel the action."},
	"ERR-SessionExpired": {final: "Your permission for this action has expired. " +
		"Grant it again to continue."},
	"ERR-SessionRevoked": {final: "Your permission for this action was revoked. " +
		"Grant it again to continue."},
	"ERR-ClockUncertain": {final: "The system clock changed (for example after " +
		"sleep), so permissions were withdrawn for safety. Grant them again to continue."},
	"ERR-StoreDegraded": {retry: "Saved permissions could not be read or written, " +
		"so the action was denied for safety. Try again in a moment. If it keeps " +
		"happening, check free disk space and file permissions."},
	"ERR-InvalidScope": {final: "The action asked for a permission that does not " +
		"exist, so granting cannot help. " + reportFault},
	"ERR-SessionClosed": {final: "Permission checks have stopped because the " +
		"program is shutting down. Restart it to continue."},

	// strategy
	"ERR-StepFailed": {
		retry: "A step of the task failed every way it was tried. Try the step " +
			"again, or skip it.",
		final: "A step of the task failed every way it was tried, and trying it " +
			"again unchanged fails the same way. Fix what the message names, or skip the step.",
	},
	"ERR-StepTimeout": {
		retry: "A step of the task took too long and was stopped. Try the step " +
			"again, or skip it.",
		final: "A step of the task did not finish in the time allowed and was " +
			"stopped. Check that what the step waits for is ready, then run the " +
			"task again, or skip the step.",
	},
	"ERR-EnvironmentChanged": {final: "Something the task depends on changed while " +
		"it ran, such as a window it used being closed. Restore it, then resume, " +
		"or cancel the task."},
	"ERR-PlanAborted": {final: "The task was stopped and its completed steps were " +
		"undone where possible. Review what changed before starting it again."},
	"ERR-StrategyPanic": {
		retry: "A step failed because of a fault in the program. Try again. If it " +
			"keeps happening, report the code and the time it happened.",
		final: "A step failed because of a fault in the program. " + reportFault,
	},

	// plugin
	"ERR-PluginRejected": {
		retry: "The plugin's files could not be read. Try again. If it keeps " +
			"happening, check that the plugin folder exists and can be read.",
		final: "The plugin failed verification and was not loaded. Reinstall it " +
			"from a trusted source or contact its publisher.",
	},
	"ERR-MissingDependency": {final: "Something the plugin needs is not installed. " +
		"Install what the message names, then try again."},
	"ERR-PluginTimeout": {final: "The plugin did not finish in the time allowed " +
		"and was stopped. Check for an update to the plugin, or disable it if it " +
		"keeps timing out."},
	"ERR-PluginCanceled": {final: "The plugin was stopped because the operation was " +
		"canceled. Start it again when you are ready."},
	"ERR-PluginCrashed":     {retry: "The plugin stopped unexpectedly. " + pluginAgain},
	"ERR-PluginProtocol":    {retry: "The plugin sent a reply that could not be read. " + pluginAgain},
	"ERR-PluginStartFailed": {retry: "The plugin could not be started. " + pluginAgain},

	// wsreconnect
	"ERR-WebSocketClosed": {final: "The connection was shut down before the message " +
		"was sent. Reconnect, then send it again."},
	"ERR-WebSocketNotConnected": {retry: "The connection is down, so the message was " +
		"not sent. Send it again once the connection is back."},
	"ERR-WebSocketQueueFull": {retry: "Too many messages are waiting to be sent. " +
		"Wait a moment, then send it again."},
	"ERR-WebSocketDropped": {retry: "The message was dropped to make room for newer " +
		"ones while the connection was slow or down. Send it again if it is still needed."},
	"ERR-WebSocketExpired": {retry: "The message waited too long to be sent and was " +
		"dropped. Send it again if it is still needed."},
	"ERR-WebSocketWriteFailed": {retry: "The message could not be written to the " +
		"connection and may not have arrived. Send it again once the connection is back."},
	"ERR-WebSocketTooLarge": {final: "The message is larger than the connection " +
		"accepts, so it was not sent. Send a smaller message."},
	"ERR-WebSocketInvalidMessage": {final: "The program tried to send a kind of " +
		"message the connection does not carry. " + reportFault},
	"ERR-WebSocketGaveUp": {retry: "The connection to the server could not be " +
		"restored. Check your network connection, then reconnect."},
	"ERR-WebSocketRejected": {final: "The server refused the connection. Check your " +
		"credentials and settings, then reconnect."},
	"ERR-WebSocketTerminalClose": {final: "The server closed the connection and asked " +
		"not to reconnect. Check the message for the reason and fix it before " +
		"reconnecting."},
	"ERR-WebSocket": {
		retry: "The connection failed. Check your network connection, then reconnect.",
		final: "The connection failed in a way that reconnecting unchanged cannot " +
			"fix. " + reportFault,
	},
}

// httpGuidance returns the guidance for code "ERR-HTTP" followed by an
// HTTP status code, as retry.HTTPError reports a response, and false for
// any other code.
func httpGuidance(code string, retryable bool) (string, bool) {
	digits, ok := strings.CutPrefix(code, "ERR-HTTP")
	status, err := strconv.Atoi(digits)
	if !ok || err != nil || len(digits) != 3 {
		return "", false
	}
	switch {
	case status == 401 || status == 403:
		return "The service did not accept the credentials. Check your sign-in or " +
			"API key, then try again.", true
	case status == 404:
		return "The service does not know what was requested, so trying again " +
			"unchanged fails again. Check the address or settings.", true
	case retryable:
		return "The service is busy or briefly unavailable. Try again in a moment.", true
	case status >= 500:
		return "The service cannot handle this request, so trying again unchanged " +
			"is unlikely to help. Report the code.", true
	}
	return "The service rejected the request, so sending it again unchanged " +
		"fails again. Check the message for what to change.", true
}

// Generic guidance for a code without an entry.
const (
	retryGuidance = "Try again in a moment. If it keeps failing, report the code."
	fixGuidance   = "Trying again will not help. Check the message for what to " +
		"change, or report the code."
)

// guidance returns the guidance for code, from rp.Guidance, the built-in
// table, or the generic hint for a retryable or a permanent error.
func (rp *Reporter) guidance(code string, retryable bool) string {
	if g, ok := rp.Guidance[code]; ok {
		return g
	}
	if a, ok := builtinGuidance[code]; ok {
		return a.text(retryable)
	}
	if g, ok := httpGuidance(code, retryable); ok {
		return g
	}
	if retryable {
		return retryGuidance
	}
	return fixGuidance
}

// Guidance returns the built-in guidance for code and an error that is
// retryable or not: the entry the package documentation lists for the
// code, or the generic hint for a retryable or a permanent error when the
// code has none.
func Guidance(code string, retryable bool) string {
	return (&Reporter{}).guidance(code, retryable)
}
