package models

import "github.com/clickstream-platform/clickstream/clickstream"

// Table names, in the dw dataset.
const (
	UserSessions      = "user_sessions"
	DailyEvents       = "report_daily_events"
	RevenueDaily      = "report_revenue_daily"
	FunnelDaily       = "report_funnel_daily"
	TopUsers          = "report_top_users"
	SessionsPerObject = "report_sessions_per_object"
)

// ChangesTable is, in the lake dataset, what the lake's loads changed and
// the models step has not rebuilt yet: per run, user and source object, the
// first and last timestamps of the events of the rows removed or added
// (NULL for rows without events).
const ChangesTable = "model_changes"

func field(name string, t clickstream.FieldType, m clickstream.Mode, desc string) clickstream.Field {
	return clickstream.Field{Name: name, Type: t, Mode: m, Description: desc}
}

func count(name, desc string) clickstream.Field {
	return field(name, clickstream.Integer, clickstream.Required, desc)
}

// Tables returns the derived tables, user sessions first (the funnel and
// the top users read it).
func Tables() []clickstream.Table {
	req, null, rep := clickstream.Required, clickstream.Nullable, clickstream.Repeated
	day := field("date", clickstream.Date, req, "UTC date.")
	return []clickstream.Table{
		{
			Name: UserSessions, Dataset: clickstream.Warehouse, Key: "user_session_id",
			Fields: []clickstream.Field{
				field("user_session_id", clickstream.String, req, "Lowercase hex SHA-256 of user_id:<first event's UTC timestamp, RFC 3339 with microseconds>."),
				field("user_id", clickstream.String, req, "The user."),
				field("started_at", clickstream.Timestamp, req, "The first event's timestamp."),
				field("ended_at", clickstream.Timestamp, req, "The last event's timestamp."),
				field("duration_seconds", clickstream.Float, req, "ended_at - started_at, in seconds."),
				count("events", "Events of the user session: page views, adds to cart and purchases."),
				count("pageviews", "Page views."),
				count("addtocarts", "Adds to cart."),
				count("purchases", "Purchases."),
				{Name: "revenue", Type: clickstream.Record, Mode: rep, Description: "The purchases' amounts summed per currency, sorted by currency; currencies are never added together.",
					Fields: []clickstream.Field{field("currency", clickstream.String, null, ""), field("amount", clickstream.Float, null, "")}},
				field("entry_page", clickstream.String, null, "page_url of the first page view; NULL without one."),
				field("exit_page", clickstream.String, null, "page_url of the last page view; NULL without one."),
				field("device_types", clickstream.String, rep, "The distinct device types of its input sessions, sorted."),
				count("input_sessions", "Distinct input sessions (session_key) it spans."),
			},
			Partitioning: &clickstream.TimePartitioning{Type: "MONTH", Field: "started_at"},
			Clustering:   []string{"user_id"},
		},
		{
			Name: DailyEvents, Dataset: clickstream.Warehouse, Keys: []string{"date", "device_type"},
			Fields: []clickstream.Field{day, field("device_type", clickstream.String, req, "The input session's device type."),
				count("pageviews", "Page views that day."), count("addtocarts", "Adds to cart that day."), count("purchases", "Purchases that day.")},
		},
		{
			Name: RevenueDaily, Dataset: clickstream.Warehouse, Keys: []string{"date", "currency"},
			Fields: []clickstream.Field{day, field("currency", clickstream.String, null, "The purchases' currency; NULL for purchases without one."),
				count("orders", "Purchases that day in the currency."), field("revenue", clickstream.Float, req, "Their amounts summed.")},
		},
		{
			Name: FunnelDaily, Dataset: clickstream.Warehouse, Keys: []string{"date"},
			Fields: []clickstream.Field{field("date", clickstream.Date, req, "UTC date of the user sessions' start."),
				count("user_sessions", "User sessions that started that day."), count("with_pageview", "Those with a page view."),
				count("with_addtocart", "Those with an add to cart."), count("with_purchase", "Those with a purchase.")},
		},
		{
			Name: TopUsers, Dataset: clickstream.Warehouse, Key: "user_id",
			Fields: []clickstream.Field{field("user_id", clickstream.String, req, "The user."), count("events", "The user's events."),
				count("user_sessions", "The user's user sessions."),
				{Name: "events_by_device", Type: clickstream.Record, Mode: rep, Description: "The user's events per device type, sorted by device type.",
					Fields: []clickstream.Field{field("device_type", clickstream.String, null, ""), field("events", clickstream.Integer, null, "")}}},
		},
		{
			Name: SessionsPerObject, Dataset: clickstream.Warehouse, Key: clickstream.ColSourceObject,
			Fields: []clickstream.Field{field(clickstream.ColSourceObject, clickstream.String, req, "A source object."),
				count("sessions", "Distinct sessions (session_key) among the object's valid lines.")},
		},
	}
}

// ChangesSchema returns ChangesTable's definition.
func ChangesSchema() clickstream.Table {
	null := clickstream.Nullable
	return clickstream.Table{Name: ChangesTable, Dataset: clickstream.Lake, Keys: []string{clickstream.ColRunID, "user_id", clickstream.ColSourceObject},
		Fields: []clickstream.Field{
			field(clickstream.ColRunID, clickstream.String, clickstream.Required, "The run whose lake load changed the rows."),
			field("user_id", clickstream.String, clickstream.Required, "The user of the rows."),
			field(clickstream.ColSourceObject, clickstream.String, clickstream.Required, "Their source object."),
			field("first_event", clickstream.Timestamp, null, "The first of their events' timestamps; NULL without events."),
			field("last_event", clickstream.Timestamp, null, "The last of them."),
		}}
}

// Lookup returns a derived table or ChangesTable by name.
func Lookup(name string) (clickstream.Table, bool) {
	if name == ChangesTable {
		return ChangesSchema(), true
	}
	for _, t := range Tables() {
		if t.Name == name {
			return t, true
		}
	}
	return clickstream.Table{}, false
}
