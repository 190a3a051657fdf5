package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat times (100 on Linux).
const clockTicks = 100

// cpuUse is CPU seconds (user + system) by component.
type cpuUse struct {
	API, Worker, Temporal, Postgres float64
}

func (a cpuUse) minus(b cpuUse) cpuUse {
	return cpuUse{a.API - b.API, a.Worker - b.Worker, a.Temporal - b.Temporal, a.Postgres - b.Postgres}
}

func (a cpuUse) total() float64 { return a.API + a.Worker + a.Temporal + a.Postgres }

func (a cpuUse) per(n float64) string {
	return fmt.Sprintf("API and load %.1f ms, worker %.1f ms, Temporal server %.1f ms, PostgreSQL %.1f ms (total %.1f ms)",
		1000*a.API/n, 1000*a.Worker/n, 1000*a.Temporal/n, 1000*a.Postgres/n, 1000*a.total()/n)
}

// procCPU returns a process's comm, parent, and CPU seconds from /proc/<pid>/stat.
func procCPU(pid int) (comm string, ppid int, secs float64, ok bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return "", 0, 0, false
	}
	s := string(b)
	open, close := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || close < open {
		return "", 0, 0, false
	}
	comm = s[open+1 : close]
	f := strings.Fields(s[close+1:])
	if len(f) < 13 {
		return "", 0, 0, false
	}
	ppid, _ = strconv.Atoi(f[1])
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return comm, ppid, (ut + st) / clockTicks, true
}

// cpuNow samples the CPU used so far by this process (the API and the
// load), the worker process (zero when in-process), the Temporal dev
// server (this process's child) and the PostgreSQL backends serving db.
// Backends that exited meanwhile are not counted: PostgreSQL's share is a
// lower bound.
func cpuNow(workerPID int, db string) cpuUse {
	var u cpuUse
	self := os.Getpid()
	_, _, u.API, _ = procCPU(self)
	if workerPID != self {
		_, _, u.Worker, _ = procCPU(workerPID)
	}
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		pid, err := strconv.Atoi(filepath.Base(d))
		if err != nil {
			continue
		}
		comm, ppid, secs, ok := procCPU(pid)
		switch {
		case !ok:
		case comm == "temporal" && ppid == self:
			u.Temporal += secs
		case comm == "postgres":
			if cmd, err := os.ReadFile(d + "/cmdline"); err == nil && strings.Contains(string(cmd), " "+db+" ") {
				u.Postgres += secs
			}
		}
	}
	return u
}

// temporalPID is the Temporal dev server's pid (this process's child), or 0.
func temporalPID() int {
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		pid, err := strconv.Atoi(filepath.Base(d))
		if err != nil {
			continue
		}
		if comm, ppid, _, ok := procCPU(pid); ok && comm == "temporal" && ppid == os.Getpid() {
			return pid
		}
	}
	return 0
}
