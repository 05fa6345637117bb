// Package report is a temporary stand-in for the report package.
package report

import (
	"errors"

	"github.com/cowork-ai/resilience/internal/classify"
)

type Notice struct {
	Code      string
	Message   string
	Retryable bool
	Guidance  string
}

func From(err error) Notice {
	n := Notice{Code: "ERR-Internal", Message: err.Error(), Retryable: classify.Retryable(err)}
	var c interface{ Code() string }
	if errors.As(err, &c) {
		n.Code = c.Code()
	}
	return n
}
