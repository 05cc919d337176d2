package duckdb_test

import (
	"context"
	"errors"
	"testing"

	"github.com/clickstream-platform/clickstream/warehouse"
	"github.com/clickstream-platform/clickstream/warehouse/warehousetest"
)

// keeper is a LoadRequest.KeepBefore that keeps the first count it is given
// and returns it ever after, as the Load activity does across attempts.
type keeper struct {
	kept  *int64
	seen  []int64
	fails error
}

func (k *keeper) keep(_ context.Context, before int64) (int64, error) {
	k.seen = append(k.seen, before)
	if k.fails != nil {
		return 0, k.fails
	}
	if k.kept == nil {
		k.kept = &before
	}
	return *k.kept, nil
}

// A load repeated after it committed reports the change since the count
// KeepBefore kept, in both modes; a KeepBefore that fails fails the load
// before anything is written.
func TestDuckDBLoadKeepBefore(t *testing.T) {
	s := warehousetest.StageSample(t, t.TempDir(), sample, "run-1")
	d := openTemp(t)
	ctx := context.Background()
	first := func(table string) []string { return s.Half(table, true) }
	all := func(table string) []string { return s.Files[table] }
	loadAll(t, d, warehouse.Replace, first)
	had := counts(t, d)
	table := "sessions"

	for _, mode := range []warehouse.Mode{warehouse.Merge, warehouse.Replace} {
		t.Run(string(mode), func(t *testing.T) {
			loadAll(t, d, warehouse.Replace, first) // the tables as they were
			k := &keeper{}
			req := warehouse.LoadRequest{Table: table, Files: all(table), Mode: mode, Slice: warehousetest.SliceFor(mode), RunID: "run-2", KeepBefore: k.keep}
			once, err := d.Load(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			again, err := d.Load(ctx, req) // the retry of a load that committed
			if err != nil {
				t.Fatal(err)
			}
			if want := []int64{had[table], once.After}; len(k.seen) != 2 || k.seen[0] != want[0] || k.seen[1] != want[1] {
				t.Errorf("KeepBefore saw %v, want %v", k.seen, want)
			}
			if once.Before != had[table] || once.Added != once.After-had[table] {
				t.Errorf("first load %+v, want Before %d", once, had[table])
			}
			if again != once {
				t.Errorf("the repeated load reports %+v, the first %+v", again, once)
			}
		})
	}

	t.Run("fails", func(t *testing.T) {
		loadAll(t, d, warehouse.Replace, first)
		fail := errors.New("staging unreachable")
		k := &keeper{fails: fail}
		_, err := d.Load(ctx, warehouse.LoadRequest{Table: table, Files: all(table), Mode: warehouse.Replace, Slice: warehousetest.SliceFor(warehouse.Replace), RunID: "run-3", KeepBefore: k.keep})
		if !errors.Is(err, fail) {
			t.Fatalf("err = %v, want the KeepBefore's", err)
		}
		if got := counts(t, d); got[table] != had[table] {
			t.Errorf("%s has %d rows after the failed load, want the %d it had", table, got[table], had[table])
		}
	})
}
