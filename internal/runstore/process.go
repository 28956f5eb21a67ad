package runstore

import (
	"fmt"
	"os"
	"strings"
	"syscall"
)

// processStart identifies a process instance: its start time in clock ticks
// since boot (field 22 of /proc/PID/stat), so a reused PID is not mistaken for
// the process that started a run. "" where it cannot be read.
func processStart(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ""
	}
	s := string(b)
	// The command name, field 2, is in parentheses and may hold spaces.
	rest := s[strings.LastIndexByte(s, ')')+1:]
	fields := strings.Fields(rest)
	if len(fields) < 20 {
		return ""
	}
	return fields[19]
}

// alive reports whether the process that recorded a run still runs.
func alive(pid int, start string) bool {
	if pid <= 0 {
		return false
	}
	if err := syscall.Kill(pid, 0); err != nil && err != syscall.EPERM {
		return false
	}
	now := processStart(pid)
	return start == "" || now == "" || now == start
}
