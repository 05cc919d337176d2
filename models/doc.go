// Package models defines what the platform derives from the warehouse
// tables, once for both warehouses: user sessions cut by inactivity and the
// daily reports (SPEC.md, "Derived sessions" and "Reports"). Each model is a
// table definition (clickstream.Table, from which each warehouse derives its
// DDL) and SQL written once, with the few spellings that differ between
// DuckDB and BigQuery left to a Dialect.
//
// The models are rebuilt for what a run changed: the lake's load records,
// per user and per source object, the events of the rows it removed or
// added (ChangesTable); the models step then rebuilds, per user, the span of
// the change widened by the session gap on each side and then to the whole
// user sessions it overlaps (a new event can join two user sessions, one
// removed can split one), and the reports of the days, users and objects
// touched. After any sequence of runs each model equals a rebuild from
// scratch, which Rebuild does.
//
// Plain Go: it renders SQL, and runs none.
package models
