package activities

import (
	"context"

	"github.com/clickstream-platform/clickstream/clickstream"
)

// RecreateInput asks to drop and create every table.
type RecreateInput struct{}

// RecreateResult names the tables created.
type RecreateResult struct {
	Tables []string `json:"tables"`
}

// Recreate drops and creates the tables with their schemas, partitioning and
// clustering, so that changes of them take effect.
func (a *Activities) Recreate(ctx context.Context, _ RecreateInput) (RecreateResult, error) {
	stop := keepAlive(ctx)
	defer stop()
	if err := a.Warehouse.RecreateTables(ctx); err != nil {
		return RecreateResult{}, classify(err)
	}
	var res RecreateResult
	for _, t := range clickstream.Tables() {
		res.Tables = append(res.Tables, t.Name)
	}
	return res, nil
}
