package duckdb

import (
	"fmt"
	"strings"

	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/warehouse"
)

// Type returns the DuckDB type of a column: STRING is VARCHAR, INTEGER
// BIGINT, FLOAT DOUBLE, TIMESTAMP TIMESTAMPTZ, RECORD a STRUCT of its fields,
// and a REPEATED column a LIST of its type (T[]). The mode's other half,
// REQUIRED, is a constraint of the column (see CreateTableSQL); DuckDB cannot
// constrain a STRUCT's fields, so a REQUIRED field inside a RECORD is nullable.
// A type with no mapping is passed through as named, for DuckDB to accept or
// refuse.
func Type(f clickstream.Field) string {
	var b strings.Builder
	writeType(&b, f)
	return b.String()
}

func writeType(b *strings.Builder, f clickstream.Field) {
	switch f.Type {
	case clickstream.String:
		b.WriteString("VARCHAR")
	case clickstream.Integer:
		b.WriteString("BIGINT")
	case clickstream.Float:
		b.WriteString("DOUBLE")
	case clickstream.Timestamp:
		b.WriteString("TIMESTAMPTZ")
	case clickstream.Record:
		b.WriteString("STRUCT(")
		for i, sub := range f.Fields {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(quoteIdent(sub.Name))
			b.WriteByte(' ')
			writeType(b, sub)
		}
		b.WriteByte(')')
	default:
		b.WriteString(string(f.Type))
	}
	if f.Mode == clickstream.Repeated {
		b.WriteString("[]")
	}
}

// CreateTableSQL returns the statements that create table t in schema if it
// does not exist: CREATE TABLE IF NOT EXISTS with the columns of t in order
// (a REQUIRED column is NOT NULL), then COMMENT ON TABLE (the table's key, and
// the partitioning and clustering it has in BigQuery, which DuckDB does not
// have) and COMMENT ON COLUMN for every column with a description. The
// statements are separated by ";\n" and run as one script.
func CreateTableSQL(schema string, t clickstream.Table) string {
	name := qualified(schema, t.Name)
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE TABLE IF NOT EXISTS %s (\n", name)
	for i, f := range t.Fields {
		fmt.Fprintf(&b, "\t%s %s", quoteIdent(f.Name), Type(f))
		if f.Mode == clickstream.Required {
			b.WriteString(" NOT NULL")
		}
		if i < len(t.Fields)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString(");\n")
	fmt.Fprintf(&b, "COMMENT ON TABLE %s IS %s;\n", name, quoteString(tableComment(t)))
	for _, f := range t.Fields {
		if f.Description != "" {
			fmt.Fprintf(&b, "COMMENT ON COLUMN %s.%s IS %s;\n", name, quoteIdent(f.Name), quoteString(f.Description))
		}
	}
	return b.String()
}

// tableComment says what BigQuery would hold as table options.
func tableComment(t clickstream.Table) string {
	if t.Name == warehouse.RunsTable {
		return warehouse.RunsTableDescription
	}
	var b strings.Builder
	fmt.Fprintf(&b, "clickstream %s table %s: one row per %s.", t.Dataset, t.Name, strings.Join(t.KeyColumns(), ", "))
	var layout []string
	if p := t.Partitioning; p != nil {
		layout = append(layout, fmt.Sprintf("partitioned by %s(%s)", p.Type, p.Field))
	}
	if len(t.Clustering) > 0 {
		layout = append(layout, "clustered by "+strings.Join(t.Clustering, ", "))
	}
	if len(layout) == 0 {
		b.WriteString(" Neither partitioned nor clustered.")
	} else {
		fmt.Fprintf(&b, " In BigQuery %s; DuckDB has no partitioning or clustering.", strings.Join(layout, " and "))
	}
	return b.String()
}

// readJSONSQL returns a read_json call over files (local paths) that reads
// the columns of t with their types: no detection, one JSON object per line.
// Every path is escaped for DuckDB's globbing, so it names exactly one file.
func readJSONSQL(files []string, t clickstream.Table) string {
	var b strings.Builder
	b.WriteString("read_json([")
	for i, f := range files {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(quoteString(escapeGlob(f)))
	}
	b.WriteString("], format = 'newline_delimited', records = 'true', auto_detect = false")
	fmt.Fprintf(&b, ", maximum_object_size = %d", maxObjectBytes)
	b.WriteString(", columns = {")
	for i, f := range t.Fields {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s: %s", quoteString(f.Name), quoteString(Type(f)))
	}
	b.WriteString("})")
	return b.String()
}

// maxObjectBytes is the longest staged row read_json accepts (its default is
// 16 MiB). It is above clickstream.DefaultMaxLineBytes, since a staged visits
// row can be a little longer than its input line.
const maxObjectBytes = 64 << 20

// escapeGlob makes a path match itself only: DuckDB treats every path given
// to read_json as a glob pattern, so *, ? and [ are put in brackets.
func escapeGlob(path string) string {
	if !strings.ContainsAny(path, "*?[") {
		return path
	}
	var b strings.Builder
	for _, r := range path {
		switch r {
		case '*', '?', '[':
			b.WriteByte('[')
			b.WriteRune(r)
			b.WriteByte(']')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func qualified(schema, table string) string { return quoteIdent(schema) + "." + quoteIdent(table) }

// quoteIdent quotes a DuckDB identifier.
func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// quoteString quotes a DuckDB string literal.
func quoteString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
