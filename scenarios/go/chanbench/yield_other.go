//go:build !linux

package main

import "runtime"

// osYield: without Linux's sched_yield, the nearest portable yield.
func osYield() {
	runtime.Gosched()
}
