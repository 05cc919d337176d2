package app

import (
	"errors"

	"go.temporal.io/sdk/temporal"
)

// RootCause is the message of the first application error in err's chain:
// the reason an activity or workflow gave, in words a person can act on,
// without the layers of workflow and activity wrapping, followed by its type
// in parentheses. (Its own causes are already in its message.) The command
// line and the benchmark report a failed run with it.
func RootCause(err error) string {
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		if app.Type() != "" {
			return app.Message() + " (" + app.Type() + ")"
		}
		return app.Message()
	}
	var timeout *temporal.TimeoutError
	if errors.As(err, &timeout) {
		return timeout.Error()
	}
	return err.Error()
}
