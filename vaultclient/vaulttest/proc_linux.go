package vaulttest

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// setProcAttr puts the server in its own process group (so Stop can kill the
// group) and asks the kernel to kill it if this process dies first, so a test
// binary killed by its timeout leaves no orphan Vault behind.
func setProcAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// waitStopped returns once every thread of pid is stopped: a signal is
// delivered asynchronously, and a request answered in between would make a
// "Vault hangs" test pass by luck.
func waitStopped(pid int) error {
	dir := fmt.Sprintf("/proc/%d/task", pid)
	for i := 0; i < 1000; i++ {
		tasks, err := os.ReadDir(dir)
		if err != nil {
			return err
		}
		stopped := 0
		for _, task := range tasks {
			b, err := os.ReadFile(filepath.Join(dir, task.Name(), "stat"))
			if err != nil {
				continue // the thread exited
			}
			// The state follows the parenthesised command name.
			if i := bytes.LastIndexByte(b, ')'); i >= 0 && i+2 < len(b) && (b[i+2] == 'T' || b[i+2] == 't') {
				stopped++
			}
		}
		if stopped == len(tasks) {
			return nil
		}
		time.Sleep(5 * time.Millisecond)
	}
	return errors.New("the Vault dev server did not stop")
}
