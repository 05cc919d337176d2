// Package workflows orchestrates the pipeline deterministically; all I/O is
// in activities.
//
// The workflow type names and the task queue are a public interface: runs are
// started by name from the starter, the Temporal UI and schedules.
//
//   - PipelineWorkflow: plan the run, list the source a page at a time,
//     transform batches of objects in a bounded window of BatchWorkflow
//     children, continue as new before the history grows large, then load
//     each table once, build the derived tables (user sessions and reports)
//     for what the run changed, and reconcile the counts.
//   - BatchWorkflow: the transform activity over one batch of objects.
//   - RecreateTablesWorkflow: drop and create the tables.
//   - RebuildModelsWorkflow: build every derived table again.
//
// The rules of deterministic code apply to everything here, and
// workflowcheck enforces them:
//
//   - No I/O, no time.Now, no math/rand, no goroutines, no native channels or
//     select: use workflow.Now, workflow.Go, workflow.Selector, activities.
//   - Never range over a map where the order matters; sort the keys.
//   - No reading of configuration or environment: the worker's defaults reach
//     a run through the Plan activity, recorded in history.
//   - Inputs and results are structs of references and counters, never rows,
//     so payloads and history stay small.
//   - A change to the order or kind of commands breaks running workflows: the
//     replay tests against checked-in histories catch it.
package workflows
