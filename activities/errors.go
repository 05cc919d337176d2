package activities

import (
	"errors"
	"fmt"
	"io/fs"

	"go.temporal.io/sdk/temporal"

	"github.com/clickstream-platform/clickstream/blob"
	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/warehouse"
)

// Application error types of the failures no retry can mend. Workflows list
// them as non-retryable too, so a retry policy never hides one.
const (
	// ErrConfig: the configuration or a run's input is wrong, or something it
	// names is missing or out of reach (a source folder, a bucket, a dataset,
	// a staged file a manifest lists, a missing permission, a warehouse quota
	// used up, a query above the bytes it may bill, a dataset whose tables
	// expire, an invalid object name, an unknown mode).
	ErrConfig = "ConfigError"
	// ErrDataContract: the input breaks the contract beyond what the dead
	// letter can hold (a damaged gzip object, an object that changed since it
	// was listed).
	ErrDataContract = "DataContractError"
	// ErrSchema: the warehouse refuses the staged data or the table's schema.
	ErrSchema = "SchemaError"
	// ErrReconcile: the counts of a run do not add up.
	ErrReconcile = "ReconcileError"
	// ErrQuality: a quality gate failed (too many rejects, no input for a
	// day, too little volume): the input is not worth loading as it is.
	ErrQuality = "QualityError"
)

// NonRetryable lists the types above, for retry policies.
var NonRetryable = []string{ErrConfig, ErrDataContract, ErrSchema, ErrReconcile, ErrQuality}

// classify turns err into a non-retryable application error when retrying
// cannot help, and returns it unchanged otherwise.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var typ string
	switch {
	case errors.Is(err, blob.ErrNotExist), errors.Is(err, fs.ErrNotExist), errors.Is(err, blob.ErrInvalidName), errors.Is(err, errConfig):
		typ = ErrConfig
	case errors.Is(err, clickstream.ErrCorruptObject):
		typ = ErrDataContract
	case errors.Is(err, warehouse.ErrNotFound), errors.Is(err, warehouse.ErrPermission), errors.Is(err, blob.ErrPermission),
		errors.Is(err, warehouse.ErrQuota), errors.Is(err, warehouse.ErrBytesBilled), errors.Is(err, warehouse.ErrSettings):
		typ = ErrConfig
	case errors.Is(err, blob.ErrChanged):
		typ = ErrDataContract
	case errors.Is(err, warehouse.ErrSchema):
		typ = ErrSchema
	case errors.Is(err, clickstream.ErrAccounting), errors.Is(err, errReconcile):
		typ = ErrReconcile
	default:
		return err
	}
	return temporal.NewNonRetryableApplicationError(err.Error(), typ, err)
}

var (
	errConfig    = errors.New("invalid input")
	errReconcile = errors.New("reconcile failed")
)

func configError(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errConfig, fmt.Sprintf(format, args...))
}
