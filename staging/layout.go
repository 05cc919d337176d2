package staging

import (
	"fmt"
	"path"

	"github.com/clickstream-platform/clickstream/blob"
	"github.com/clickstream-platform/clickstream/clickstream"
)

// DeadLetterExt ends the name of every dead-letter file: the dead letter is
// NDJSON whatever the staged rows' format.
const DeadLetterExt = ".ndjson"

// RunFolder is the full name of run runID's folder in the store whose URI is
// root (the staging or the dead-letter store).
func RunFolder(root, runID string) string { return blob.Join(root, runID) }

// ManifestName is where a batch's manifest is kept in the staging store.
func ManifestName(runID, batchID string) string {
	return path.Join(runID, "manifests", batchID+".json")
}

// PartID names part part of the object at index object of a batch.
func PartID(batchID string, object, part int) string {
	return fmt.Sprintf("%s-%05d-%05d", batchID, object, part)
}

// PartName is where a part's staged rows of table are kept in the staging
// store.
func PartName(runID, table, partID string, format clickstream.Format) string {
	return path.Join(runID, table, partID+format.Ext())
}

// DeadLetterName is where a part's rejects are kept in the dead-letter store.
func DeadLetterName(runID, partID string) string {
	return path.Join(runID, partID+DeadLetterExt)
}

// LoadRecordName is where a run keeps, in the staging store, the row count a
// table had when the run's load of it first reached its write.
func LoadRecordName(runID, table string) string {
	return path.Join(runID, "loads", table+".json")
}

// SummaryName is where a run's summary is kept in the staging store.
func SummaryName(runID string) string { return path.Join(runID, "summary.json") }

// ExportFolder is the full name of the folder, in the staging store whose URI
// is root, that a run exports a bq:// source into before reading it: each
// attempt of the export writes into a<attempt>/ within it.
func ExportFolder(root, runID string) string { return blob.Join(root, path.Join(runID, "export")) }
