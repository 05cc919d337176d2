package devserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
)

// Answering reports whether a Temporal frontend answers a health check at
// address within timeout, e.g. to decide whether to start one.
func Answering(ctx context.Context, address string, timeout time.Duration) bool {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	c, err := dial(ctx, address, defaultNamespace)
	if err != nil {
		return false
	}
	defer c.Close()
	_, err = c.CheckHealth(ctx, &client.CheckHealthRequest{})
	return err == nil
}

// FreePort returns a TCP port free on 127.0.0.1 at the time of the call,
// for tests.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// probeTimeout bounds one readiness attempt.
const probeTimeout = 2 * time.Second

// probe returns nil once the frontend is healthy, namespace exists and the
// Web UI at uiURL ("" for none) answers.
func probe(ctx context.Context, address, namespace, uiURL string) error {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	c, err := dial(ctx, address, namespace)
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := c.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		return fmt.Errorf("checking health: %w", err)
	}
	req := &workflowservice.DescribeNamespaceRequest{Namespace: namespace}
	if _, err := c.WorkflowService().DescribeNamespace(ctx, req); err != nil {
		return fmt.Errorf("describing namespace %s: %w", namespace, err)
	}
	if uiURL == "" {
		return nil
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodGet, uiURL, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(hreq)
	if err != nil {
		return fmt.Errorf("reaching the Web UI: %w", err)
	}
	_ = resp.Body.Close()
	return nil
}

// dial connects a client that logs nothing: a server that is not up yet is
// expected here, not worth a warning.
func dial(ctx context.Context, address, namespace string) (client.Client, error) {
	return client.DialContext(ctx, client.Options{
		HostPort:  address,
		Namespace: namespace,
		Logger:    sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler)),
	})
}

// StartOnFreePort starts a server as Start does, on a free port of
// 127.0.0.1 (opts.Address is ignored; the UI, if any, on the port + 1000).
// A free port can be taken by another process before the server binds it,
// all the more where tests start many servers and listeners side by side:
// then it tries another, a few times. For tests.
func StartOnFreePort(ctx context.Context, opts Options) (*Server, error) {
	var err error
	for range 5 {
		var port int
		if port, err = FreePort(); err != nil {
			return nil, err
		}
		opts.Address = fmt.Sprintf("127.0.0.1:%d", port)
		var srv *Server
		srv, err = Start(ctx, opts)
		if err == nil {
			return srv, nil
		}
		if !errors.Is(err, ErrPortInUse) && !(errors.Is(err, ErrExited) && strings.Contains(err.Error(), "address already in use")) {
			return nil, err
		}
	}
	return nil, err
}
