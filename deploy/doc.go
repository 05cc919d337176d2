// Package deploy holds what docker-compose.yml runs beside the worker, as
// files the services mount: Prometheus's configuration and alert rules
// (prometheus/), Grafana's datasource, dashboard provider and dashboards
// (grafana/), and the scripts that set up Temporal's schemas and namespace
// (temporal/).
//
// Its Go code reads the alert rules and the dashboards and says which
// metrics their queries use (Queries), so that tests can hold them to what
// a worker exports: this package's tests check the files' form, e2e's
// TestAlertAndDashboardMetrics scrapes a real worker for every name.
package deploy
