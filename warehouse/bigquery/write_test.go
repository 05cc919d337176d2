package bigquery_test

import (
	"fmt"
	"strings"
	"testing"

	bqapi "google.golang.org/api/bigquery/v2"

	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/warehouse"
	"github.com/clickstream-platform/clickstream/warehouse/bigquery"
)

// The objects of the test loads. Their names reach BigQuery as query
// parameters only; one holds a quote, which a name in the text would have
// to escape.
var (
	testObjects = []warehouse.SourceObject{
		{URI: "gs://src/clicks/dt=2024-01-30/a.jsonl", Generation: 1706608800000001, Size: 1234},
		{URI: "gs://src/clicks/dt=2024-01-30/it's.jsonl", Generation: 7, Size: 56},
	}
	testPrefixes = []string{"gs://src/clicks/dt=2024-01-30/", "gs://src/clicks/dt=2024-01-31/"}
)

func testObjectNames() []string {
	var names []string
	for _, o := range testObjects {
		names = append(names, o.URI)
	}
	return names
}

// testSlice is the slice of a test load in mode: two days in Replace mode,
// the objects read in Merge mode (as the Load activity gives them).
func testSlice(mode warehouse.Mode) warehouse.Slice {
	if mode == warehouse.Replace {
		return warehouse.Slice{Prefixes: testPrefixes}
	}
	return warehouse.Slice{Objects: testObjectNames()}
}

// inSlice is the slice predicate on col, as the statements must spell it.
func inSlice(col string) string {
	return "(EXISTS(SELECT 1 FROM UNNEST(@prefixes) AS p WHERE STARTS_WITH(" + col + ", p)) OR " + col + " IN UNNEST(@slice_objects))"
}

// fromLake is, by warehouse table, where each of its columns comes from in
// the lake (v a visits row, e an element of its events), written apart from
// warehouse.Derive.
var fromLake = map[string][]string{
	clickstream.SessionsTable: {"v.`session_key`", "v.`session_id`", "v.`user_id`", "v.`user_agent`", "v.`geolocation`",
		"v.`device_type`", "v.`source_object`", "v.`source_line`", "v.`run_id`"},
	clickstream.PageviewsTable: {"v.`session_key`", "e.`event`.`timestamp`", "e.`event`.`details`.`page_url`",
		"e.`event`.`details`.`referrer_url`", "e.`event_id`", "v.`source_object`", "v.`source_line`", "v.`run_id`"},
	clickstream.AddtocartsTable: {"v.`session_key`", "e.`event`.`timestamp`", "e.`event`.`details`.`product_id`",
		"e.`event`.`details`.`product_name`", "e.`event`.`details`.`category`", "e.`event`.`details`.`quantity`",
		"e.`event`.`details`.`price`", "e.`event_id`", "v.`source_object`", "v.`source_line`", "v.`run_id`"},
	clickstream.PurchasesTable: {"v.`session_key`", "e.`event`.`timestamp`", "e.`event`.`details`.`order_id`",
		"e.`event`.`details`.`currency`", "e.`event`.`details`.`amount`", "e.`event`.`details`.`items`",
		"e.`event_id`", "v.`source_object`", "v.`source_line`", "v.`run_id`"},
}

var eventTypes = map[string]string{clickstream.PageviewsTable: "page_view", clickstream.AddtocartsTable: "add_item_to_cart",
	clickstream.PurchasesTable: "purchase"}

// wantMerge is the MERGE of the staged rows (staging) into tbl; on is its
// condition; supersede says it replaces held rows of larger lineage.
func wantMerge(tbl clickstream.Table, staging, on string, supersede bool) string {
	partition := "`" + tbl.Key + "`"
	if tbl.Key == "" {
		partition = "`source_object`, `source_line`"
	}
	s := fmt.Sprintf("MERGE %s AS T\nUSING (\nSELECT %s\nFROM %s\nWHERE TRUE\n"+
		"QUALIFY ROW_NUMBER() OVER (PARTITION BY %s ORDER BY `source_object`, `source_line`) = 1\n) AS S\nON %s\n",
		sqlName(tbl), columnList(tbl, ""), staging, partition, on)
	if supersede {
		// A held row is replaced by a staged copy of smaller lineage, every
		// column but the key set from it.
		var sets []string
		for _, f := range tbl.Fields {
			if f.Name != tbl.Key {
				sets = append(sets, fmt.Sprintf("`%s` = S.`%s`", f.Name, f.Name))
			}
		}
		s += "WHEN MATCHED AND (S.`source_object` < T.`source_object` OR (S.`source_object` = T.`source_object` AND S.`source_line` < T.`source_line`)) " +
			"THEN UPDATE SET " + strings.Join(sets, ", ") + "\n"
	}
	return s + fmt.Sprintf("WHEN NOT MATCHED THEN INSERT (%s) VALUES (%s)", columnList(tbl, ""), columnList(tbl, "S."))
}

// wantWrite returns the statements of the write step of req, which staged
// into staging ("" without files), in order, the script's text split at
// its ";\n" (so an IF block is two parts: up to its last statement, and
// "END IF").
func wantWrite(tbl clickstream.Table, req warehouse.LoadRequest, staging string) []string {
	target := sqlName(tbl)
	var stmts []string
	if tbl.Key == "" && tbl.Name != clickstream.VisitsTable {
		// ga4_events: no ledger, no changes; the rows of every object a
		// merge read give way to the run's.
		stmts = append(stmts, "BEGIN TRANSACTION")
		where := inSlice("t.`source_object`")
		if req.Mode == warehouse.Merge {
			where = "t.`source_object` IN (SELECT o.uri FROM UNNEST(@objects) AS o)"
		}
		if req.Mode == warehouse.Replace || len(req.Objects) > 0 {
			stmts = append(stmts, "IF EXISTS(SELECT 1 FROM "+target+" AS t WHERE "+where+") THEN\nDELETE FROM "+target+" AS t WHERE "+where, "END IF")
		}
		if staging != "" {
			stmts = append(stmts, wantMerge(tbl, staging, "T.`source_object` = S.`source_object` AND T.`source_line` = S.`source_line`", false))
		}
		return append(stmts, "COMMIT TRANSACTION")
	}
	if tbl.Key == "" {
		ledger := "`test-proj`.`clickstream_lake`.`loaded_objects`"
		stmts = append(stmts, "BEGIN TRANSACTION")
		changes := "INSERT INTO `test-proj`.`clickstream_lake`.`model_changes` (`run_id`, `user_id`, `source_object`, `first_event`, `last_event`)\n"
		// A DELETE runs only when a check finds rows for it; what it
		// deletes is recorded first, for the models.
		deleteIfAny := func(where string) []string {
			return []string{"IF EXISTS(SELECT 1 FROM " + target + " AS t WHERE " + where + ") THEN\n" + changes +
				"SELECT @run_id, t.`user_id`, t.`source_object`, MIN(e.`event`.`timestamp`), MAX(e.`event`.`timestamp`)\n" +
				"FROM " + target + " AS t LEFT JOIN UNNEST(t.`events`) AS e\nWHERE " + where + "\nGROUP BY t.`user_id`, t.`source_object`",
				"DELETE FROM " + target + " AS t WHERE " + where, "END IF"}
		}
		if req.Mode == warehouse.Replace {
			stmts = append(stmts, deleteIfAny(inSlice("t.`source_object`"))...)
			stmts = append(stmts, "DELETE FROM "+ledger+" AS l WHERE "+inSlice("l.`source_object`"))
		} else if len(req.Objects) > 0 {
			stmts = append(stmts, deleteIfAny("t.`source_object` IN (\n"+
				"  SELECT o.uri FROM UNNEST(@objects) AS o LEFT JOIN "+ledger+" AS l ON l.`source_object` = o.uri\n"+
				"  WHERE l.`generation` IS DISTINCT FROM o.generation)")...)
		}
		if staging != "" {
			// The lake's MERGE only ever inserts.
			stmts = append(stmts, wantMerge(tbl, staging, "T.`source_object` = S.`source_object` AND T.`source_line` = S.`source_line`", false),
				// The rows of the run, recorded for the models.
				changes+"SELECT @run_id, S.`user_id`, S.`source_object`, MIN(e.`event`.`timestamp`), MAX(e.`event`.`timestamp`)\n"+
					"FROM "+staging+" AS S LEFT JOIN UNNEST(S.`events`) AS e\n"+
					"WHERE EXISTS(SELECT 1 FROM "+target+" AS T WHERE T.`source_object` = S.`source_object` AND T.`source_line` = S.`source_line` AND T.`run_id` = @run_id)\n"+
					"GROUP BY S.`user_id`, S.`source_object`")
		}
		if len(req.Objects) > 0 {
			stmts = append(stmts,
				"DELETE FROM "+ledger+" AS l WHERE l.`source_object` IN (SELECT o.uri FROM UNNEST(@objects) AS o)",
				"INSERT INTO "+ledger+" (`source_object`, `generation`, `size`, `run_id`, `loaded_at`)\n"+
					"SELECT o.uri, o.generation, o.size, @run_id, CURRENT_TIMESTAMP() FROM UNNEST(@objects) AS o")
		}
		return append(stmts, "COMMIT TRANSACTION")
	}

	partitioned := tbl.Partitioning != nil
	slice := !req.Slice.Empty()
	if partitioned && slice {
		stmts = append(stmts, "DECLARE clickstream_slice_min, clickstream_slice_max TIMESTAMP")
	}
	if partitioned && staging != "" {
		stmts = append(stmts, "DECLARE clickstream_staged_min, clickstream_staged_max TIMESTAMP")
	}
	stmts = append(stmts, "BEGIN TRANSACTION")
	if slice {
		// Only when the table has rows in the slice: a check of its
		// source_object column first.
		check := "IF EXISTS(SELECT 1 FROM " + target + " AS t WHERE " + inSlice("t.`source_object`") + ") THEN\n"
		if partitioned {
			stmts = append(stmts,
				check+"CREATE TEMP TABLE clickstream_touched AS\nSELECT t.`event_id` AS k, t.`session_key` AS session_key, t.`timestamp` AS ts FROM "+
					target+" AS t WHERE "+inSlice("t.`source_object`"),
				"SET (clickstream_slice_min, clickstream_slice_max) = (SELECT AS STRUCT MIN(ts), MAX(ts) FROM clickstream_touched)",
				"DELETE FROM "+target+" AS t WHERE "+inSlice("t.`source_object`")+
					" AND t.`timestamp` BETWEEN clickstream_slice_min AND clickstream_slice_max")
		} else {
			stmts = append(stmts,
				check+"CREATE TEMP TABLE clickstream_touched AS\nSELECT t.`session_key` AS k, t.`session_key` AS session_key FROM "+
					target+" AS t WHERE "+inSlice("t.`source_object`"),
				"DELETE FROM "+target+" AS t WHERE "+inSlice("t.`source_object`"))
		}
		var exprs []string
		for i, f := range tbl.Fields {
			exprs = append(exprs, fromLake[tbl.Name][i]+" AS `"+f.Name+"`")
		}
		derive := "INSERT INTO " + target + " (" + columnList(tbl, "") + ")\nSELECT " + strings.Join(exprs, ", ") +
			"\nFROM `test-proj`.`clickstream_lake`.`visits` AS v"
		key := "v.`session_key`"
		if partitioned {
			derive += ", UNNEST(v.`events`) AS e"
			key = "e.`event_id`"
		}
		// Only copies outside the slice: those in it are the staged rows,
		// which the merge puts in.
		derive += "\nWHERE NOT (EXISTS(SELECT 1 FROM UNNEST(@prefixes) AS p WHERE STARTS_WITH(v.`source_object`, p)) OR v.`source_object` IN UNNEST(@slice_objects))" +
			" AND v.`session_key` IN (SELECT session_key FROM clickstream_touched)"
		if partitioned {
			derive += " AND e.`event`.`event_type` = '" + eventTypes[tbl.Name] + "' AND e.`event_id` IN (SELECT k FROM clickstream_touched)"
		}
		derive += "\nQUALIFY ROW_NUMBER() OVER (PARTITION BY " + key + " ORDER BY v.`source_object`, v.`source_line`) = 1"
		stmts = append(stmts, derive, "DROP TABLE clickstream_touched", "END IF")
	}
	if staging != "" {
		on := "T.`" + tbl.Key + "` = S.`" + tbl.Key + "`"
		if partitioned {
			stmts = append(stmts, "SET (clickstream_staged_min, clickstream_staged_max) = (SELECT AS STRUCT MIN(`timestamp`), MAX(`timestamp`) FROM "+staging+")")
			on += " AND T.`timestamp` BETWEEN clickstream_staged_min AND clickstream_staged_max"
		}
		// The MERGE that may replace held rows only when a staged row has a
		// smaller lineage than the row of its key; else one that inserts.
		supersedes := "EXISTS(SELECT 1 FROM " + target + " AS T JOIN " + staging + " AS S ON " + on + "\n" +
			"  WHERE S.`source_object` < T.`source_object` OR (S.`source_object` = T.`source_object` AND S.`source_line` < T.`source_line`))"
		stmts = append(stmts, "IF "+supersedes+" THEN\n"+wantMerge(tbl, staging, on, true),
			"ELSE\n"+wantMerge(tbl, staging, on, false), "END IF")
	}
	return append(stmts, "COMMIT TRANSACTION")
}

// checkWriteSQL checks the write step's script against wantWrite,
// statement by statement.
func checkWriteSQL(t *testing.T, sql string, tbl clickstream.Table, req warehouse.LoadRequest, staging string) {
	t.Helper()
	if !strings.HasSuffix(sql, ";") {
		t.Fatalf("%s %s: the write script does not end in ';':\n%s", tbl.Name, req.Mode, sql)
	}
	got := strings.Split(strings.TrimSuffix(sql, ";"), ";\n")
	want := wantWrite(tbl, req, staging)
	for i := range max(len(got), len(want)) {
		switch {
		case i >= len(got):
			t.Errorf("%s %s: statement %d missing, want\n%s", tbl.Name, req.Mode, i+1, want[i])
		case i >= len(want):
			t.Errorf("%s %s: statement %d is\n%s\nwant none", tbl.Name, req.Mode, i+1, got[i])
		case got[i] != want[i]:
			t.Errorf("%s %s: statement %d is\n%s\nwant\n%s", tbl.Name, req.Mode, i+1, got[i], want[i])
		}
	}
}

// TestBigQueryLoadStatements checks the write script of every table in both
// modes, with and without files: the lake's slice or rewritten objects
// deleted and its ledger written; a warehouse table's keys of the slice
// derived again from the lake when it has rows there, and the staged rows
// merged, within their range of timestamps on a partitioned table, by a
// MERGE that replaces held rows only when a staged row supersedes one.
func TestBigQueryLoadStatements(t *testing.T) {
	for _, tbl := range clickstream.Tables() {
		for _, mode := range []warehouse.Mode{warehouse.Replace, warehouse.Merge} {
			for _, files := range []bool{true, false} {
				name := tbl.Name + "/" + string(mode)
				if !files {
					name += "/no files"
				}
				t.Run(name, func(t *testing.T) {
					f := newFakeBigQuery(t)
					b := openFake(t, f, bigquery.Options{})
					req := bqRequest(tbl.Name, mode)
					if !files {
						req.Files = nil
					}
					loadOK(t, b, req)
					jobs, _ := jobsByStep(t, f)
					staging := ""
					if files {
						dst := jobs["load"].Configuration.Load.DestinationTable
						wantDS := "clickstream_dw"
						if tbl.Dataset == clickstream.Lake {
							wantDS = "clickstream_lake"
						}
						if dst.DatasetId != wantDS || !strings.HasPrefix(dst.TableId, "_staging_run_1_"+tbl.Name+"_a1_") {
							t.Errorf("staging table %s.%s, want %s._staging_run_1_%s_a1_<digest>", dst.DatasetId, dst.TableId, wantDS, tbl.Name)
						}
						staging = fmt.Sprintf("`%s`.`%s`.`%s`", fakeProject, dst.DatasetId, dst.TableId)
					}
					checkWriteSQL(t, jobs["write"].Configuration.Query.Query, tbl, req, staging)
					before := jobs["count-before"].Configuration.Query.Query
					for _, want := range []string{"SELECT DISTINCT " + keyList(tbl) + " FROM " + staging, "COUNT(*) FROM " + sqlName(tbl)} {
						if files && !strings.Contains(before, want) {
							t.Errorf("count-before %q does not count %q", before, want)
						}
					}
					wantAfter := "SELECT\n  (SELECT COUNT(*) FROM " + sqlName(tbl) + ") AS rows_after,\n  (SELECT COUNT(*) FROM " +
						sqlName(tbl) + " AS t WHERE " + inSlice("t.`source_object`") + ") AS slice_rows"
					if got := jobs["count-after"].Configuration.Query.Query; got != wantAfter {
						t.Errorf("count-after:\n%s\nwant\n%s", got, wantAfter)
					}
				})
			}
		}
	}
}

func keyList(tbl clickstream.Table) string {
	if tbl.Key == "" {
		return "`source_object`, `source_line`"
	}
	return "`" + tbl.Key + "`"
}

// param returns the parameter name of job, or nil.
func param(job *bqapi.Job, name string) *bqapi.QueryParameter {
	for _, p := range job.Configuration.Query.QueryParameters {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// paramNames lists the names of job's parameters.
func paramNames(job *bqapi.Job) []string {
	var names []string
	for _, p := range job.Configuration.Query.QueryParameters {
		names = append(names, p.Name)
	}
	return names
}

// TestBigQueryLoadParameters: the slice, the objects read and the run reach
// BigQuery as typed query parameters, each job sending those its statements
// name, and no object name is in the text of a statement.
func TestBigQueryLoadParameters(t *testing.T) {
	for _, tt := range []struct {
		table string
		mode  warehouse.Mode
		write []string // the write job's parameters
	}{
		{clickstream.VisitsTable, warehouse.Replace, []string{"prefixes", "slice_objects", "run_id", "objects"}},
		{clickstream.VisitsTable, warehouse.Merge, []string{"objects", "run_id"}},
		{clickstream.PurchasesTable, warehouse.Replace, []string{"prefixes", "slice_objects"}},
		{clickstream.SessionsTable, warehouse.Merge, []string{"prefixes", "slice_objects"}},
	} {
		t.Run(tt.table+"/"+string(tt.mode), func(t *testing.T) {
			f := newFakeBigQuery(t)
			b := openFake(t, f, bigquery.Options{})
			req := bqRequest(tt.table, tt.mode)
			loadOK(t, b, req)
			jobs, _ := jobsByStep(t, f)
			for step, want := range map[string][]string{"count-before": nil, "write": tt.write, "count-after": {"prefixes", "slice_objects"}} {
				job := jobs[step]
				if got := paramNames(job); fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("%s sends parameters %v, want %v", step, got, want)
				}
				sql := job.Configuration.Query.Query
				for _, name := range append(testPrefixes, testObjectNames()...) {
					if strings.Contains(sql, name) || strings.Contains(sql, "dt=2024") {
						t.Errorf("%s names %s in its text:\n%s", step, name, sql)
					}
				}
				if strings.Contains(sql, "run-1") {
					t.Errorf("%s names the run in its text:\n%s", step, sql)
				}
			}
			after := jobs["count-after"]
			if got := arrayParam(t, after.Configuration.Query.QueryParameters, "prefixes"); fmt.Sprint(got) != fmt.Sprint(req.Slice.Prefixes) {
				t.Errorf("@prefixes = %v, want %v", got, req.Slice.Prefixes)
			}
			if got := arrayParam(t, after.Configuration.Query.QueryParameters, "slice_objects"); fmt.Sprint(got) != fmt.Sprint(req.Slice.Objects) {
				t.Errorf("@slice_objects = %v, want %v", got, req.Slice.Objects)
			}
			if tt.table != clickstream.VisitsTable {
				return
			}
			write := jobs["write"]
			if p := param(write, "run_id"); p.ParameterType.Type != "STRING" || p.ParameterValue.Value != "run-1" {
				t.Errorf("@run_id is %+v = %+v, want STRING run-1", p.ParameterType, p.ParameterValue)
			}
			p := param(write, "objects")
			typ := p.ParameterType
			if typ.Type != "ARRAY" || typ.ArrayType.Type != "STRUCT" || len(typ.ArrayType.StructTypes) != 3 {
				t.Fatalf("@objects is %+v, want ARRAY<STRUCT<uri STRING, generation INT64, size INT64>>", typ)
			}
			var fields []string
			for _, st := range typ.ArrayType.StructTypes {
				fields = append(fields, st.Name+" "+st.Type.Type)
			}
			if got := strings.Join(fields, ", "); got != "uri STRING, generation INT64, size INT64" {
				t.Errorf("@objects is ARRAY<STRUCT<%s>>, want ARRAY<STRUCT<uri STRING, generation INT64, size INT64>>", got)
			}
			var objs []string
			for _, v := range p.ParameterValue.ArrayValues {
				s := v.StructValues
				objs = append(objs, fmt.Sprintf("%s@%s/%s", s["uri"].Value, s["generation"].Value, s["size"].Value))
			}
			if want := fmt.Sprintf("%s@%d/%d %s@%d/%d", testObjects[0].URI, testObjects[0].Generation, testObjects[0].Size,
				testObjects[1].URI, testObjects[1].Generation, testObjects[1].Size); strings.Join(objs, " ") != want {
				t.Errorf("@objects = %v, want %s", objs, want)
			}
		})
	}
}

// TestBigQueryMergeChoice: the fake runs no SQL, so the choice is the
// script's: the MERGE that may UPDATE runs only IF a staged row has a
// smaller lineage than the held row of its key, ELSE the one that only
// inserts (billed what it reads, not the whole table); on an event table
// the check and both MERGEs read the staged months alone. The lake's MERGE
// only ever inserts.
func TestBigQueryMergeChoice(t *testing.T) {
	for _, tt := range []struct {
		table string
		on    string
	}{
		{clickstream.SessionsTable, "T.`session_key` = S.`session_key`"},
		{clickstream.PurchasesTable, "T.`event_id` = S.`event_id` AND T.`timestamp` BETWEEN clickstream_staged_min AND clickstream_staged_max"},
	} {
		t.Run(tt.table, func(t *testing.T) {
			f := newFakeBigQuery(t)
			loadOK(t, openFake(t, f, bigquery.Options{}), bqRequest(tt.table, warehouse.Merge))
			jobs, _ := jobsByStep(t, f)
			sql := jobs["write"].Configuration.Query.Query
			check := strings.Index(sql, "IF EXISTS(SELECT 1 FROM `test-proj`.`clickstream_dw`.`"+tt.table+"` AS T JOIN ")
			if check < 0 {
				t.Fatalf("no check of the staged rows against the table's in:\n%s", sql)
			}
			block := sql[check:]
			cond, rest, _ := strings.Cut(block, " THEN\n")
			full, rest, _ := strings.Cut(rest, ";\nELSE\n")
			insert, _, _ := strings.Cut(rest, ";\nEND IF;")
			if !strings.Contains(cond, " ON "+tt.on+"\n") ||
				!strings.HasSuffix(cond, "WHERE S.`source_object` < T.`source_object` OR (S.`source_object` = T.`source_object` AND S.`source_line` < T.`source_line`))") {
				t.Errorf("the check is\n%s\nwant a join ON %s of staged rows of smaller lineage", cond, tt.on)
			}
			if !strings.HasPrefix(full, "MERGE ") || !strings.Contains(full, "\nON "+tt.on+"\n") || !strings.Contains(full, "WHEN MATCHED AND") || !strings.Contains(full, "THEN UPDATE SET") {
				t.Errorf("the MERGE when a staged row supersedes one is\n%s\nwant one that updates, ON %s", full, tt.on)
			}
			if !strings.HasPrefix(insert, "MERGE ") || !strings.Contains(insert, "\nON "+tt.on+"\n") || strings.Contains(insert, "WHEN MATCHED") ||
				!strings.HasSuffix(insert, "WHEN NOT MATCHED THEN INSERT ("+columnList(lookup(t, tt.table), "")+") VALUES ("+columnList(lookup(t, tt.table), "S.")+")") {
				t.Errorf("the MERGE otherwise is\n%s\nwant one that only inserts, ON %s", insert, tt.on)
			}
		})
	}
	t.Run("lake", func(t *testing.T) {
		f := newFakeBigQuery(t)
		loadOK(t, openFake(t, f, bigquery.Options{}), bqRequest(clickstream.VisitsTable, warehouse.Merge))
		jobs, _ := jobsByStep(t, f)
		if sql := jobs["write"].Configuration.Query.Query; strings.Contains(sql, "WHEN MATCHED") || strings.Count(sql, "MERGE ") != 1 {
			t.Errorf("the lake's write:\n%s\nwant one MERGE, with no WHEN MATCHED clause", sql)
		}
	})
}

func lookup(t *testing.T, name string) clickstream.Table {
	t.Helper()
	tbl, ok := clickstream.LookupTable(name)
	if !ok {
		t.Fatalf("no table %s", name)
	}
	return tbl
}
