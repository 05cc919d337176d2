package devserver

import (
	"slices"
	"strings"
	"testing"
)

func TestOptionsConfig(t *testing.T) {
	tests := []struct {
		name        string
		input       Options
		wantAddress string
		wantUI      string
		wantArgs    []string
		errContains string
	}{
		{
			name:        "defaults",
			input:       Options{DBFile: "data/temporal.db"},
			wantAddress: "127.0.0.1:7233",
			wantUI:      "http://127.0.0.1:8233",
			wantArgs:    []string{"--ip", "127.0.0.1", "--port", "7233", "--ui-port", "8233", "--namespace", "default", "--db-filename", "data/temporal.db"},
		},
		{
			name:        "UI port follows the gRPC port",
			input:       Options{DBFile: "t.db", Address: "localhost:7300", Namespace: "clickstream"},
			wantAddress: "localhost:7300",
			wantUI:      "http://localhost:8300",
			wantArgs:    []string{"--ui-port", "8300", "--namespace", "clickstream"},
		},
		{
			name:        "UI disabled",
			input:       Options{DBFile: "t.db", UIPort: -1},
			wantAddress: "127.0.0.1:7233",
			wantArgs:    []string{"--headless"},
		},
		{
			name:        "all interfaces: the UI URL names loopback",
			input:       Options{DBFile: "t.db", Address: "0.0.0.0:7233", UIPort: 9000},
			wantAddress: "0.0.0.0:7233",
			wantUI:      "http://127.0.0.1:9000",
			wantArgs:    []string{"--ip", "0.0.0.0", "--ui-port", "9000"},
		},
		{
			name:        "empty host is loopback",
			input:       Options{DBFile: "t.db", Address: ":7233"},
			wantAddress: "127.0.0.1:7233",
			wantUI:      "http://127.0.0.1:8233",
		},
		{name: "DBFile required", input: Options{}, errContains: "DBFile is required"},
		{name: "address without port", input: Options{DBFile: "t.db", Address: "127.0.0.1"}, errContains: "Options.Address"},
		{name: "port out of range", input: Options{DBFile: "t.db", Address: "127.0.0.1:70000"}, errContains: "port must be 1 to 65535"},
		{name: "default UI port out of range", input: Options{DBFile: "t.db", Address: "127.0.0.1:65000"}, errContains: "Options.UIPort"},
		{name: "bad UI port", input: Options{DBFile: "t.db", UIPort: -2}, errContains: "Options.UIPort -2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := tt.input.config()
			if tt.errContains != "" {
				if err == nil || !strings.Contains(err.Error(), tt.errContains) {
					t.Fatalf("err = %v, want one containing %q", err, tt.errContains)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Address != tt.wantAddress {
				t.Errorf("Address = %q, want %q", c.Address, tt.wantAddress)
			}
			if got := c.uiURL(); got != tt.wantUI {
				t.Errorf("uiURL = %q, want %q", got, tt.wantUI)
			}
			args := strings.Join(c.args(), " ")
			for i := 0; i+1 < len(tt.wantArgs); i += 2 {
				if pair := tt.wantArgs[i] + " " + tt.wantArgs[i+1]; !strings.Contains(args, pair) {
					t.Errorf("args %q lack %q", args, pair)
				}
			}
			if slices.Contains(tt.wantArgs, "--headless") != strings.Contains(args, "--headless") {
				t.Errorf("args %q: --headless wrong", args)
			}
			for _, must := range []string{
				"server start-dev",
				"--log-level warn",
				"--dynamic-config-value history.transferProcessorMaxPollRPS=1000",
				"--sqlite-pragma journal_mode=wal",
				"--sqlite-pragma synchronous=normal",
			} {
				if !strings.Contains(args, must) {
					t.Errorf("args %q lack %q", args, must)
				}
			}
		})
	}
}
