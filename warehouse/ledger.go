package warehouse

import "github.com/clickstream-platform/clickstream/clickstream"

// LedgerTable is the ledger of loaded objects, in the lake dataset: one row
// per source object a run loaded, at the generation it read. A run that
// loads only new objects skips those the ledger holds at the same
// generation; a merge that reads an object at another generation replaces
// its earlier rows. RecreateTables empties it with the tables.
const LedgerTable = "loaded_objects"

// LedgerSchema returns the definition of LedgerTable, keyed by
// source_object.
func LedgerSchema() clickstream.Table {
	return clickstream.Table{Name: LedgerTable, Dataset: clickstream.Lake, Key: clickstream.ColSourceObject, Fields: []clickstream.Field{
		{Name: clickstream.ColSourceObject, Type: clickstream.String, Mode: clickstream.Required, Description: "Full name of the object loaded: its rows' source_object."},
		{Name: "generation", Type: clickstream.Integer, Mode: clickstream.Required, Description: "The version of the object loaded (a GCS generation; a local file's modification time in nanoseconds)."},
		{Name: "size", Type: clickstream.Integer, Mode: clickstream.Required, Description: "The object's size in bytes."},
		{Name: clickstream.ColRunID, Type: clickstream.String, Mode: clickstream.Required, Description: "The run that loaded it."},
		{Name: "loaded_at", Type: clickstream.Timestamp, Mode: clickstream.Required, Description: "When that run's load of the lake committed."},
	}}
}
