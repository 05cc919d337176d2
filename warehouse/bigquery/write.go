package bigquery

import (
	"fmt"
	"regexp"
	"strings"

	bq "cloud.google.com/go/bigquery"

	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/models"
	"github.com/clickstream-platform/clickstream/warehouse"
)

// The query parameters of a load's statements. Object names reach BigQuery
// as parameters only, never in the text of a statement.
const (
	// paramPrefixes is Slice.Prefixes, ARRAY<STRING>.
	paramPrefixes = "prefixes"
	// paramSliceObjects is Slice.Objects, ARRAY<STRING>.
	paramSliceObjects = "slice_objects"
	// paramObjects is LoadRequest.Objects, ARRAY<STRUCT<uri STRING,
	// generation INT64, size INT64>>.
	paramObjects = "objects"
	// paramRunID is LoadRequest.RunID, STRING.
	paramRunID = "run_id"
)

// objectParam is an element of paramObjects.
type objectParam struct {
	URI        string `bigquery:"uri"`
	Generation int64  `bigquery:"generation"`
	Size       int64  `bigquery:"size"`
}

var paramRE = regexp.MustCompile(`@([A-Za-z_][A-Za-z0-9_]*)`)

// parameters returns the query parameters sql names, each once.
func (l *bqLoad) parameters(sql string) []bq.QueryParameter {
	var params []bq.QueryParameter
	seen := map[string]bool{}
	for _, m := range paramRE.FindAllStringSubmatch(sql, -1) {
		name := m[1]
		if seen[name] {
			continue
		}
		seen[name] = true
		var v any
		switch name {
		case paramPrefixes:
			v = append([]string{}, l.slice.Prefixes...)
		case paramSliceObjects:
			v = append([]string{}, l.slice.Objects...)
		case paramObjects:
			objs := make([]objectParam, len(l.objects))
			for i, o := range l.objects {
				objs[i] = objectParam{URI: o.URI, Generation: o.Generation, Size: o.Size}
			}
			v = objs
		case paramRunID:
			v = l.runID
		default:
			continue // not ours: BigQuery says what it lacks
		}
		params = append(params, bq.QueryParameter{Name: name, Value: v})
	}
	return params
}

// inSliceSQL is the condition that col, a source_object column, lies in
// the load's slice: it starts with one of the prefixes or is one of the
// objects. An empty array parameter reaches BigQuery as NULL, which neither
// holds.
func inSliceSQL(col string) string {
	return fmt.Sprintf("(EXISTS(SELECT 1 FROM UNNEST(@%s) AS p WHERE STARTS_WITH(%s, p)) OR %s IN UNNEST(@%s))",
		paramPrefixes, col, col, paramSliceObjects)
}

// Names the write step's script gives: its temporary table and its
// variables. The variables are prefixed so that no column shadows them.
const (
	touchedTable = "clickstream_touched"
	sliceMin     = "clickstream_slice_min"
	sliceMax     = "clickstream_slice_max"
	stagedMin    = "clickstream_staged_min"
	stagedMax    = "clickstream_staged_max"
)

// stmt is a statement of the write step's script, or, when cond is set, a
// block IF cond THEN then ELSE els END IF. dry is the statement in the dry
// run of the script (see writeSQL), when it differs: omitDry leaves it out.
type stmt struct {
	sql, dry  string
	cond      string
	then, els []stmt
}

const omitDry = "-"

func plain(sql string) stmt { return stmt{sql: sql} }

func ifThen(cond string, then ...stmt) stmt { return stmt{cond: cond, then: then} }

// render writes stmts, each ended by ";\n", or, when dry, their dry-run
// form: an IF block as a SELECT of its condition followed by its THEN
// statements (the costlier branch of the write's), since a dry run stops at
// control flow.
func render(b *strings.Builder, stmts []stmt, dry bool) {
	for _, s := range stmts {
		switch {
		case s.cond != "" && dry:
			b.WriteString("SELECT " + s.cond + ";\n")
			render(b, s.then, dry)
		case s.cond != "":
			b.WriteString("IF " + s.cond + " THEN\n")
			render(b, s.then, dry)
			if len(s.els) > 0 {
				b.WriteString("ELSE\n")
				render(b, s.els, dry)
			}
			b.WriteString("END IF;\n")
		case dry && s.dry == omitDry:
		case dry && s.dry != "":
			b.WriteString(s.dry + ";\n")
		default:
			b.WriteString(s.sql + ";\n")
		}
	}
}

// writeSQL is the script of the write step: its DECLAREs, then one
// multi-statement transaction, so that the step is all-or-nothing; "" when
// there is nothing to write.
//
// With dry, it is the script's dry-run form, whose estimate of the bytes it
// reads bounds the write's from above: every statement runs in it,
// whatever the checks the write makes would find (an IF block is its
// condition, as a SELECT, and its THEN statements; a dry run stops at
// control flow), the temporary table is a subquery (a dry run stops at a
// CREATE TEMP TABLE), and nothing is a transaction. A dry run estimates a
// DML statement from its tables' sizes, and cannot prune partitions by a
// script variable's value (Work with multi-statement queries, "Dry run a
// multi-statement query").
func (l *bqLoad) writeSQL(dry bool) string {
	var declare []string
	var stmts []stmt
	if l.t.Key == "" {
		stmts = l.lakeStatements()
	} else {
		declare, stmts = l.derivedStatements()
	}
	if len(stmts) == 0 {
		return ""
	}
	var b strings.Builder
	for _, d := range declare {
		b.WriteString(d + ";\n")
	}
	if dry {
		render(&b, stmts, true)
		return strings.TrimSuffix(b.String(), "\n")
	}
	b.WriteString("BEGIN TRANSACTION;\n")
	render(&b, stmts, false)
	b.WriteString("COMMIT TRANSACTION;")
	return b.String()
}

// lakeStatements write the lake table: in Replace mode the slice's rows and
// its ledger rows are deleted; in Merge mode the rows of the objects read
// whose generation differs from the ledger's (rewritten since they were
// loaded, or loaded before the ledger kept them). Then the staged rows whose
// lineage the table lacks go in, and the ledger's rows of the objects read
// are replaced by the generation read. The changes table
// (models.ChangesTable) records, for the models step, the rows deleted
// (before the DELETE) and the rows of the run (after the MERGE), as the
// DuckDB warehouse does.
//
// A DELETE bills the whole of the (unpartitioned) lake, every column, even
// when it deletes nothing, so it runs only when a cheap check (the
// source_object column alone) finds rows to delete: a merge of objects new
// to the lake deletes nothing and pays nothing for it. The MERGE has no
// UPDATE clause (a lineage the lake holds is the same row), so it is billed
// what it reads, the lineage columns, not the whole table.
func (l *bqLoad) lakeStatements() []stmt {
	obj := bqIdent(clickstream.ColSourceObject)
	led := warehouse.LedgerSchema()
	ledger := l.b.sqlName(led)
	var stmts []stmt
	deleteIfAny := func(where string) stmt {
		return ifThen(fmt.Sprintf("EXISTS(SELECT 1 FROM %s AS t WHERE %s)", l.target, where),
			plain(l.logRemovedSQL(where)),
			plain(fmt.Sprintf("DELETE FROM %s AS t WHERE %s", l.target, where)))
	}
	if l.t.Name != clickstream.VisitsTable {
		// ga4_events: the ledger and the models' changes follow visits,
		// which loads first, so the ledger already holds the generations
		// read; the rows of every object read give way to the run's.
		where := inSliceSQL("t." + obj)
		if l.mode == warehouse.Merge {
			where = fmt.Sprintf("t.%s IN (SELECT o.uri FROM UNNEST(@%s) AS o)", obj, paramObjects)
		}
		if l.mode == warehouse.Replace || len(l.objects) > 0 {
			stmts = append(stmts, ifThen(fmt.Sprintf("EXISTS(SELECT 1 FROM %s AS t WHERE %s)", l.target, where),
				plain(fmt.Sprintf("DELETE FROM %s AS t WHERE %s", l.target, where))))
		}
		if len(l.uris) > 0 {
			stmts = append(stmts, plain(l.mergeSQL("", false)))
		}
		return stmts
	}
	switch {
	case l.mode == warehouse.Replace:
		stmts = append(stmts, deleteIfAny(inSliceSQL("t."+obj)),
			plain(fmt.Sprintf("DELETE FROM %s AS l WHERE %s", ledger, inSliceSQL("l."+obj))))
	case len(l.objects) > 0:
		stmts = append(stmts, deleteIfAny(fmt.Sprintf("t.%s IN (\n"+
			"  SELECT o.uri FROM UNNEST(@%s) AS o LEFT JOIN %s AS l ON l.%s = o.uri\n"+
			"  WHERE l.`generation` IS DISTINCT FROM o.generation)",
			obj, paramObjects, ledger, obj)))
	}
	if len(l.uris) > 0 {
		stmts = append(stmts, plain(l.mergeSQL("", false)), plain(l.logAddedSQL()))
	}
	if len(l.objects) > 0 {
		cols := make([]string, len(led.Fields))
		for i, f := range led.Fields {
			cols[i] = bqIdent(f.Name)
		}
		stmts = append(stmts,
			plain(fmt.Sprintf("DELETE FROM %s AS l WHERE l.%s IN (SELECT o.uri FROM UNNEST(@%s) AS o)", ledger, obj, paramObjects)),
			plain(fmt.Sprintf("INSERT INTO %s (%s)\nSELECT o.uri, o.generation, o.size, @%s, CURRENT_TIMESTAMP() FROM UNNEST(@%s) AS o",
				ledger, strings.Join(cols, ", "), paramRunID, paramObjects)))
	}
	return stmts
}

// changesColumns are the columns of the changes a lake load records.
func changesColumns() string {
	t := models.ChangesSchema()
	cols := make([]string, len(t.Fields))
	for i, f := range t.Fields {
		cols[i] = bqIdent(f.Name)
	}
	return strings.Join(cols, ", ")
}

// logRemovedSQL records in the changes table the users and objects of the
// lake's rows that where (on the lake aliased t) selects, with the first
// and last of their events' timestamps (NULL for rows without events),
// before they are deleted. It reads the lake's user_id, source_object and
// events' timestamps, and runs only where the DELETE does.
func (l *bqLoad) logRemovedSQL(where string) string {
	return fmt.Sprintf("INSERT INTO %s (%s)\nSELECT @%s, t.`user_id`, t.%s, MIN(e.`event`.`timestamp`), MAX(e.`event`.`timestamp`)\n"+
		"FROM %s AS t LEFT JOIN UNNEST(t.`events`) AS e\nWHERE %s\nGROUP BY t.`user_id`, t.%s",
		l.b.sqlName(models.ChangesSchema()), changesColumns(), paramRunID, bqIdent(clickstream.ColSourceObject),
		l.target, where, bqIdent(clickstream.ColSourceObject))
}

// logAddedSQL records in the changes table, after the MERGE, the users and
// objects of the lake's rows of the run, with their events' span. The rows
// of the run are staged rows (a run loads the lake from the same files on
// every attempt, and an object rewritten since an earlier attempt had its
// rows deleted first), so their values are read from the staging table,
// and of the lake only the lineage and run_id: the rows the MERGE added,
// and those an earlier attempt of the run committed (recorded then too).
func (l *bqLoad) logAddedSQL() string {
	obj, line, run := bqIdent(clickstream.ColSourceObject), bqIdent(clickstream.ColSourceLine), bqIdent(clickstream.ColRunID)
	return fmt.Sprintf("INSERT INTO %s (%s)\nSELECT @%s, S.`user_id`, S.%s, MIN(e.`event`.`timestamp`), MAX(e.`event`.`timestamp`)\n"+
		"FROM %s AS S LEFT JOIN UNNEST(S.`events`) AS e\n"+
		"WHERE EXISTS(SELECT 1 FROM %s AS T WHERE T.%s = S.%s AND T.%s = S.%s AND T.%s = @%s)\nGROUP BY S.`user_id`, S.%s",
		l.b.sqlName(models.ChangesSchema()), changesColumns(), paramRunID, obj,
		l.stagingName(), l.target, obj, obj, line, line, run, paramRunID, obj)
}

// derivedStatements write a warehouse table. When the table has rows in the
// slice (a cheap check of its source_object column first), the keys of
// those rows go into a temporary table; the rows are deleted and, for each
// of their keys, the row the lake's copy of smallest lineage gives is
// inserted (the lake table is loaded first, so it holds the run's rows
// already); keys the lake no longer holds are gone. Rows outside the slice
// are the smallest copies of their keys still: removing other copies
// changes nothing for them. Then the staged rows are merged: with a MERGE
// that may replace held rows when some staged row has a smaller lineage
// than the row of its key the table holds, and otherwise with a MERGE that
// only inserts, which BigQuery bills what it reads rather than the whole
// table (see [Warehouse], Cost).
//
// A partitioned table's statements name the range of timestamps they
// touch, in script variables set before them: a filter on the partitioning
// column by a constant (a variable is one, a subquery is not) lets BigQuery
// prune the partitions outside it. An event's key covers its timestamp, so
// every row a staged row can match lies in the staged rows' range.
func (l *bqLoad) derivedStatements() (declare []string, stmts []stmt) {
	der, _ := warehouse.Derive(l.t) // Load only loads the lake and the tables derived from it
	obj := bqIdent(clickstream.ColSourceObject)
	var ts string // the partitioning column, if any
	if p := l.t.Partitioning; p != nil {
		ts = bqIdent(p.Field)
	}
	if !l.slice.Empty() {
		cols := fmt.Sprintf("t.%s AS k, t.`session_key` AS session_key", bqIdent(l.t.Key))
		del := fmt.Sprintf("DELETE FROM %s AS t WHERE %s", l.target, inSliceSQL("t."+obj))
		if ts != "" {
			cols += fmt.Sprintf(", t.%s AS ts", ts)
			del += fmt.Sprintf(" AND t.%s BETWEEN %s AND %s", ts, sliceMin, sliceMax)
		}
		touched := fmt.Sprintf("SELECT %s FROM %s AS t WHERE %s", cols, l.target, inSliceSQL("t."+obj))
		dryTouched := "(" + touched + ")" // the temporary table, in the dry run
		block := []stmt{{sql: fmt.Sprintf("CREATE TEMP TABLE %s AS\n%s", touchedTable, touched), dry: touched}}
		if ts != "" {
			declare = append(declare, fmt.Sprintf("DECLARE %s, %s TIMESTAMP", sliceMin, sliceMax))
			set := "SET (%s, %s) = (SELECT AS STRUCT MIN(ts), MAX(ts) FROM %s)"
			block = append(block, stmt{sql: fmt.Sprintf(set, sliceMin, sliceMax, touchedTable),
				dry: fmt.Sprintf(set, sliceMin, sliceMax, dryTouched)})
		}
		lake := l.b.sqlName(lakeTable())
		block = append(block, plain(del),
			stmt{sql: deriveSQL(l.target, l.t, der, lake, touchedTable), dry: deriveSQL(l.target, l.t, der, lake, dryTouched)},
			stmt{sql: "DROP TABLE " + touchedTable, dry: omitDry})
		// Without rows in the slice there is nothing to delete or derive:
		// neither the table nor the lake is read beyond the check.
		stmts = append(stmts, ifThen(fmt.Sprintf("EXISTS(SELECT 1 FROM %s AS t WHERE %s)", l.target, inSliceSQL("t."+obj)), block...))
	}
	if len(l.uris) > 0 {
		within := ""
		if ts != "" {
			declare = append(declare, fmt.Sprintf("DECLARE %s, %s TIMESTAMP", stagedMin, stagedMax))
			stmts = append(stmts, plain(fmt.Sprintf("SET (%s, %s) = (SELECT AS STRUCT MIN(%s), MAX(%s) FROM %s)",
				stagedMin, stagedMax, ts, ts, l.stagingName())))
			within = fmt.Sprintf("T.%s BETWEEN %s AND %s", ts, stagedMin, stagedMax)
		}
		merge := ifThen(l.supersedesSQL(within), plain(l.mergeSQL(within, true)))
		merge.els = []stmt{plain(l.mergeSQL(within, false))}
		stmts = append(stmts, merge)
	}
	return declare, stmts
}

// supersedesSQL is the condition that some staged row has a smaller
// (source_object, source_line) than the row of its key the target holds,
// which the MERGE must then replace. Comparing every staged row, not only
// the smallest of its key, gives the same answer without ranking them. It
// reads the target's key and lineage columns, within the staged rows'
// range of timestamps on a partitioned table.
func (l *bqLoad) supersedesSQL(within string) string {
	obj, line := bqIdent(clickstream.ColSourceObject), bqIdent(clickstream.ColSourceLine)
	on := make([]string, 0, 2)
	for _, k := range l.t.KeyColumns() {
		on = append(on, fmt.Sprintf("T.%s = S.%s", bqIdent(k), bqIdent(k)))
	}
	if within != "" {
		on = append(on, within)
	}
	return fmt.Sprintf("EXISTS(SELECT 1 FROM %s AS T JOIN %s AS S ON %s\n"+
		"  WHERE S.%s < T.%s OR (S.%s = T.%s AND S.%s < T.%s))",
		l.target, l.stagingName(), strings.Join(on, " AND "), obj, obj, obj, obj, line, line)
}

// deriveSQL inserts into target (of t), for every key of touched (the
// temporary table of the touched keys, or a subquery giving them), the
// row the lake's copy of smallest (source_object, source_line) outside the
// slice gives, as der says; of copies equal in those (an event twice in one
// line), any, since they are equal. The lake's copies in the slice are the
// staged rows (the lake is loaded first), which the merge that follows puts
// in where they are smaller, so a replace of a whole source derives next to
// nothing. The lake's rows are those of the touched sessions; of an event
// table, their events of its type whose event_id is touched.
func deriveSQL(target string, t clickstream.Table, der warehouse.Derivation, lake, touched string) string {
	cols := make([]string, len(der.Columns))
	exprs := make([]string, len(der.Columns))
	var key string
	for i, c := range der.Columns {
		cols[i] = bqIdent(c.Name)
		path := make([]string, len(c.Path))
		for j, p := range c.Path {
			path[j] = bqIdent(p)
		}
		src := "v."
		if c.Event {
			src = "e."
		}
		exprs[i] = src + strings.Join(path, ".")
		if c.Name == t.Key {
			key = exprs[i]
		}
		exprs[i] += " AS " + cols[i]
	}
	var b strings.Builder
	fmt.Fprintf(&b, "INSERT INTO %s (%s)\nSELECT %s\nFROM %s AS v", target, strings.Join(cols, ", "), strings.Join(exprs, ", "), lake)
	if der.EventType != "" {
		b.WriteString(", UNNEST(v.`events`) AS e")
	}
	fmt.Fprintf(&b, "\nWHERE NOT %s AND v.`session_key` IN (SELECT session_key FROM %s)",
		inSliceSQL("v."+bqIdent(clickstream.ColSourceObject)), touched)
	if der.EventType != "" {
		fmt.Fprintf(&b, " AND e.`event`.`event_type` = %s AND e.`event_id` IN (SELECT k FROM %s)", bqString(der.EventType), touched)
	}
	fmt.Fprintf(&b, "\nQUALIFY ROW_NUMBER() OVER (PARTITION BY %s ORDER BY v.%s, v.%s) = 1",
		key, bqIdent(clickstream.ColSourceObject), bqIdent(clickstream.ColSourceLine))
	return b.String()
}

// mergeSQL merges the staged rows, one per key, into the target: a row
// whose key the target lacks goes in; with supersede, a row the target
// holds from a larger (source_object, source_line) is replaced by the
// staged copy, as the DuckDB warehouse does (its supersedeSQL), so that the
// copy a table keeps does not depend on the order of loads. Without it the
// MERGE only inserts, which BigQuery bills as an INSERT. The lake table's
// key is the lineage itself: a row it holds stays. within, if not "",
// narrows the target's rows the merge looks at (a range of the
// partitioning column).
func (l *bqLoad) mergeSQL(within string, supersede bool) string {
	keys := l.t.KeyColumns()
	on := make([]string, len(keys))
	for i, k := range keys {
		on[i] = fmt.Sprintf("T.%s = S.%s", bqIdent(k), bqIdent(k))
	}
	if within != "" {
		on = append(on, within)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "MERGE %s AS T\nUSING (\n%s\n) AS S\nON %s\n", l.target, l.dedupSQL(), strings.Join(on, " AND "))
	if supersede {
		obj, line := bqIdent(clickstream.ColSourceObject), bqIdent(clickstream.ColSourceLine)
		sets := make([]string, 0, len(l.t.Fields))
		for _, f := range l.t.Fields {
			if f.Name != l.t.Key {
				sets = append(sets, fmt.Sprintf("%s = S.%s", bqIdent(f.Name), bqIdent(f.Name)))
			}
		}
		fmt.Fprintf(&b, "WHEN MATCHED AND (S.%s < T.%s OR (S.%s = T.%s AND S.%s < T.%s)) THEN UPDATE SET %s\n",
			obj, obj, obj, obj, line, line, strings.Join(sets, ", "))
	}
	fmt.Fprintf(&b, "WHEN NOT MATCHED THEN INSERT (%s) VALUES (%s)", l.columns(""), l.columns("S."))
	return b.String()
}

// dedupSQL selects the staged rows, one per key: the one with the smallest
// (source_object, source_line). Rows equal in those have the same key only
// when they are the same row (an event repeated within one session, a line
// staged twice), so the choice among them does not matter.
func (l *bqLoad) dedupSQL() string {
	return fmt.Sprintf("SELECT %s\nFROM %s\nWHERE TRUE\nQUALIFY ROW_NUMBER() OVER (PARTITION BY %s ORDER BY %s, %s) = 1",
		l.columns(""), l.stagingName(), keyList(l.t, ""),
		bqIdent(clickstream.ColSourceObject), bqIdent(clickstream.ColSourceLine))
}

// columns lists the table's columns, each quoted and prefixed.
func (l *bqLoad) columns(prefix string) string {
	cols := make([]string, len(l.t.Fields))
	for i, f := range l.t.Fields {
		cols[i] = prefix + bqIdent(f.Name)
	}
	return strings.Join(cols, ", ")
}

// keyList is t's key columns (its lineage for the lake table), each quoted
// and prefixed, separated by commas.
func keyList(t clickstream.Table, prefix string) string {
	cols := t.KeyColumns()
	for i, c := range cols {
		cols[i] = prefix + bqIdent(c)
	}
	return strings.Join(cols, ", ")
}
