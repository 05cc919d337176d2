package app

import (
	"errors"
	"fmt"
	"testing"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
)

func TestRootCause(t *testing.T) {
	cause := temporal.NewNonRetryableApplicationError("source nope: folder nope does not exist", "ConfigError", nil)
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"typed, wrapped", fmt.Errorf("workflow failed: %w", fmt.Errorf("activity failed: %w", cause)), "source nope: folder nope does not exist (ConfigError)"},
		{"untyped", temporal.NewApplicationError("no input", ""), "no input"},
		{"timeout", fmt.Errorf("activity: %w", temporal.NewTimeoutError(enumspb.TIMEOUT_TYPE_HEARTBEAT, nil)), temporal.NewTimeoutError(enumspb.TIMEOUT_TYPE_HEARTBEAT, nil).Error()},
		{"other", errors.New("connection refused"), "connection refused"},
	} {
		if got := RootCause(tc.err); got != tc.want {
			t.Errorf("%s: RootCause = %q, want %q", tc.name, got, tc.want)
		}
	}
}
