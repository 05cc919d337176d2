package devserver

import (
	"os"
	"syscall"
)

// sysProcAttr isolates the server from the console's Ctrl-C, so that it
// does not stop before our worker does.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{CreationFlags: syscall.CREATE_NEW_PROCESS_GROUP}
}

// terminate ends the server: Windows has no SIGTERM to send it.
func terminate(p *os.Process) error { return kill(p) }

// kill ends the server.
func kill(p *os.Process) error {
	if err := p.Kill(); err != nil && err != os.ErrProcessDone {
		return err
	}
	return nil
}
