package clickstream

// ga4EventsTable is the lake table of GA4 input (SPEC.md, "Input: GA4
// BigQuery export"): one row per valid GA4 line, every copy kept and keyed
// by its lineage, as visits is.
func ga4EventsTable() Table {
	str := func(name string, mode Mode, desc string) Field {
		return Field{Name: name, Type: String, Mode: mode, Description: desc}
	}
	return Table{
		Name: GA4EventsTable, Dataset: Lake,
		Fields: append([]Field{
			{Name: "event_timestamp", Type: Timestamp, Mode: Required, Description: "When the event happened (GA4's event_timestamp, microseconds since the epoch), UTC."},
			{Name: "event_date", Type: Date, Mode: Nullable, Description: "GA4's event_date (YYYYMMDD in the property's time zone), as a DATE."},
			str("event_name", Required, "GA4's event name: page_view, add_to_cart, purchase, session_start, ..."),
			str("user_pseudo_id", Required, "GA4's pseudonymous id of the browser or app instance: the star schema's user_id."),
			str("user_id", Nullable, "GA4's user_id, set by the site for signed-in users."),
			{Name: "session_key", Type: String, Mode: Nullable, Description: "The session_key of the event's star-schema session: SHA-256 of ga_session_id:user_pseudo_id:device.category; null without a device.category."},
			{Name: "ga_session_id", Type: Integer, Mode: Required, Description: "The ga_session_id param: the star schema's session_id."},
			str("device_category", Nullable, "device.category: desktop, mobile, tablet, ..."),
			str("country", Nullable, "geo.country."),
			str("platform", Nullable, "WEB, ANDROID or IOS."),
			{Name: "params", Type: JSON, Mode: Required, Description: "event_params as an object: each key with the value of whichever of string_value, int_value, float_value, double_value is set (null when none is)."},
			{Name: "user_properties", Type: JSON, Mode: Required, Description: "user_properties as an object, like params; {} when there are none."},
			{Name: "ecommerce", Type: JSON, Mode: Nullable, Description: "ecommerce as exported (transaction_id, purchase_revenue, ...); null when absent."},
			{Name: "items", Type: JSON, Mode: Nullable, Description: "items as exported (item_id, item_name, price, quantity, ...); null when absent."},
			{Name: "event_id", Type: String, Mode: Required, Description: "Lowercase hex SHA-256 of the whole event in canonical form (see clickstream's package documentation): exact duplicates get equal ids."},
		}, lineage()...),
		Partitioning: &TimePartitioning{Type: "MONTH", Field: "event_timestamp"},
		Clustering:   []string{"event_name", "user_pseudo_id"},
	}
}
