// Package probe is the Go twin of harness/probe: what every Go baseline
// program shares with its C target, so that the two print the same
// messages and the same JSON line. One place for the format: a change here
// is a change to every Go program at once. cli.go holds the command line:
// the options, their parser and the --help text (probe_parse, probe_help).
//
// Exit statuses: ExitOK (the JSON line was printed), ExitCheck (no verified
// result; the reason is one line on stderr), ExitUsage (a bad command line).
package probe

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const (
	ExitOK    = 0
	ExitCheck = 1
	ExitUsage = 2
)

// Prog is the program name that messages start with; CLI.Parse sets it.
var Prog = "probe"

// UsageError reports a bad command line the way the C probe does, then
// exits ExitUsage.
func UsageError(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "%s: %s (see %s --help)\n", Prog, fmt.Sprintf(format, args...), Prog)
	os.Exit(ExitUsage)
}

// CheckFailed reports a failed verification and returns ExitCheck.
func CheckFailed(format string, args ...interface{}) int {
	fmt.Fprintf(os.Stderr, "%s: check failed: %s\n", Prog, fmt.Sprintf(format, args...))
	return ExitCheck
}

// Expect is probe_expect_u64: true if got == expected, else a message.
func Expect(what string, expected, got uint64) bool {
	if got == expected {
		return true
	}
	CheckFailed("%s: expected %d, got %d", what, expected, got)
	return false
}

// ParseUint accepts decimal digits only, as the C probe does (no sign, no
// spaces, no 0x), so that a mistyped size is an error and not a surprise;
// it exits ExitUsage on a bad value.
func ParseUint(flag, text string, min, max uint64) uint64 {
	if text == "" || strings.Trim(text, "0123456789") != "" {
		UsageError("%s: '%s' is not a non-negative integer", flag, text)
	}
	v, err := strconv.ParseUint(text, 10, 64)
	if err != nil {
		UsageError("%s: '%s' is too large (at most %d)", flag, text, max)
	}
	if v < min || v > max {
		UsageError("%s: %d is out of range (%d..%d)", flag, v, min, max)
	}
	return v
}

// PeakRSSKB is the process's largest resident set so far, in KiB (Linux).
func PeakRSSKB() uint64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil || ru.Maxrss < 0 {
		return 0
	}
	return uint64(ru.Maxrss)
}

// Field is a numeric field after check, as probe_result_add_u64 adds one.
type Field struct {
	Name  string
	Value uint64
}

// JSONLine formats a verified result as probe_format() does in C: the same
// fields, order and number formats. check is JSON text (an integer, or a
// quoted string); the extra fields follow it in order.
func JSONLine(workload, variant string, ops uint64, elapsed time.Duration, check string, extra ...Field) string {
	ns := elapsed.Nanoseconds()
	var b strings.Builder
	fmt.Fprintf(&b, "{\"workload\":%s,\"variant\":%s,\"ops\":%d,\"seconds\":%.9f,\"ns_per_op\":%.3f,\"check\":%s",
		strconv.Quote(workload), strconv.Quote(variant), ops, float64(ns)/1e9, float64(ns)/float64(ops), check)
	for _, f := range extra {
		fmt.Fprintf(&b, ",%s:%d", strconv.Quote(f.Name), f.Value)
	}
	b.WriteString("}")
	return b.String()
}

// Check formats an integer check value for JSONLine.
func Check(v uint64) string {
	return strconv.FormatUint(v, 10)
}

// Emit prints the JSON line and returns the exit status: a line the reader
// never got is no result, so a failed write is ExitCheck.
func Emit(line string) int {
	if _, err := fmt.Println(line); err != nil {
		fmt.Fprintf(os.Stderr, "%s: writing the result line failed: %v\n", Prog, err)
		return ExitCheck
	}
	return ExitOK
}
