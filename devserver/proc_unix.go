//go:build unix

package devserver

import (
	"errors"
	"os"
	"syscall"
)

// terminate asks the server's whole process group to stop.
func terminate(p *os.Process) error { return signalGroup(p, syscall.SIGTERM) }

// kill ends the server's whole process group.
func kill(p *os.Process) error { return signalGroup(p, syscall.SIGKILL) }

// signalGroup signals the group the server leads (Setpgid: its pgid is its
// pid). A group with no process left is not an error.
func signalGroup(p *os.Process, sig syscall.Signal) error {
	if err := syscall.Kill(-p.Pid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		return err
	}
	return nil
}
