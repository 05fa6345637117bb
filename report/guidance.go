package report

// builtinGuidance is the advice shown for each code that the packages of
// this module return.
var builtinGuidance = map[string]string{
	CodeInternal: "Something unexpected went wrong. Try again; if it keeps " +
		"happening, report the code and the time it happened.",
	CodeTimeout: "The operation took too long and was stopped. Check your " +
		"network connection, then try again.",
	CodeCanceled: "The operation was canceled before it finished. Start it " +
		"again when you are ready.",
	"ERR-CircuitOpen": "The service failed several times in a row, so calls to " +
		"it are paused for a while. Try again in a minute; other features keep working.",
	"ERR-RateLimited": "The service is receiving too many requests. Wait a " +
		"moment before trying again.",
	"ERR-SessionExpired": "Your permission for this action has expired. " +
		"Grant it again to continue.",
	"ERR-SessionRevoked": "Your permission for this action was revoked. " +
		"Grant it again to continue.",
	"ERR-ClockUncertain": "The system clock changed (for example after sleep), " +
		"so permissions were withdrawn for safety. Grant them again to continue.",
	"ERR-PermissionDenied": "This action needs a permission you have not " +
		"granted. Grant it when asked, or cancel the action.",
	"ERR-InvalidInput": "The input was rejected as invalid, so retrying it " +
		"unchanged will fail again. Correct it and try again.",
	"ERR-PluginRejected": "The plugin failed verification and was not loaded. " +
		"Reinstall it from a trusted source or contact its publisher.",
	"ERR-MissingDependency": "Something the feature needs is not installed. " +
		"Install what the message names, then try again.",
	"ERR-RetriesExhausted": "The operation failed after several attempts. " +
		"Check your network connection and try again later.",
	"ERR-RetryBudgetExhausted": "Too many operations are failing right now, " +
		"so retries are paused to let the service recover. Try again in a minute.",
	"ERR-RetryAfterTooLong": "The service asked to wait longer than the " +
		"assistant allows. Try again later.",
	"ERR-StepTimeout": "A step of the task took too long and was stopped. " +
		"Retry the step, or skip it.",
	"ERR-EnvironmentChanged": "The window or application the task was using " +
		"changed. Bring it back, then resume, or cancel the task.",
	"ERR-PlanAborted": "The task was stopped and its completed steps were " +
		"undone where possible. Review what changed before starting it again.",
	"ERR-PluginTimeout": "The plugin took too long and was stopped. Try " +
		"again; if it keeps happening, update or disable the plugin.",
	"ERR-PluginCrashed": "The plugin stopped unexpectedly. Try again; if it " +
		"keeps happening, update or disable the plugin.",
	"ERR-WebSocketGaveUp": "The connection to the server could not be " +
		"restored. Check your network connection, then reconnect.",
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
	if g, ok := builtinGuidance[code]; ok {
		return g
	}
	if retryable {
		return retryGuidance
	}
	return fixGuidance
}

// Guidance returns the built-in guidance for code, or the generic hint for
// a retryable or a permanent error when the code has none.
func Guidance(code string, retryable bool) string {
	return (&Reporter{}).guidance(code, retryable)
}
