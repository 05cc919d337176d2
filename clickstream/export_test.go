package clickstream

// NewTransformerSmallParquetBatches is NewTransformer with the Parquet
// writer's limits made tiny, so that small inputs go through many batches
// (reusing the string arena), many row groups, and dictionaries that fall
// back to plain encoding.
func NewTransformerSmallParquetBatches(opts Options) (*Transformer, error) {
	t, err := NewTransformer(opts)
	if err != nil || t.pq == nil {
		return t, err
	}
	t.pq, err = newPQWriter(t.w, opts.ParquetCompression,
		pqLimits{batchRows: 7, batchBytes: 2 << 10, rowGroupBytes: 16 << 10, dictBytes: 512})
	return t, err
}
