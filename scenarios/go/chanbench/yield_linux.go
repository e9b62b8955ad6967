package main

import "syscall"

// osYield gives up the thread's CPU, as C's sched_yield does, without
// involving Go's scheduler (the goroutine keeps its thread and P).
func osYield() {
	syscall.RawSyscall(syscall.SYS_SCHED_YIELD, 0, 0, 0)
}
