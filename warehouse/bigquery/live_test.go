package bigquery_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bq "cloud.google.com/go/bigquery"
	"cloud.google.com/go/storage"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/iterator"

	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/sampledata"
	"github.com/clickstream-platform/clickstream/warehouse"
	"github.com/clickstream-platform/clickstream/warehouse/bigquery"
	"github.com/clickstream-platform/clickstream/warehouse/warehousetest"
)

// TestBigQueryLive runs the BigQuery warehouse against a real project: it
// stages generated data in a bucket, loads it into datasets of its own
// (replace, then merge, then merge again), checks the counts against the
// generator's and the ledger, replaces one day's slice by less and checks
// the dw tables against the lake, merges the day back and checks the tables
// are as they were, loads the same rows staged as Parquet (merge, then
// replace) and checks the tables are unchanged, exports the lake table and
// transforms the export back, records runs in the audit table, then deletes
// its datasets and objects. It logs what the merge, the day's slice replace
// and the export billed, by table (what BigQuery's jobs report), with what
// the loads estimated beforehand and processed; run it with -v to see them.
// Credentials: Application Default Credentials. Optional:
// CLICKSTREAM_BIGQUERY_TEST_LOCATION (default US), which must suit the
// bucket.
func TestBigQueryLive(t *testing.T) {
	project, bucket := os.Getenv("CLICKSTREAM_BIGQUERY_TEST_PROJECT"), os.Getenv("CLICKSTREAM_BIGQUERY_TEST_BUCKET")
	if project == "" || bucket == "" {
		t.Skip("set CLICKSTREAM_BIGQUERY_TEST_PROJECT and CLICKSTREAM_BIGQUERY_TEST_BUCKET to run against a real BigQuery project and bucket")
	}
	location := os.Getenv("CLICKSTREAM_BIGQUERY_TEST_LOCATION")
	if location == "" {
		location = "US"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	id := fmt.Sprintf("%d", time.Now().UnixNano())
	run, prefix := "live-"+id, "clickstream-test/"+id+"/"
	lake, dw := "clickstream_test_"+id+"_lake", "clickstream_test_"+id+"_dw"

	gcs, err := storage.NewClient(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer gcs.Close()
	t.Cleanup(func() { deletePrefix(t, gcs, bucket, prefix) })
	bqc, err := bq.NewClient(ctx, project)
	if err != nil {
		t.Fatal(err)
	}
	defer bqc.Close()
	t.Cleanup(func() {
		for _, ds := range []string{lake, dw} {
			if err := bqc.Dataset(ds).DeleteWithContents(context.Background()); err != nil && !isNotFoundErr(err) {
				t.Errorf("deleting dataset %s: %v", ds, err)
			}
		}
	})

	// Stage generated data with the real transform, and upload it.
	s := warehousetest.StageSample(t, t.TempDir(), sampledata.Options{Files: 4, Sessions: 400, Days: 3, Seed: 11, InvalidRate: 0.05, DuplicateRate: 0.15}, run)
	uris := map[string][]string{}
	for table, files := range s.Files {
		for _, f := range files {
			name := prefix + "staged/" + table + "/" + filepath.Base(f)
			uploadFile(t, ctx, gcs, bucket, name, f)
			uris[table] = append(uris[table], "gs://"+bucket+"/"+name)
		}
	}
	firstHalf := func(table string) []string { return uris[table][:len(uris[table])/2] }
	all := func(table string) []string { return uris[table] }
	// The input objects, whose names the staged rows carry as their
	// source_object; the NDJSON files of every table are one an object, in
	// their order.
	objects := make([]warehouse.SourceObject, len(s.Sum.Objects))
	for i, o := range s.Sum.Objects {
		objects[i] = warehouse.SourceObject{URI: o.Name, Generation: 1, Size: o.Bytes}
	}
	read := func(objs []warehouse.SourceObject) warehouse.Slice {
		var names []string
		for _, o := range objs {
			names = append(names, o.URI)
		}
		return warehouse.Slice{Objects: names}
	}
	whole := warehousetest.SliceFor(warehouse.Replace)

	b, err := bigquery.Open(ctx, bigquery.Options{Project: project, Location: location, LakeDataset: lake, DWDataset: dw,
		MaxBytesBilled: 1 << 40})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.EnsureTables(ctx); err != nil {
		t.Fatal(err)
	}
	distinct := s.Distinct()
	// loadEvery loads every table, the lake first, as a run of mode over
	// slice that read objs.
	loadEvery := func(mode warehouse.Mode, runID string, files func(string) []string, slice warehouse.Slice,
		objs []warehouse.SourceObject) map[string]warehouse.LoadResult {
		out := map[string]warehouse.LoadResult{}
		for _, tbl := range clickstream.Tables() {
			res, err := b.Load(ctx, warehouse.LoadRequest{Table: tbl.Name, Files: files(tbl.Name), Mode: mode, Slice: slice,
				Objects: objs, RunID: runID, Attempt: 1})
			if err != nil {
				t.Fatal(err)
			}
			out[tbl.Name] = res
		}
		return out
	}
	mergeAll := func(runID string, files func(string) []string) map[string]warehouse.LoadResult {
		return loadEvery(warehouse.Merge, runID, files, read(objects), objects)
	}

	loadEvery(warehouse.Replace, run+"-replace", firstHalf, whole, objects[:len(objects)/2])
	since := time.Now()
	res := mergeAll(run+"-merge", all)
	logBilled(t, ctx, bqc, "merge of every file", run+"-merge", since, res)
	staged := warehousetest.StagedRows(s.Sum.Expected)
	for _, tbl := range clickstream.Tables() {
		if r := res[tbl.Name]; r.Staged != staged[tbl.Name] || r.Distinct != distinct[tbl.Name] || r.After != distinct[tbl.Name] ||
			r.SliceRows != distinct[tbl.Name] || r.BytesProcessed <= 0 {
			t.Errorf("merge of every file into %s: %+v, want %d staged, %d distinct, after and in the slice, some bytes processed",
				tbl.Name, r, staged[tbl.Name], distinct[tbl.Name])
		}
	}
	got, err := b.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(got, distinct) {
		t.Errorf("counts %v, want the generator's distinct rows %v", got, distinct)
	}
	gens, err := b.LoadedObjects(ctx, append(read(objects).Objects, "dt=1999-01-01/none.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if len(gens) != len(objects) {
		t.Errorf("the ledger holds %v, want the %d objects at generation 1", gens, len(objects))
	}
	res = mergeAll(run+"-again", all)
	for _, tbl := range clickstream.Tables() {
		if r := res[tbl.Name]; r.Added != 0 {
			t.Errorf("merging the same files again into %s added %d rows", tbl.Name, r.Added)
		}
	}
	checkLiveDerived(t, ctx, bqc, project, location, lake, dw, "after the merges")

	// The same rows staged as Parquet: merging them changes nothing, and a
	// replace from them leaves the tables as the NDJSON loads did.
	pq := warehousetest.StageSampleAs(t, t.TempDir(), sampledata.Options{Files: 4, Sessions: 400, Days: 3, Seed: 11, InvalidRate: 0.05, DuplicateRate: 0.15},
		run, clickstream.Parquet)
	pqURIs := map[string][]string{}
	for table, files := range pq.Files {
		for _, f := range files {
			name := prefix + "staged-parquet/" + table + "/" + filepath.Base(f)
			uploadFile(t, ctx, gcs, bucket, name, f)
			pqURIs[table] = append(pqURIs[table], "gs://"+bucket+"/"+name)
		}
	}
	fingerprints := func() map[string]string {
		out := map[string]string{}
		for _, tbl := range clickstream.Tables() {
			q := bqc.Query(fmt.Sprintf("SELECT COUNT(*), BIT_XOR(FARM_FINGERPRINT(TO_JSON_STRING(t))) FROM `%s`.`%s`.`%s` AS t",
				project, map[clickstream.Dataset]string{clickstream.Lake: lake, clickstream.Warehouse: dw}[tbl.Dataset], tbl.Name))
			q.Location = location
			it, err := q.Read(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var row []bq.Value
			if err := it.Next(&row); err != nil {
				t.Fatal(err)
			}
			out[tbl.Name] = fmt.Sprint(row)
		}
		return out
	}
	fromNDJSON := fingerprints()

	// The first day delivered again with its first object only: the lake's
	// rows of that day are the object's, no other day's row changes, and
	// the dw tables are derived from the lake as it now stands. Merged back,
	// the day leaves the tables as they were.
	day, _, _ := strings.Cut(objects[0].URI, "/")
	var dayObjects []int
	for i, o := range objects {
		if strings.HasPrefix(o.URI, day+"/") {
			dayObjects = append(dayObjects, i)
		}
	}
	if len(dayObjects) < 2 {
		t.Fatalf("the first day has objects %v, want two at least", dayObjects)
	}
	first := objects[0]
	first.Generation = 2
	since = time.Now()
	res = loadEvery(warehouse.Replace, run+"-day", func(table string) []string { return uris[table][:1] },
		warehouse.Slice{Prefixes: []string{day + "/"}}, []warehouse.SourceObject{first})
	logBilled(t, ctx, bqc, "replace of the day's slice", run+"-day", since, res)
	if r, want := res[clickstream.VisitsTable], s.Sum.Objects[0].Expected.SessionsValid; r.SliceRows != want {
		t.Errorf("visits after the day's replace: %+v, want the slice holding the object's %d valid lines", r, want)
	}
	var dropped int64
	for _, i := range dayObjects[1:] {
		dropped += s.Sum.Objects[i].Expected.SessionsValid
	}
	if r := res[clickstream.VisitsTable]; r.After != distinct[clickstream.VisitsTable]-dropped {
		t.Errorf("visits after the day's replace: %+v, want %d rows", r, distinct[clickstream.VisitsTable]-dropped)
	}
	checkLiveDerived(t, ctx, bqc, project, location, lake, dw, "after the day's replace")
	mergeAll(run+"-day-back", all)
	checkLiveDerived(t, ctx, bqc, project, location, lake, dw, "after the day was merged back")
	if got := fingerprints(); !maps.Equal(got, fromNDJSON) {
		t.Errorf("tables after the day was replaced and merged back:\n%v\nbefore:\n%v", got, fromNDJSON)
	}

	res = loadEvery(warehouse.Merge, run+"-parquet-merge", func(table string) []string { return pqURIs[table] }, read(objects), objects)
	for _, tbl := range clickstream.Tables() {
		if r := res[tbl.Name]; r.Added != 0 || r.Staged != staged[tbl.Name] || r.Distinct != distinct[tbl.Name] {
			t.Errorf("merge of the Parquet files into %s: %+v, want %d staged, %d distinct, none added", tbl.Name, r, staged[tbl.Name], distinct[tbl.Name])
		}
	}
	loadEvery(warehouse.Replace, run+"-parquet-replace", func(table string) []string { return pqURIs[table] }, whole, objects)
	if got := fingerprints(); !maps.Equal(got, fromNDJSON) {
		t.Errorf("tables replaced from Parquet:\n%v\nfrom NDJSON:\n%v", got, fromNDJSON)
	}

	// Export the lake and transform it back: every session is valid again.
	exp, err := b.Extract(ctx, bigquery.ExtractRequest{Table: b.TableName(clickstream.VisitsTable),
		DestinationURI: "gs://" + bucket + "/" + prefix + "export/", JobID: run + "-export", Attempt: 1})
	if err != nil {
		t.Fatal(err)
	}
	billed, processed := jobBytes(t, ctx, bqc, location, exp.JobID)
	t.Logf("export of the lake: billed %d bytes (processed %d), %d files", billed, processed, exp.Files)
	tr, err := clickstream.NewTransformer(clickstream.Options{RunID: run + "-rebuild"})
	if err != nil {
		t.Fatal(err)
	}
	var c clickstream.Counts
	it := gcs.Bucket(bucket).Objects(ctx, &storage.Query{Prefix: prefix + "export/"})
	for {
		attrs, err := it.Next()
		if errors.Is(err, iterator.Done) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		r, err := gcs.Bucket(bucket).Object(attrs.Name).NewReader(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n, err := tr.Transform(ctx, r, "gs://"+bucket+"/"+attrs.Name, clickstream.Outputs{Visits: io.Discard, Sessions: io.Discard,
			Pageviews: io.Discard, Addtocarts: io.Discard, Purchases: io.Discard, DeadLetter: io.Discard})
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
		c.Add(n)
	}
	if c.SessionsValid != distinct[clickstream.VisitsTable] || c.SessionsRejected != 0 || c.EventsRejected != 0 {
		t.Errorf("export %+v transformed back: %+v, want %d valid sessions and nothing rejected", exp, c, distinct[clickstream.VisitsTable])
	}

	// The audit table: a run recorded before a recreate is kept, recorded
	// again (a retried activity) it is still one row.
	if err := b.RecordRun(ctx, warehousetest.SampleRun(run)); err != nil {
		t.Fatal(err)
	}
	if err := b.RecreateTables(ctx); err != nil {
		t.Fatal(err)
	}
	if got, err := b.Counts(ctx); err != nil || got[clickstream.SessionsTable] != 0 {
		t.Errorf("counts after recreate: %v, %v; want empty tables", got, err)
	}
	for _, r := range []warehouse.RunRecord{warehousetest.SampleRun(run), {RunID: run + "-bare", Mode: "merge"}} {
		if err := b.RecordRun(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	q := bqc.Query(fmt.Sprintf("SELECT run_id, CAST(from_date AS STRING), duration_ms, sessions_added, finished_at IS NOT NULL "+
		"FROM `%s`.`%s`.`%s` ORDER BY run_id", project, dw, warehouse.RunsTable))
	q.Location = location
	rows, err := q.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var runs []string
	for {
		var row []bq.Value
		err := rows.Next(&row)
		if errors.Is(err, iterator.Done) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, fmt.Sprint(row))
	}
	if want := fmt.Sprint([]string{fmt.Sprint([]bq.Value{run, "2024-01-30", int64(125123), int64(-1), true}),
		fmt.Sprint([]bq.Value{run + "-bare", nil, nil, nil, true})}); fmt.Sprint(runs) != want {
		t.Errorf("pipeline_runs holds %v, want %v", runs, want)
	}
}

// liveFromLake is, by dw table, its rows as one copy per key, the one of
// smallest lineage, of the lake's rows (%s: the lake dataset): what the
// table must hold after any sequence of loads. Written apart from the
// loads' own SQL.
var liveFromLake = map[string]string{
	clickstream.SessionsTable: `SELECT session_key, session_id, user_id, user_agent, geolocation, device_type, source_object, source_line, run_id
		FROM %[1]s.visits WHERE TRUE QUALIFY ROW_NUMBER() OVER (PARTITION BY session_key ORDER BY source_object, source_line) = 1`,
	clickstream.PageviewsTable: `SELECT v.session_key, e.event.timestamp AS timestamp, e.event.details.page_url AS page_url,
		e.event.details.referrer_url AS referrer_url, e.event_id AS event_id, v.source_object, v.source_line, v.run_id
		FROM %[1]s.visits v, UNNEST(v.events) e WHERE e.event.event_type = 'page_view'
		QUALIFY ROW_NUMBER() OVER (PARTITION BY e.event_id ORDER BY v.source_object, v.source_line) = 1`,
	clickstream.AddtocartsTable: `SELECT v.session_key, e.event.timestamp AS timestamp, e.event.details.product_id AS product_id,
		e.event.details.product_name AS product_name, e.event.details.category AS category, e.event.details.quantity AS quantity,
		e.event.details.price AS price, e.event_id AS event_id, v.source_object, v.source_line, v.run_id
		FROM %[1]s.visits v, UNNEST(v.events) e WHERE e.event.event_type = 'add_item_to_cart'
		QUALIFY ROW_NUMBER() OVER (PARTITION BY e.event_id ORDER BY v.source_object, v.source_line) = 1`,
	clickstream.PurchasesTable: `SELECT v.session_key, e.event.timestamp AS timestamp, e.event.details.order_id AS order_id,
		e.event.details.currency AS currency, e.event.details.amount AS amount, e.event.details.items AS items,
		e.event_id AS event_id, v.source_object, v.source_line, v.run_id
		FROM %[1]s.visits v, UNNEST(v.events) e WHERE e.event.event_type = 'purchase'
		QUALIFY ROW_NUMBER() OVER (PARTITION BY e.event_id ORDER BY v.source_object, v.source_line) = 1`,
}

// checkLiveDerived fails unless every dw table holds exactly the rows
// liveFromLake gives. Rows are compared as their JSON, since BigQuery's
// set operations take no ARRAY column; a table holds one row per key, so
// EXCEPT DISTINCT both ways and the counts suffice.
func checkLiveDerived(t *testing.T, ctx context.Context, bqc *bq.Client, project, location, lake, dw, when string) {
	t.Helper()
	for table, derived := range liveFromLake {
		derived = fmt.Sprintf(derived, fmt.Sprintf("`%s`.`%s`", project, lake))
		name := fmt.Sprintf("`%s`.`%s`.`%s`", project, dw, table)
		q := bqc.Query(fmt.Sprintf(`SELECT
			(SELECT COUNT(*) FROM (SELECT TO_JSON_STRING(t) FROM %[1]s AS t EXCEPT DISTINCT SELECT TO_JSON_STRING(d) FROM (%[2]s) AS d)),
			(SELECT COUNT(*) FROM (SELECT TO_JSON_STRING(d) FROM (%[2]s) AS d EXCEPT DISTINCT SELECT TO_JSON_STRING(t) FROM %[1]s AS t)),
			(SELECT COUNT(*) FROM %[1]s), (SELECT COUNT(*) FROM (%[2]s))`, name, derived))
		q.Location = location
		it, err := q.Read(ctx)
		if err != nil {
			t.Fatalf("%s: checking %s against the lake: %v", when, table, err)
		}
		var row []bq.Value
		if err := it.Next(&row); err != nil {
			t.Fatalf("%s: checking %s against the lake: %v", when, table, err)
		}
		if fmt.Sprint(row[0], row[1]) != "0 0" || row[2] != row[3] {
			t.Errorf("%s: %s holds %v rows the lake does not give and lacks %v it gives (%v rows, the lake gives %v)",
				when, table, row[0], row[1], row[2], row[3])
		}
	}
}

// logBilled logs, by table, what the loads of res billed (the jobs of the
// run whose ids start clickstream_<run>_<table>_, created since since), and
// what they estimated and processed; it fails the test for a load that
// wrote without an estimate, since the dry run is the only check of its
// script that the fake server cannot make.
func logBilled(t *testing.T, ctx context.Context, bqc *bq.Client, what, run string, since time.Time, res map[string]warehouse.LoadResult) {
	t.Helper()
	billed := map[string]int64{}
	it := bqc.Jobs(ctx)
	it.MinCreationTime = since.Add(-time.Minute)
	for {
		job, err := it.Next()
		if errors.Is(err, iterator.Done) {
			break
		}
		if err != nil { // listing needs bigquery.jobs.list, which a job user may lack
			t.Logf("%s: listing the jobs of %s: %v; what they billed is not reported", what, run, err)
			break
		}
		for _, tbl := range clickstream.Tables() {
			if strings.HasPrefix(job.ID(), "clickstream_"+run+"_"+tbl.Name+"_") {
				n, _ := jobBytes(t, ctx, bqc, job.Location(), job.ID())
				billed[tbl.Name] += n
			}
		}
	}
	var total int64
	for _, tbl := range clickstream.Tables() {
		r := res[tbl.Name]
		total += billed[tbl.Name]
		t.Logf("%s: %s billed %d bytes (processed %d, estimated %d beforehand)", what, tbl.Name, billed[tbl.Name], r.BytesProcessed, r.EstimatedBytes)
		if r.EstimateError != "" {
			t.Errorf("%s: %s: %s", what, tbl.Name, r.EstimateError)
		}
	}
	t.Logf("%s: billed %d bytes in all", what, total)
}

// jobBytes returns what the job of id billed and processed (a script's job
// reports its statements').
func jobBytes(t *testing.T, ctx context.Context, bqc *bq.Client, location, id string) (billed, processed int64) {
	t.Helper()
	job, err := bqc.JobFromIDLocation(ctx, id, location)
	if err != nil {
		t.Logf("reading job %s: %v", id, err)
		return 0, 0
	}
	st := job.LastStatus()
	if st == nil || st.Statistics == nil {
		return 0, 0
	}
	if q, ok := st.Statistics.Details.(*bq.QueryStatistics); ok {
		billed = q.TotalBytesBilled
	}
	return billed, st.Statistics.TotalBytesProcessed
}

func uploadFile(t *testing.T, ctx context.Context, gcs *storage.Client, bucket, name, file string) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	w := gcs.Bucket(bucket).Object(name).NewWriter(ctx)
	if _, err := io.Copy(w, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("uploading gs://%s/%s: %v", bucket, name, err)
	}
}

func deletePrefix(t *testing.T, gcs *storage.Client, bucket, prefix string) {
	ctx := context.Background()
	it := gcs.Bucket(bucket).Objects(ctx, &storage.Query{Prefix: prefix})
	for {
		attrs, err := it.Next()
		if errors.Is(err, iterator.Done) {
			return
		}
		if err != nil {
			t.Errorf("listing gs://%s/%s: %v", bucket, prefix, err)
			return
		}
		if err := gcs.Bucket(bucket).Object(attrs.Name).Delete(ctx); err != nil {
			t.Errorf("deleting gs://%s/%s: %v", bucket, attrs.Name, err)
		}
	}
}

func isNotFoundErr(err error) bool {
	var ge *googleapi.Error
	return errors.As(err, &ge) && ge.Code == http.StatusNotFound
}
