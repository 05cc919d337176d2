package warehouse

import (
	"cmp"
	"fmt"
	"strings"

	"github.com/clickstream-platform/clickstream/clickstream"
)

// FormatOf tells the format of a load's staged files by their names:
// clickstream.Parquet if every name ends in .parquet, clickstream.NDJSON if
// none does (and with no files). A load of both is an error wrapping
// ErrSchema that names a file of each: retrying cannot mend it.
func FormatOf(files []string) (clickstream.Format, error) {
	var pq, nd string
	for _, f := range files {
		if strings.HasSuffix(f, clickstream.Parquet.Ext()) {
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
		return clickstream.Parquet, nil
	}
	return clickstream.NDJSON, nil
}
