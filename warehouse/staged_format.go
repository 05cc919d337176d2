package warehouse

import (
	"cmp"
	"fmt"
	"strings"
)

// stagedFormat is the format of a load's staged files.
type stagedFormat string

const (
	formatNDJSON  stagedFormat = "NDJSON"
	formatParquet stagedFormat = "Parquet"
)

// parquetExt ends the name of every staged Parquet file.
const parquetExt = ".parquet"

// formatOf tells the format of a load's staged files by their names:
// Parquet if every name ends in .parquet, NDJSON if none does (and with no
// files). A load of both is an error wrapping ErrSchema that names a file of
// each: retrying cannot mend it.
func formatOf(files []string) (stagedFormat, error) {
	var pq, nd string
	for _, f := range files {
		if strings.HasSuffix(f, parquetExt) {
			pq = cmp.Or(pq, f)
		} else {
			nd = cmp.Or(nd, f)
		}
	}
	switch {
	case pq != "" && nd != "":
		return "", fmt.Errorf("%w: the staged files mix Parquet (%s) and NDJSON (%s): one load reads one format",
			ErrSchema, pq, nd)
	case pq != "":
		return formatParquet, nil
	}
	return formatNDJSON, nil
}
