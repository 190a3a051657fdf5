//go:build linux

package devtemporal

import "syscall"

// setParentDeathSignal makes the kernel kill the child if this process dies
// without calling Stop (a crash, or a test binary killed on timeout).
func setParentDeathSignal(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGKILL }
