//go:build unix && !linux

package devtemporal

import "syscall"

func setParentDeathSignal(*syscall.SysProcAttr) {}
