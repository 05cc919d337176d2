package devserver

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"
)

// Options configures Start. Every field but DBFile is optional: its zero
// value means its default.
type Options struct {
	// Address is the host:port the server's gRPC frontend listens on.
	// Optional: default "127.0.0.1:7233".
	Address string
	// UIPort is the port of the Web UI, on the host of Address; -1 disables
	// the UI.
	// Optional: default the gRPC port + 1000, 8233 for the default Address.
	UIPort int
	// DBFile is the SQLite file the server persists to; its parent folders
	// are created. Required, e.g. "data/temporal.db".
	DBFile string
	// Namespace is registered at start if it does not exist yet.
	// Optional: default "default".
	Namespace string
	// Log is where the user is told what happens: building the CLI,
	// starting, ready, stopping.
	// Optional: default io.Discard.
	Log io.Writer
	// ServerLog receives the server's own stdout and stderr.
	// Optional: default the file temporal-server.log beside DBFile,
	// truncated at each start.
	ServerLog io.Writer
	// Binary is the path of the temporal CLI to run.
	// Optional: default the one Binary returns (which may build it).
	Binary string
	// StartTimeout bounds how long Start waits for the server to answer.
	// Optional: default 60s.
	StartTimeout time.Duration
}

const (
	defaultAddress      = "127.0.0.1:7233"
	defaultNamespace    = "default"
	defaultStartTimeout = 60 * time.Second
	serverLogName       = "temporal-server.log"
)

// config is Options with the defaults applied and Address taken apart.
type config struct {
	Options
	host   string
	port   int
	uiPort int // -1: no UI
}

func (o Options) config() (config, error) {
	if o.DBFile == "" {
		return config{}, errors.New("devserver: Options.DBFile is required")
	}
	if o.Address == "" {
		o.Address = defaultAddress
	}
	if o.Namespace == "" {
		o.Namespace = defaultNamespace
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	if o.StartTimeout <= 0 {
		o.StartTimeout = defaultStartTimeout
	}
	host, p, err := net.SplitHostPort(o.Address)
	if err != nil {
		return config{}, fmt.Errorf("devserver: Options.Address %q: %w", o.Address, err)
	}
	port, err := strconv.Atoi(p)
	if err != nil || port < 1 || port > 65535 {
		return config{}, fmt.Errorf("devserver: Options.Address %q: port must be 1 to 65535", o.Address)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	o.Address = net.JoinHostPort(host, p)
	c := config{Options: o, host: host, port: port, uiPort: o.UIPort}
	switch {
	case o.UIPort == 0:
		c.uiPort = port + 1000
		if c.uiPort > 65535 {
			return config{}, fmt.Errorf("devserver: Options.UIPort: the default, gRPC port + 1000, is %d: set one", c.uiPort)
		}
	case o.UIPort < -1 || o.UIPort > 65535:
		return config{}, fmt.Errorf("devserver: Options.UIPort %d: must be 1 to 65535, or -1 for no UI", o.UIPort)
	}
	return c, nil
}

// args are the arguments of `temporal` that run the server c describes.
func (c config) args() []string {
	a := []string{
		"server", "start-dev",
		"--ip", c.host,
		"--port", strconv.Itoa(c.port),
		"--db-filename", c.DBFile,
		"--namespace", c.Namespace,
		"--log-level", "warn",
		// 20 polls/s per shard by default: ~50 ms on every task hop.
		"--dynamic-config-value", "history.transferProcessorMaxPollRPS=1000",
		// Each task hop commits to SQLite: with its default rollback journal
		// and a sync per commit, a one-activity workflow takes ~55 ms more
		// than in memory; with WAL and syncing at checkpoints, ~10 ms more.
		// Commits still survive a killed server, if not a power cut.
		"--sqlite-pragma", "journal_mode=wal",
		"--sqlite-pragma", "synchronous=normal",
		// As the SDK's testsuite does: no call home for version checks.
		"--dynamic-config-value", "frontend.enableServerVersionCheck=false",
	}
	if c.uiPort < 0 {
		return append(a, "--headless")
	}
	return append(a, "--ui-port", strconv.Itoa(c.uiPort))
}

// uiURL is where a browser on this machine finds the UI, "" without one.
func (c config) uiURL() string {
	if c.uiPort < 0 {
		return ""
	}
	host := c.host
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, strconv.Itoa(c.uiPort))
}
