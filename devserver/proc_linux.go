package devserver

import "syscall"

// sysProcAttr puts the server in its own process group, so that Stop reaches
// every process it starts and a Ctrl-C meant for us does not stop it before
// our worker, and has the kernel SIGKILL it when we die without calling Stop.
// SQLite's commits survive a SIGKILL.
//
// Pdeathsig fires when the thread that started the child exits, not the
// process: Start keeps that thread locked until the server exits.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
