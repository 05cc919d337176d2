package bigquery

import (
	"fmt"
	"slices"
	"strings"

	bq "cloud.google.com/go/bigquery"

	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/models"
	"github.com/clickstream-platform/clickstream/warehouse"
)

// Schema returns the BigQuery schema of t: its fields in order, with
// their types, descriptions and modes (REQUIRED and REPEATED as t says; a
// RECORD field carries its sub-fields, so visits.events and
// purchase_events.items are REPEATED RECORDs).
func Schema(t clickstream.Table) bq.Schema {
	return schemaFields(t.Fields)
}

func schemaFields(fields []clickstream.Field) bq.Schema {
	s := make(bq.Schema, len(fields))
	for i, f := range fields {
		s[i] = &bq.FieldSchema{
			Name:        f.Name,
			Type:        bq.FieldType(f.Type), // clickstream names types as BigQuery does
			Description: f.Description,
			Required:    f.Mode == clickstream.Required,
			Repeated:    f.Mode == clickstream.Repeated,
		}
		if len(f.Fields) > 0 {
			s[i].Schema = schemaFields(f.Fields)
		}
	}
	return s
}

// timePartitioning returns t's time partitioning, or nil.
func timePartitioning(t clickstream.Table) *bq.TimePartitioning {
	if t.Partitioning == nil {
		return nil
	}
	return &bq.TimePartitioning{Type: bq.TimePartitioningType(t.Partitioning.Type), Field: t.Partitioning.Field}
}

// tableMetadata returns what a table is created with: schema,
// partitioning, clustering and a description.
func tableMetadata(t clickstream.Table) *bq.TableMetadata {
	desc := fmt.Sprintf("clickstream %s table %s: one row per %s (SPEC.md).", t.Dataset, t.Name, strings.Join(t.KeyColumns(), ", "))
	switch t.Name {
	case warehouse.RunsTable:
		desc = warehouse.RunsTableDescription
	case warehouse.LedgerTable:
		desc = fmt.Sprintf("clickstream ledger %s: one row per source object a run loaded into the lake, at the generation it read.", t.Name)
	case models.ChangesTable:
		desc = fmt.Sprintf("clickstream %s: per run, user and source object, the span of the events of the lake rows a load removed or added, until the models step rebuilds for them.", t.Name)
	}
	md := &bq.TableMetadata{
		Description:      desc,
		Schema:           Schema(t),
		TimePartitioning: timePartitioning(t),
	}
	if len(t.Clustering) > 0 {
		md.Clustering = &bq.Clustering{Fields: slices.Clone(t.Clustering)}
	}
	return md
}

// diffTable describes how an existing table differs from t: columns
// (compared by position: name, type, mode, and the sub-fields of a RECORD),
// partitioning and clustering. Descriptions are not compared.
func diffTable(md *bq.TableMetadata, t clickstream.Table) []string {
	diffs := diffSchema("", md.Schema, Schema(t))
	if have, want := partitioningString(md.TimePartitioning), partitioningString(timePartitioning(t)); have != want {
		diffs = append(diffs, fmt.Sprintf("partitioning is %s, want %s", have, want))
	}
	var have []string
	if md.Clustering != nil {
		have = md.Clustering.Fields
	}
	if !slices.Equal(have, t.Clustering) {
		diffs = append(diffs, fmt.Sprintf("clustering is %s, want %s", clusteringString(have), clusteringString(t.Clustering)))
	}
	return diffs
}

func diffSchema(prefix string, have, want bq.Schema) []string {
	var diffs []string
	for i := range max(len(have), len(want)) {
		where := fmt.Sprintf("column %d", i+1)
		if prefix != "" {
			where = fmt.Sprintf("field %d of %s", i+1, prefix)
		}
		switch {
		case i >= len(have):
			diffs = append(diffs, fmt.Sprintf("%s missing, want %s", where, fieldString(want[i])))
		case i >= len(want):
			diffs = append(diffs, fmt.Sprintf("%s is %s, want none", where, fieldString(have[i])))
		case fieldString(have[i]) != fieldString(want[i]):
			diffs = append(diffs, fmt.Sprintf("%s is %s, want %s", where, fieldString(have[i]), fieldString(want[i])))
		case len(want[i].Schema) > 0 || len(have[i].Schema) > 0:
			name := want[i].Name
			if prefix != "" {
				name = prefix + "." + name
			}
			diffs = append(diffs, diffSchema(name, have[i].Schema, want[i].Schema)...)
		}
	}
	return diffs
}

// fieldString is a field as the differences list it: name, type, mode.
func fieldString(f *bq.FieldSchema) string {
	mode := "NULLABLE"
	switch {
	case f.Repeated:
		mode = "REPEATED"
	case f.Required:
		mode = "REQUIRED"
	}
	return f.Name + " " + legacyTypeName(f.Type) + " " + mode
}

// legacyTypeName spells a type as the tables API does, whatever created
// the table (DDL says INT64, the API INTEGER).
func legacyTypeName(t bq.FieldType) string {
	switch s := strings.ToUpper(string(t)); s {
	case "INT64":
		return "INTEGER"
	case "FLOAT64":
		return "FLOAT"
	case "BOOL":
		return "BOOLEAN"
	case "STRUCT":
		return "RECORD"
	default:
		return s
	}
}

func partitioningString(p *bq.TimePartitioning) string {
	if p == nil {
		return "none"
	}
	typ := p.Type
	if typ == "" {
		typ = bq.DayPartitioningType
	}
	field := p.Field
	if field == "" {
		field = "_PARTITIONTIME"
	}
	return fmt.Sprintf("%s on %s", typ, field)
}

func clusteringString(fields []string) string {
	if len(fields) == 0 {
		return "none"
	}
	return "(" + strings.Join(fields, ", ") + ")"
}
