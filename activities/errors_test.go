package activities

import (
	"errors"
	"fmt"
	"testing"

	"go.temporal.io/sdk/temporal"

	"github.com/clickstream-platform/clickstream/warehouse"
)

// TestClassifyWarehouseErrors: the warehouse's sentinels become the
// non-retryable type of their failure; anything else stays retryable.
func TestClassifyWarehouseErrors(t *testing.T) {
	for _, tt := range []struct {
		name string
		err  error
		typ  string // "" for retryable, returned as it is
	}{
		{"not found", fmt.Errorf("loading x: %w", warehouse.ErrNotFound), ErrConfig},
		{"permission", fmt.Errorf("loading x: %w", warehouse.ErrPermission), ErrConfig},
		{"daily quota", fmt.Errorf("loading x: %w (used up)", warehouse.ErrQuota), ErrConfig},
		{"bytes billed", fmt.Errorf("loading x: %w: raise warehouse.bigquery.max_bytes_billed", warehouse.ErrBytesBilled), ErrConfig},
		{"expiring dataset", fmt.Errorf("loading x: %w: dataset d expires its tables", warehouse.ErrSettings), ErrConfig},
		{"schema", fmt.Errorf("loading x: %w", warehouse.ErrSchema), ErrSchema},
		{"contention", errors.New("loading x: Transaction is aborted due to concurrent update"), ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := classify(tt.err)
			var app *temporal.ApplicationError
			isApp := errors.As(err, &app)
			switch {
			case tt.typ == "" && (isApp || err != tt.err):
				t.Errorf("classify(%v) = %v, want it returned as it is", tt.err, err)
			case tt.typ != "" && (!isApp || app.Type() != tt.typ || !app.NonRetryable()):
				t.Errorf("classify(%v) = %v, want a non-retryable %s", tt.err, err, tt.typ)
			case tt.typ != "" && !errors.Is(err, tt.err):
				t.Errorf("classify(%v) lost its cause", tt.err)
			}
		})
	}
}
