package activities_test

import (
	"context"
	"slices"
	"testing"

	"go.temporal.io/sdk/testsuite"

	"github.com/clickstream-platform/clickstream/activities"
	"github.com/clickstream-platform/clickstream/blob"
	"github.com/clickstream-platform/clickstream/warehouse"
	"github.com/clickstream-platform/clickstream/warehouse/bigquery"
)

// gcsStaging is a staging store in a bucket, of which Export uses the URI
// alone.
type gcsStaging struct{ blob.Store }

func (gcsStaging) URI() string { return "gs://stage/root" }

// exporter is a warehouse that exports, recording the requests.
type exporter struct {
	warehouse.Warehouse
	reqs []bigquery.ExtractRequest
}

func (e *exporter) Extract(_ context.Context, req bigquery.ExtractRequest) (bigquery.ExtractResult, error) {
	e.reqs = append(e.reqs, req)
	uri := req.DestinationURI + "a9/" // the folder the warehouse says it wrote
	return bigquery.ExtractResult{URI: uri, Pattern: uri + "part-*.json", Files: 2, Rows: 10}, nil
}

// TestExportPerAttempt: the export is asked for the run's export folder
// and the activity's attempt, and the run then reads the folder the
// warehouse wrote, that attempt's alone.
func TestExportPerAttempt(t *testing.T) {
	ex := &exporter{}
	a := &activities.Activities{Staging: gcsStaging{}, Warehouse: ex}
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	env.RegisterActivity(a)
	v, err := env.ExecuteActivity(a.Export, activities.ExportInput{RunID: "run-7", Source: "bq://p.clickstream_lake.visits?from=2024-01-30&to=2024-01-30"})
	if err != nil {
		t.Fatal(err)
	}
	var res activities.ExportResult
	if err := v.Get(&res); err != nil {
		t.Fatal(err)
	}
	if len(ex.reqs) != 1 {
		t.Fatalf("%d exports, want 1", len(ex.reqs))
	}
	req := ex.reqs[0]
	if req.DestinationURI != "gs://stage/root/run-7/export/" || req.JobID != "run-7" || req.Attempt != 1 || req.Table != "p.clickstream_lake.visits" {
		t.Errorf("export asked for %+v, want run-7's export folder, attempt 1", req)
	}
	if res.URI != "gs://stage/root/run-7/export/a9" || !slices.Equal(res.Slice.Prefixes, []string{"gs://stage/root/run-7/export/a9/"}) || res.Files != 2 {
		t.Errorf("Export: %+v, want the folder the warehouse wrote as the run's source and slice", res)
	}
}
