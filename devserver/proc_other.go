//go:build unix && !linux

package devserver

import "syscall"

// sysProcAttr puts the server in its own process group, so that Stop reaches
// every process it starts and a Ctrl-C meant for us does not stop it before
// our worker. Only Linux can have the kernel end the server when we die
// without calling Stop; elsewhere a SIGKILLed parent leaves it running.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
