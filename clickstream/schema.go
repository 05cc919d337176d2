package clickstream

// The table schemas are defined here once. The BigQuery schemas and the local
// warehouse's DDL are both derived from these values, and the staged-row
// encoders write the columns in exactly this order.

// FieldType is a column type, named as BigQuery names it.
type FieldType string

const (
	String    FieldType = "STRING"
	Integer   FieldType = "INTEGER"
	Float     FieldType = "FLOAT"
	Timestamp FieldType = "TIMESTAMP"
	Date      FieldType = "DATE" // a day, no time zone
	Record    FieldType = "RECORD"
)

// JSON is a column holding any JSON value (BigQuery's JSON, DuckDB's JSON).
// Staged NDJSON holds the value itself; staged Parquet holds its text, as a
// STRING column.
const JSON FieldType = "JSON"

// Mode is a column mode, named as BigQuery names it.
type Mode string

const (
	Nullable Mode = "NULLABLE"
	Required Mode = "REQUIRED"
	Repeated Mode = "REPEATED"
)

// Field is one column; a RECORD column has Fields.
type Field struct {
	Name        string
	Type        FieldType
	Mode        Mode
	Description string
	Fields      []Field
}

// Dataset says which of the two datasets a table belongs to.
type Dataset string

const (
	Lake      Dataset = "lake"
	Warehouse Dataset = "warehouse"
)

// TimePartitioning partitions a table by a TIMESTAMP column.
type TimePartitioning struct {
	Type  string // "MONTH"
	Field string
}

// Table is one output table.
type Table struct {
	Name    string
	Dataset Dataset
	// Key is the column that identifies a row: the dw tables hold one row per
	// key, and merges match on it. Empty for the lake table, which keeps
	// every copy of a session: its rows are identified by their lineage
	// (see KeyColumns).
	Key string
	// Keys, when set, are the columns that together identify a row of a
	// table keyed by more than one (a report's date and device type).
	Keys         []string
	Fields       []Field
	Partitioning *TimePartitioning // nil: not partitioned
	Clustering   []string
}

// Table names: those the warehouse datasets of the Beam pipeline this
// platform replaced used, kept so that its queries keep working.
const (
	VisitsTable     = "visits"
	SessionsTable   = "sessions"
	PageviewsTable  = "pageview_events"
	AddtocartsTable = "addtocart_events"
	PurchasesTable  = "purchase_events"
	// GA4EventsTable is the lake table of GA4 input: every valid GA4 event,
	// flattened (see GA4Input).
	GA4EventsTable = "ga4_events"
)

// Lineage columns, carried by every table: where a row came from and which
// run loaded it. When the same key arrives more than once, the copy kept is the
// one with the smallest (source_object, source_line), in a run and across
// runs: a merge replaces a row held from a larger one, so the copy kept does
// not depend on the order in which objects were loaded.
const (
	ColSourceObject = "source_object"
	ColSourceLine   = "source_line"
	ColRunID        = "run_id"
)

func lineage() []Field {
	return []Field{
		{Name: ColSourceObject, Type: String, Mode: Required, Description: "Source object (path or gs:// URI) the row was read from."},
		{Name: ColSourceLine, Type: Integer, Mode: Required, Description: "1-based line number of the session in the source object."},
		{Name: ColRunID, Type: String, Mode: Required, Description: "Pipeline run that loaded the row."},
	}
}

func itemFields() []Field {
	return []Field{
		{Name: "quantity", Type: Integer, Mode: Nullable},
		{Name: "price", Type: Float, Mode: Nullable},
		{Name: "category", Type: String, Mode: Nullable},
		{Name: "product_name", Type: String, Mode: Nullable},
		{Name: "product_id", Type: String, Mode: Nullable},
	}
}

func sessionKeyField() Field {
	return Field{Name: "session_key", Type: String, Mode: Required, Description: "Lowercase hex SHA-256 of session_id:user_id:device_type."}
}

func eventIDField() Field {
	return Field{Name: "event_id", Type: String, Mode: Required, Description: "Lowercase hex SHA-256 of the event's canonical form (see clickstream.EventID)."}
}

func timestampField() Field {
	return Field{Name: "timestamp", Type: Timestamp, Mode: Required, Description: "Event time, UTC, microsecond precision."}
}

func monthly() *TimePartitioning { return &TimePartitioning{Type: "MONTH", Field: "timestamp"} }

// Tables returns the output tables in load order: the lake table visits,
// then sessions, the event tables and the lake table of GA4 input. The
// warehouse tables derive from visits, which every input format fills (see
// GA4Input), so it loads first; ga4_events derives nothing and loads with
// them.
func Tables() []Table {
	return []Table{
		{
			Name: VisitsTable, Dataset: Lake,
			Fields: append([]Field{
				{Name: "session_id", Type: String, Mode: Required},
				{Name: "user_id", Type: String, Mode: Required},
				{Name: "device_type", Type: String, Mode: Required},
				{Name: "geolocation", Type: String, Mode: Nullable},
				{Name: "user_agent", Type: String, Mode: Nullable},
				{Name: "events", Type: Record, Mode: Repeated, Description: "The session's valid events, in input order.", Fields: []Field{
					{Name: "event", Type: Record, Mode: Nullable, Fields: []Field{
						{Name: "event_type", Type: String, Mode: Nullable},
						{Name: "timestamp", Type: Timestamp, Mode: Nullable},
						{Name: "details", Type: Record, Mode: Nullable, Fields: []Field{
							{Name: "page_url", Type: String, Mode: Nullable},
							{Name: "referrer_url", Type: String, Mode: Nullable},
							{Name: "product_id", Type: String, Mode: Nullable},
							{Name: "product_name", Type: String, Mode: Nullable},
							{Name: "category", Type: String, Mode: Nullable},
							{Name: "price", Type: Float, Mode: Nullable},
							{Name: "quantity", Type: Integer, Mode: Nullable},
							{Name: "order_id", Type: String, Mode: Nullable},
							{Name: "amount", Type: Float, Mode: Nullable},
							{Name: "currency", Type: String, Mode: Nullable},
							{Name: "items", Type: Record, Mode: Repeated, Fields: itemFields()},
						}},
					}},
					{Name: "event_id", Type: String, Mode: Nullable, Description: "The event's event_id, as in its warehouse table (an addition to the raw form), so that the warehouse can be derived again from the lake."},
				}},
				sessionKeyField(),
			}, lineage()...),
		},
		{
			Name: SessionsTable, Dataset: Warehouse, Key: "session_key",
			Fields: append([]Field{
				sessionKeyField(),
				{Name: "session_id", Type: String, Mode: Required},
				{Name: "user_id", Type: String, Mode: Required},
				{Name: "user_agent", Type: String, Mode: Nullable},
				{Name: "geolocation", Type: String, Mode: Nullable},
				{Name: "device_type", Type: String, Mode: Required},
			}, lineage()...),
			Clustering: []string{"session_id", "user_id"},
		},
		{
			Name: PageviewsTable, Dataset: Warehouse, Key: "event_id",
			Fields: append([]Field{
				sessionKeyField(),
				timestampField(),
				{Name: "page_url", Type: String, Mode: Required},
				{Name: "referrer_url", Type: String, Mode: Nullable},
				eventIDField(),
			}, lineage()...),
			Partitioning: monthly(),
			Clustering:   []string{"session_key"},
		},
		{
			Name: AddtocartsTable, Dataset: Warehouse, Key: "event_id",
			Fields: append([]Field{
				sessionKeyField(),
				timestampField(),
				{Name: "product_id", Type: String, Mode: Required},
				{Name: "product_name", Type: String, Mode: Nullable},
				{Name: "category", Type: String, Mode: Nullable},
				{Name: "quantity", Type: Integer, Mode: Required},
				{Name: "price", Type: Float, Mode: Required},
				eventIDField(),
			}, lineage()...),
			Partitioning: monthly(),
			Clustering:   []string{"session_key"},
		},
		{
			Name: PurchasesTable, Dataset: Warehouse, Key: "event_id",
			Fields: append([]Field{
				sessionKeyField(),
				timestampField(),
				{Name: "order_id", Type: String, Mode: Required},
				{Name: "currency", Type: String, Mode: Nullable},
				{Name: "amount", Type: Float, Mode: Required},
				{Name: "items", Type: Record, Mode: Repeated, Fields: itemFields()},
				eventIDField(),
			}, lineage()...),
			Partitioning: monthly(),
			Clustering:   []string{"session_key"},
		},
		ga4EventsTable(),
	}
}

// KeyColumns are the columns that identify a row of t: its Keys, its Key,
// or the lineage (source_object, source_line) of a table that keeps every
// copy.
func (t Table) KeyColumns() []string {
	if len(t.Keys) > 0 {
		return append([]string(nil), t.Keys...)
	}
	if t.Key == "" {
		return []string{ColSourceObject, ColSourceLine}
	}
	return []string{t.Key}
}

// LookupTable returns the table named name.
func LookupTable(name string) (Table, bool) {
	for _, t := range Tables() {
		if t.Name == name {
			return t, true
		}
	}
	return Table{}, false
}

// TablesFor returns the tables a run of input format f loads, in load
// order: every table but ga4_events for session input (which never fills
// it), all of them for GA4 input.
func TablesFor(f InputFormat) []Table {
	all := Tables()
	if f == GA4Input {
		return all
	}
	out := all[:0]
	for _, t := range all {
		if t.Name != GA4EventsTable {
			out = append(out, t)
		}
	}
	return out
}
