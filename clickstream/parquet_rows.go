package clickstream

// The Parquet rows of the five tables. Their exported fields are the columns,
// in the order and with the names, types and modes of Tables() (a test holds
// them to it): REQUIRED columns are plain values, NULLABLE ones pointers
// (optional), REPEATED RECORDs slices with the LIST logical type, TIMESTAMPs
// int64 microseconds with TIMESTAMP(MICROS, isAdjustedToUTC=true).
//
// A pointer column points at the unexported field beside it in the same row,
// so filling a row allocates nothing. Rows are appended to slices that may
// grow; a copied row still points into the old array, which holds the same
// values and is not written again, so the pointers stay right.
//
// Columns with few distinct values are dictionary-encoded ("dict"; a column
// whose dictionary outgrows pqLimits.dictBytes in a row group goes on in
// PLAIN); the other strings are PLAIN ("plain"), not parquet-go's default
// DELTA_LENGTH_BYTE_ARRAY, which is a little smaller and faster to write
// but which not every reader decodes. With version 1 data pages, the files
// use only the encodings every reader knows: PLAIN, RLE and RLE_DICTIONARY.

type pqItem struct {
	Quantity    *int64   `parquet:"quantity,optional"`
	Price       *float64 `parquet:"price,optional"`
	Category    *string  `parquet:"category,optional,dict"`
	ProductName *string  `parquet:"product_name,optional,dict"`
	ProductID   *string  `parquet:"product_id,optional,dict"`

	quantity                         int64
	price                            float64
	category, productName, productID string
}

type pqDetails struct {
	PageURL     *string  `parquet:"page_url,optional,dict"`
	ReferrerURL *string  `parquet:"referrer_url,optional,dict"`
	ProductID   *string  `parquet:"product_id,optional,dict"`
	ProductName *string  `parquet:"product_name,optional,dict"`
	Category    *string  `parquet:"category,optional,dict"`
	Price       *float64 `parquet:"price,optional"`
	Quantity    *int64   `parquet:"quantity,optional"`
	OrderID     *string  `parquet:"order_id,optional,plain"`
	Amount      *float64 `parquet:"amount,optional"`
	Currency    *string  `parquet:"currency,optional,dict"`
	// Items is nil when the event had no items, empty when it had [].
	Items []pqItem `parquet:"items,optional,list"`

	str           [nDetailStrings]string
	price, amount float64
	quantity      int64
}

type pqEvent struct {
	EventType *string    `parquet:"event_type,optional,dict"`
	Timestamp *int64     `parquet:"timestamp,optional,timestamp(microsecond:utc)"`
	Details   *pqDetails `parquet:"details,optional"`

	typ     string
	ts      int64
	details pqDetails
}

type pqVisitEvent struct {
	Event   *pqEvent `parquet:"event,optional"`
	EventID *string  `parquet:"event_id,optional,plain"`

	event   pqEvent
	eventID string
}

type pqVisit struct {
	SessionID    string         `parquet:"session_id,plain"`
	UserID       string         `parquet:"user_id,plain"`
	DeviceType   string         `parquet:"device_type,dict"`
	Geolocation  *string        `parquet:"geolocation,optional,dict"`
	UserAgent    *string        `parquet:"user_agent,optional,dict"`
	Events       []pqVisitEvent `parquet:"events,list"`
	SessionKey   string         `parquet:"session_key,plain"`
	SourceObject string         `parquet:"source_object,dict"`
	SourceLine   int64          `parquet:"source_line"`
	RunID        string         `parquet:"run_id,dict"`

	geo, agent string
}

type pqSession struct {
	SessionKey   string  `parquet:"session_key,plain"`
	SessionID    string  `parquet:"session_id,plain"`
	UserID       string  `parquet:"user_id,plain"`
	UserAgent    *string `parquet:"user_agent,optional,dict"`
	Geolocation  *string `parquet:"geolocation,optional,dict"`
	DeviceType   string  `parquet:"device_type,dict"`
	SourceObject string  `parquet:"source_object,dict"`
	SourceLine   int64   `parquet:"source_line"`
	RunID        string  `parquet:"run_id,dict"`

	agent, geo string
}

type pqPageview struct {
	SessionKey   string  `parquet:"session_key,plain"`
	Timestamp    int64   `parquet:"timestamp,timestamp(microsecond:utc)"`
	PageURL      string  `parquet:"page_url,dict"`
	ReferrerURL  *string `parquet:"referrer_url,optional,dict"`
	EventID      string  `parquet:"event_id,plain"`
	SourceObject string  `parquet:"source_object,dict"`
	SourceLine   int64   `parquet:"source_line"`
	RunID        string  `parquet:"run_id,dict"`

	referrer string
}

type pqAddtocart struct {
	SessionKey   string  `parquet:"session_key,plain"`
	Timestamp    int64   `parquet:"timestamp,timestamp(microsecond:utc)"`
	ProductID    string  `parquet:"product_id,dict"`
	ProductName  *string `parquet:"product_name,optional,dict"`
	Category     *string `parquet:"category,optional,dict"`
	Quantity     int64   `parquet:"quantity"`
	Price        float64 `parquet:"price"`
	EventID      string  `parquet:"event_id,plain"`
	SourceObject string  `parquet:"source_object,dict"`
	SourceLine   int64   `parquet:"source_line"`
	RunID        string  `parquet:"run_id,dict"`

	productName, category string
}

type pqPurchase struct {
	SessionKey   string   `parquet:"session_key,plain"`
	Timestamp    int64    `parquet:"timestamp,timestamp(microsecond:utc)"`
	OrderID      string   `parquet:"order_id,plain"`
	Currency     *string  `parquet:"currency,optional,dict"`
	Amount       float64  `parquet:"amount"`
	Items        []pqItem `parquet:"items,list"`
	EventID      string   `parquet:"event_id,plain"`
	SourceObject string   `parquet:"source_object,dict"`
	SourceLine   int64    `parquet:"source_line"`
	RunID        string   `parquet:"run_id,dict"`

	currency string
}
