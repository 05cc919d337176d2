package config

import (
	"strings"
)

// Key documents one configuration key.
type Key struct {
	Name    string // dotted path, as in the YAML file: "transform.max_line_bytes"
	Default string // the default, as it would be written in the file
	Env     string // the environment variable that sets it
	Doc     string // what it means
}

// keys is the one declaration of every configuration key: its name, default
// and meaning. Config must have a field for each (keys_test.go checks).
var keys = []Key{
	{
		Name:    "source.uri",
		Default: "data/source",
		Doc:     "Where input JSONL objects are read from, at any depth: a local folder, gs://bucket/prefix, bq://project.dataset.table[?from=YYYY-MM-DD&to=YYYY-MM-DD] to rebuild from a lake visits table (sessions with an event in the date range), or bq://project.dataset.events_*[?from=YYYY-MM-DD&to=YYYY-MM-DD&limit=N&intraday=true] for a GA4 property's export (with source.format ga4).",
	},
	{
		Name:    "source.format",
		Default: "sessions",
		Doc:     "Shape of the source's lines: sessions (one session with its events a line) or ga4 (one event of Google Analytics 4's BigQuery export a line, mapped into the same tables plus the lake's ga4_events). A run may set its own (format in its input, starter run --format); a run reads one format throughout.",
	},
	{
		Name:    "staging.uri",
		Default: "data/staging",
		Doc:     "Where staged per-table files, manifests and run summaries are written: a local folder or gs://bucket/prefix (gs:// is required with BigQuery, whose load jobs read from it).",
	},
	{
		Name:    "deadletter.uri",
		Default: "data/deadletter",
		Doc:     "Where rejected lines and events are written, one folder per run: a local folder or gs://bucket/prefix.",
	},
	{
		Name:    "warehouse.kind",
		Default: "duckdb",
		Doc:     "The warehouse: duckdb (embedded, a local file) or bigquery.",
	},
	{
		Name:    "warehouse.bigquery.project",
		Default: "",
		Doc:     "With bigquery: the Google Cloud project of the datasets and jobs (credentials: Application Default Credentials).",
	},
	{
		Name:    "warehouse.bigquery.location",
		Default: "US",
		Doc:     "With bigquery: the location datasets are created in and jobs run in.",
	},
	{
		Name:    "warehouse.bigquery.max_bytes_billed",
		Default: "1TiB",
		Doc:     "With bigquery: the most bytes one query job may bill (its maximumBytesBilled; BigQuery refuses a job above it before it runs, uncharged, and the load fails with a ConfigError naming this key). 1TiB bounds a runaway statement to about one TiB of on-demand scanning while leaving room for a replace's DELETE of a lake of up to that size; 0 sets no limit (the project's own, if any). At least 10MiB, BigQuery's smallest bill.",
	},
	{
		Name:    "warehouse.duckdb.path",
		Default: "data/warehouse.duckdb",
		Doc:     "The DuckDB database file of the embedded warehouse.",
	},
	{
		Name:    "warehouse.duckdb.memory_limit",
		Default: "",
		Doc:     "Memory DuckDB may use in the worker (DuckDB's spelling, e.g. 256MB); loads beyond it spill to disk. Empty: DuckDB's default, 80% of the machine's memory.",
	},
	{
		Name:    "warehouse.lake_dataset",
		Default: "clickstream_lake",
		Doc:     "Dataset (DuckDB schema) of the raw visits table.",
	},
	{
		Name:    "warehouse.dw_dataset",
		Default: "clickstream_dw",
		Doc:     "Dataset (DuckDB schema) of sessions and the event tables.",
	},
	{
		Name:    "temporal.address",
		Default: "127.0.0.1:7233",
		Doc:     "host:port of the Temporal frontend.",
	},
	{
		Name:    "temporal.namespace",
		Default: "default",
		Doc:     "Temporal namespace of the workflows.",
	},
	{
		Name:    "temporal.task_queue",
		Default: "clickstream",
		Doc:     "Task queue the worker polls and runs are started on.",
	},
	{
		Name:    "temporal.tls.ca_file",
		Default: "",
		Doc:     "PEM file of the CA that signed the Temporal frontend's certificate; setting any temporal.tls key turns TLS on. Empty: the system roots.",
	},
	{
		Name:    "temporal.tls.cert_file",
		Default: "",
		Doc:     "PEM client certificate for mutual TLS (with temporal.tls.key_file).",
	},
	{
		Name:    "temporal.tls.key_file",
		Default: "",
		Doc:     "PEM private key of temporal.tls.cert_file.",
	},
	{
		Name:    "temporal.tls.server_name",
		Default: "",
		Doc:     "Name the frontend's certificate must carry, when it differs from temporal.address's host.",
	},
	{
		Name:    "temporal.api_key",
		Default: "",
		Doc:     "API key sent to the Temporal frontend (Temporal Cloud); implies TLS. Set it with CLICKSTREAM_TEMPORAL_API_KEY rather than in a file; it is never printed or logged.",
	},
	{
		Name:    "temporal.dev_db_file",
		Default: "data/temporal.db",
		Doc:     "With --dev: the file the embedded Temporal dev server persists to.",
	},
	{
		Name:    "temporal.dev_ui_port",
		Default: "8233",
		Doc:     "With --dev: port of the embedded server's Web UI on 127.0.0.1.",
	},
	{
		Name:    "pipeline.mode",
		Default: "replace",
		Doc:     "Default load mode of a run: replace (the rows of the run's slice, its source or the dt= folders of its days, become exactly what it read; other slices' rows stay) or merge (what it read is added; an object rewritten since it was loaded replaces its rows). E.g. a replace of --from 2024-01-30 replaces that day and nothing else. Emptying every table is starter recreate alone.",
	},
	{
		Name:    "pipeline.batch_objects",
		Default: "256",
		Doc:     "Most input objects in one batch (one child workflow, one transform activity). A batch's parts read on from one object into the next, so many small objects cost a batch's orchestration and staged files, not an object's: 2,000 objects of 10 sessions transformed in 0.96 s as 2 batches of 1,000 and 3.42 s as 32 of 64 (go run ./bench --objects 2000 --sessions-per-object 10). 256 keeps a batch's checkpoint, which lists its objects, near 100 kB.",
	},
	{
		Name:    "pipeline.batch_bytes",
		Default: "64MiB",
		Doc:     "Most input bytes in one batch; a larger plain object is cut into line-aligned ranges of about this size that batches transform side by side (a gzip object is read whole, a batch of its own). 64MiB is about a quarter second of transform: enough to keep a batch's orchestration (some 60 ms) small, small enough that 200 MB of input keeps two cores busy (measured by go run ./bench: transform 1.9 s at 256MiB, 1.2 s at 64MiB).",
	},
	{
		Name:    "pipeline.window",
		Default: "4",
		Doc:     "Most batches transformed at once (child workflows in flight).",
	},
	{
		Name:    "pipeline.staging_format",
		Default: "parquet",
		Doc:     "File format of the staged rows between transform and load: parquet (snappy; a fifth of the NDJSON's bytes, loaded without parsing JSON: go run ./bench, 200 MB, 3.8 s a run against 5.9 s) or ndjson (readable with any text tool, and faster to load as thousands of tiny files: 10,000 objects a run loaded in 7.4 s against 19.5 s). The dead letter is always NDJSON. A run may set its own (staging_format in its input).",
	},
	{
		Name:    "pipeline.page_size",
		Default: "1000",
		Doc:     "Objects listed per page of the source (one extract activity).",
	},
	{
		Name:    "pipeline.pages_per_run",
		Default: "20",
		Doc:     "Pages a workflow run handles before it continues as new, keeping its history short.",
	},
	{
		Name:    "transform.part_bytes",
		Default: "64MiB",
		Doc:     "Input bytes between two checkpoints of a transform: a retried transform resumes from the last one.",
	},
	{
		Name:    "transform.max_line_bytes",
		Default: "16MiB",
		Doc:     "Longest input line read; a longer line is dead-lettered with its first bytes. Between 1KiB and 1GiB. With warehouse.kind bigquery, lines over 32MiB are dead-lettered too, the reason saying so: BigQuery loads rows of a bounded size (see On Google Cloud).",
	},
	{
		Name:    "quality.max_rejected_lines",
		Default: "0.10",
		Doc:     "Largest share of a run's non-blank lines it may reject (0 to 1). Checked after the transform, before any load: a run above it fails (QualityError) with every table unchanged, naming the figure and the most frequent reasons. A run may set its own (max_rejected_lines in its input; starter run --max-rejected-lines).",
	},
	{
		Name:    "quality.max_rejected_events",
		Default: "0.10",
		Doc:     "Largest share of the events of valid sessions a run may reject (0 to 1), checked as quality.max_rejected_lines is. A run may set its own (max_rejected_events; starter run --max-rejected-events).",
	},
	{
		Name:    "quality.allow_empty_days",
		Default: "false",
		Doc:     "Whether a scheduled run or a backfill day whose day holds no input succeeds. By default it fails with \"no input for <day>\": upstream late is an alert, not a success.",
	},
	{
		Name:    "quality.min_volume_ratio",
		Default: "0.2",
		Doc:     "A run whose valid lines fall below this share of the median of the last 7 successful runs of the same source (and as many days) warns: in its result, its log, the metric clickstream_run_warnings_total{kind=\"low_volume\"} and the alert webhook. 0 turns the check off.",
	},
	{
		Name:    "quality.fail_on_low_volume",
		Default: "false",
		Doc:     "Whether a run below quality.min_volume_ratio fails (QualityError, before any load) instead of warning.",
	},
	{
		Name:    "models.session_gap",
		Default: "30m",
		Doc:     "Inactivity that ends a user session (clickstream_dw.user_sessions): an event this long or longer after the user's previous one starts a new one. Between 1s and 24h. Runs rebuild only what they changed, with the gap they are given: after changing it, rebuild every derived table (starter models rebuild).",
	},
	{
		Name:    "alerts.webhook_url",
		Default: "",
		Doc:     "URL that receives a JSON POST within seconds of a run failing or warning (run, workflow, status, error, counts, a link to the run in the Temporal UI, and a text field a Slack incoming webhook shows as is); retried with backoff, never failing the run. A secret: set it with CLICKSTREAM_ALERTS_WEBHOOK_URL; it is never printed, logged or put in a workflow's history. Empty: no alerts.",
	},
	{
		Name:    "alerts.temporal_ui_url",
		Default: "http://127.0.0.1:8233",
		Doc:     "Address of the Temporal Web UI, for the links in alerts.",
	},
	{
		Name:    "metrics.address",
		Default: "127.0.0.1:9464",
		Doc:     "host:port a worker serves its Prometheus metrics on, at /metrics: host:0 picks a free port (the worker logs which), :9464 listens on every interface, off serves none. A worker fails to start when the port is taken; starter run --dev warns and goes on without.",
	},
	{
		Name:    "log.level",
		Default: "info",
		Doc:     "Least severe worker log records written: debug, info, warn or error.",
	},
	{
		Name:    "log.format",
		Default: "text",
		Doc:     "Worker log format, on standard error: text (key=value pairs) or json (one object a line).",
	},
}

// envPrefix starts the name of every environment variable that sets a key.
const envPrefix = "CLICKSTREAM_"

// Keys returns every configuration key, in the table's order.
func Keys() []Key {
	out := make([]Key, len(keys))
	for i, k := range keys {
		k.Env = envName(k.Name)
		out[i] = k
	}
	return out
}

// envName is CLICKSTREAM_ + the key upper-cased with "." replaced by "_".
func envName(key string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

// Markdown renders Keys as a Markdown table: key | env | default | meaning.
func Markdown() string {
	var b strings.Builder
	b.WriteString("| key | env | default | meaning |\n")
	b.WriteString("| --- | --- | --- | --- |\n")
	for _, k := range Keys() {
		b.WriteString("| `" + k.Name + "` | `" + k.Env + "` | `" + k.Default + "` | " +
			strings.ReplaceAll(k.Doc, "|", `\|`) + " |\n")
	}
	return b.String()
}

// isKey reports whether name is a declared key.
func isKey(name string) bool {
	for _, k := range keys {
		if k.Name == name {
			return true
		}
	}
	return false
}

// sectionKeys returns the keys under section ("source" → ["source.uri"]);
// none when section is not a section.
func sectionKeys(section string) []string {
	var out []string
	for _, k := range keys {
		if strings.HasPrefix(k.Name, section+".") {
			out = append(out, k.Name)
		}
	}
	return out
}

// closestKey suggests the declared key that name was probably meant to be,
// or "" when none is close.
func closestKey(name string) string {
	best, bestDist := "", 4 // suggest only within 3 edits
	for _, k := range keys {
		if d := editDistance(name, k.Name); d < bestDist {
			best, bestDist = k.Name, d
		}
	}
	if best != "" {
		return best
	}
	// The right leaf under the wrong section: "max_line_bytes" → "transform.max_line_bytes".
	leaf := name[strings.LastIndex(name, ".")+1:]
	var match []string
	for _, k := range keys {
		if strings.HasSuffix(k.Name, "."+leaf) {
			match = append(match, k.Name)
		}
	}
	if len(match) == 1 {
		return match[0]
	}
	return ""
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
