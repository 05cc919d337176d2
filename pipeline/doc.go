// Package pipeline holds what describes one run of the pipeline wherever it
// travels: its Settings (what the run reads, how it loads, how it batches)
// and its Tally (what it read and counted). The workflows carry both in
// their inputs, checkpoints and results, the activities fill and check
// them, and the warehouse's audit table records them; each embeds these
// types rather than declaring the fields again. Plain Go: no Temporal, no
// I/O.
package pipeline
