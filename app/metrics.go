package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	prom "github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/uber-go/tally/v4"
	tallyprom "github.com/uber-go/tally/v4/prometheus"
	"go.temporal.io/sdk/client"
	sdktally "go.temporal.io/sdk/contrib/tally"

	"github.com/clickstream-platform/clickstream/config"
)

// metricsReportInterval is how often counters and gauges reach /metrics:
// tally buffers them in between.
const metricsReportInterval = time.Second

// Metrics serves a worker process's metrics to Prometheus at /metrics: the
// Temporal SDK's (temporal_*) and the pipeline's (clickstream_*, emitted by
// the activities through activity.GetMetricsHandler), all through the one
// client.MetricsHandler that the Temporal client is given. Counters get the
// suffix _total and timers, histograms in seconds, _seconds.
//
// A nil *Metrics (metrics.address off) serves nothing; its methods do nothing.
type Metrics struct {
	handler client.MetricsHandler
	scope   io.Closer
	srv     *http.Server
	addr    net.Addr
	served  chan struct{}
}

// ServeMetrics starts serving metrics at address, the value of
// metrics.address: host:port, host:0 for a free port (URL says which), or
// config.MetricsOff, for which it returns nil. An error says why the
// address cannot be listened on. logger receives the reporter's errors,
// such as a metric emitted with another tag set than before (Prometheus
// wants one per name), which is then dropped.
func ServeMetrics(address string, logger *slog.Logger) (*Metrics, error) {
	if address == config.MetricsOff {
		return nil, nil
	}
	ln, err := net.Listen("tcp", address)
	if err != nil {
		return nil, fmt.Errorf("serving metrics at %s (metrics.address): %w", address, err)
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	registry := prom.NewRegistry()
	// The process's memory, CPU and file descriptors (process_*) and the Go
	// runtime's heap (go_*): a worker's resident memory is its Go heap plus
	// what DuckDB allocates, and the difference of the two tells which grew.
	registry.MustRegister(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), collectors.NewGoCollector())
	reporter := tallyprom.NewReporter(tallyprom.Options{
		Registerer:              registry,
		DefaultTimerType:        tallyprom.HistogramTimerType,
		DefaultHistogramBuckets: histogramBuckets,
		OnRegisterError: func(err error) {
			logger.Warn("metric dropped", "error", err)
		},
	})
	scope, closer := tally.NewRootScope(tally.ScopeOptions{
		CachedReporter:  reporter,
		Separator:       tallyprom.DefaultSeparator,
		SanitizeOptions: &sdktally.PrometheusSanitizeOptions,
	}, metricsReportInterval)
	mux := http.NewServeMux()
	mux.Handle("/metrics", reporter.HTTPHandler())
	m := &Metrics{
		handler: sdktally.NewMetricsHandler(sdktally.NewPrometheusNamingScope(scope)),
		scope:   closer,
		srv:     &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)},
		addr:    ln.Addr(),
		served:  make(chan struct{}),
	}
	go func() {
		defer close(m.served)
		m.srv.Serve(ln) // returns http.ErrServerClosed once Close is called
	}()
	return m, nil
}

// histogramBuckets are the upper bounds, in seconds, of every timer's
// histogram: tally's defaults (1 ms to 10 s) and longer ones for transforms
// and loads, which take minutes.
var histogramBuckets = append(tallyprom.DefaultHistogramBuckets(), 30, 60, 120, 300, 600, 1800, 3600)

// Handler is the client.MetricsHandler to give the Temporal client (see
// Dial); nil, the SDK's no-op default, when m is nil.
func (m *Metrics) Handler() client.MetricsHandler {
	if m == nil {
		return nil
	}
	return m.handler
}

// URL is where the metrics are served, with the port actually bound, or
// config.MetricsOff when m is nil.
func (m *Metrics) URL() string {
	if m == nil {
		return config.MetricsOff
	}
	return "http://" + m.addr.String() + "/metrics"
}

// Close stops serving and the reporting. Call it after the worker and the
// client are closed.
func (m *Metrics) Close() error {
	if m == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := m.srv.Shutdown(ctx)
	<-m.served
	return errors.Join(err, m.scope.Close())
}
