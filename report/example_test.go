package report_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"

	"github.com/cowork-ai/resilience/report"
)

// rateLimited is how a provider client might report HTTP 429.
type rateLimited struct{ url string }

func (e rateLimited) Error() string   { return "POST " + e.url + ": too many requests" }
func (e rateLimited) Code() string    { return "ERR-RateLimited" }
func (e rateLimited) StatusCode() int { return 429 }

func ExampleFrom() {
	err := fmt.Errorf("transcribe: %w", rateLimited{"https://stt.example.com/v1?api_key=k1"})
	n := report.From(err)
	data, _ := json.MarshalIndent(n, "", "  ")
	fmt.Println(string(data))
	// Output:
	// {
	//   "code": "ERR-RateLimited",
	//   "message": "transcribe: POST https://stt.example.com/v1?api_key=[REDACTED:key]: too many requests",
	//   "retryable": true,
	//   "guidance": "The service is receiving too many requests. Wait a moment before trying again."
	// }
}

func ExampleLog() {
	opts := &slog.HandlerOptions{ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey && len(groups) == 0 {
			return slog.Attr{}
		}
		return a
	}}
	logger := slog.New(slog.NewTextHandler(os.Stdout, opts))
	err := fmt.Errorf("connect postgres://app:pa55@db/main: %w", context.DeadlineExceeded)
	report.Log(context.Background(), logger, err, slog.String("service", "db"))
	// Output:
	// level=ERROR msg="ERR-Timeout: operation failed" code=ERR-Timeout retryable=false err="connect postgres://app:[REDACTED:url]@db/main: context deadline exceeded" service=db
}

// quotaExceeded is an error code of an application, not of this module.
type quotaExceeded struct{ account string }

func (e quotaExceeded) Error() string   { return "transcribe: quota of " + e.account + " used up" }
func (e quotaExceeded) Code() string    { return "ERR-QuotaExceeded" }
func (e quotaExceeded) Retryable() bool { return false }

func ExampleReporter() {
	rp := &report.Reporter{Guidance: map[string]string{
		"ERR-QuotaExceeded": "Your plan's monthly quota is used up. Upgrade the plan to continue.",
	}}
	n := rp.From(quotaExceeded{"acct-7"})
	fmt.Println("user sees:", n.Code+":", n.Guidance)
	fmt.Println("log gets: ", n.Message)
	fmt.Println(n)
	// Output:
	// user sees: ERR-QuotaExceeded: Your plan's monthly quota is used up. Upgrade the plan to continue.
	// log gets:  transcribe: quota of acct-7 used up
	// ERR-QuotaExceeded: transcribe: quota of acct-7 used up -- Your plan's monthly quota is used up. Upgrade the plan to continue.
}
