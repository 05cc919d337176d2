package duckdb_test

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/clickstream-platform/clickstream/clickstream"
	"github.com/clickstream-platform/clickstream/warehouse"
	"github.com/clickstream-platform/clickstream/warehouse/duckdb"
	"github.com/clickstream-platform/clickstream/warehouse/warehousetest"
)

const holdEnv = "WAREHOUSE_TEST_HOLD_FILE"

// TestHelperHoldFile is not a test: run by TestOtherProcess as a second
// process, it opens the file named by $WAREHOUSE_TEST_HOLD_FILE for writing,
// says "ready" and holds the file until its stdin closes.
func TestHelperHoldFile(t *testing.T) {
	path := os.Getenv(holdEnv)
	if path == "" {
		t.Skip("run by TestOtherProcess")
	}
	db, err := sql.Open("duckdb", path)
	if err == nil {
		_, err = db.Exec("SELECT count(*) FROM clickstream_dw.sessions")
	}
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("ready")
	io.Copy(io.Discard, os.Stdin)
	db.Close()
}

// TestOtherProcess checks that the file is free between operations, so that
// another process can open it, and that an operation waits for it, then
// fails with ErrLocked.
func TestOtherProcess(t *testing.T) {
	d := openTemp(t)
	ctx := context.Background()
	if err := d.EnsureTables(ctx); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperHoldFile$")
	cmd.Env = append(os.Environ(), holdEnv+"="+d.Path())
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer stdin.Close()
	sc := bufio.NewScanner(stdout)
	if !sc.Scan() || sc.Text() != "ready" {
		t.Fatalf("the other process could not open the file: %q", sc.Text())
	}
	go io.Copy(io.Discard, stdout)

	short, err := duckdb.Open(duckdb.Options{Path: d.Path(), LockWait: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer short.Close()
	start := time.Now()
	_, err = short.Load(ctx, warehouse.LoadRequest{Table: clickstream.SessionsTable, Mode: warehouse.Merge, Slice: warehousetest.SliceFor(warehouse.Merge)})
	if !errors.Is(err, warehouse.ErrLocked) || !strings.HasPrefix(err.Error(), "loading clickstream_dw.sessions: opening ") {
		t.Fatalf("Load while another process holds the file: %v, want ErrLocked", err)
	}
	if waited := time.Since(start); waited < 200*time.Millisecond {
		t.Errorf("gave up after %v, want about 300ms", waited)
	}
	t.Log(err)

	// d waits (up to 10s) for the file: release it.
	done := make(chan error, 1)
	go func() {
		_, err := d.Counts(ctx)
		done <- err
	}()
	stdin.Close()
	if err := <-done; err != nil {
		t.Errorf("Counts after the other process let go: %v", err)
	}
}
