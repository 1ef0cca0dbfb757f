//go:build !linux

package vaulttest

import (
	"os/exec"
	"syscall"
	"time"
)

// setProcAttr puts the server in its own process group so Stop can kill the
// group. Only Linux can also tie its life to this process (Pdeathsig).
func setProcAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

// waitStopped cannot look at thread states here; a short pause lets the
// signal land.
func waitStopped(int) error {
	time.Sleep(100 * time.Millisecond)
	return nil
}
