package probe

import (
	"fmt"
	"io"
	"os"
	"strings"
)

// Option is one `--name VALUE` option (also accepted as `--name=VALUE`), as
// probe_opt describes one in C. A number takes a decimal integer in
// [Min, Max]; a string option (Choices set) takes one of Choices. The
// program sets the default in Num or Str; Parse overwrites it and sets Given
// when the option appears.
type Option struct {
	Name     string   // with its dashes: "--size"
	Metavar  string   // in --help: "N", "V"
	Help     string   // one line for --help
	Min, Max uint64   // a number's accepted range
	Choices  []string // a string option's values; nil for a number
	Num      uint64   // a number's value
	Str      string   // a string option's value
	Given    bool     // out: the option was on the command line
}

// Workload is a word the positional argument may be (probe_word).
type Workload struct {
	Name, Help string
}

// CLI is a program's command line, as probe_cli is in C. With Workloads nil
// the program takes no positional argument; otherwise exactly one, which
// must be one of them.
type CLI struct {
	Prog      string     // the name messages start with
	Summary   string     // first line of --help, after "PROG - "
	Workloads []Workload // may be nil
	Options   []*Option  // --help is built in; do not list it
	Epilog    string     // more --help text (without its last newline), or ""
	Workload  int        // out: index into Workloads
}

// Parse reads args (os.Args[1:]) into the options and the workload, as
// probe_parse does: on --help or -h anywhere it prints Help to stdout and
// exits ExitOK; on a bad argument it exits through UsageError, naming the
// first one. It sets Prog for later messages.
func (c *CLI) Parse(args []string) {
	Prog = c.Prog
	for _, a := range args {
		if a == "--help" || a == "-h" {
			c.Help(os.Stdout)
			os.Exit(ExitOK)
		}
	}

	haveWorkload := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		if len(a) > 1 && a[0] == '-' {
			name, value, hasValue := strings.Cut(a, "=")
			var o *Option
			for _, opt := range c.Options {
				if opt.Name == name {
					o = opt
				}
			}
			if o == nil {
				UsageError("unknown flag '%s'", name)
			}
			if !hasValue {
				if i+1 >= len(args) {
					UsageError("%s needs a value (%s)", o.Name, o.Metavar)
				}
				i++
				value = args[i]
			}
			o.set(value)
			continue
		}

		// A positional argument: the workload, once.
		if c.Workloads == nil {
			UsageError("unexpected argument '%s'", a)
		}
		if haveWorkload {
			UsageError("unexpected argument '%s' (the workload is '%s')", a, c.Workloads[c.Workload].Name)
		}
		for w := range c.Workloads {
			if c.Workloads[w].Name == a {
				c.Workload, haveWorkload = w, true
			}
		}
		if !haveWorkload {
			UsageError("unknown workload '%s'", a)
		}
	}
	if c.Workloads != nil && !haveWorkload {
		UsageError("no workload given")
	}
}

// set stores value the way the C probe does: ParseUint for numbers, one of
// the choices for strings.
func (o *Option) set(value string) {
	if o.Choices != nil {
		for _, c := range o.Choices {
			if c == value {
				o.Str, o.Given = value, true
				return
			}
		}
		UsageError("%s: unknown value '%s'", o.Name, value)
	}
	o.Num, o.Given = ParseUint(o.Name, value, o.Min, o.Max), true
}

// Help writes the --help text, as probe_help does (less --describe, which
// the Go programs do not have): the usage line, the workloads and options
// aligned on the longest workload name or "--flag METAVAR", the exit
// statuses, then the epilog.
func (c *CLI) Help(w io.Writer) {
	width := len("--help")
	for _, wl := range c.Workloads {
		if len(wl.Name) > width {
			width = len(wl.Name)
		}
	}
	for _, o := range c.Options {
		if n := len(o.Name) + 1 + len(o.Metavar); n > width {
			width = n
		}
	}

	fmt.Fprintf(w, "%s - %s\n\nusage: %s", c.Prog, c.Summary, c.Prog)
	if c.Workloads != nil {
		fmt.Fprintf(w, " WORKLOAD")
	}
	for _, o := range c.Options {
		fmt.Fprintf(w, " [%s %s]", o.Name, o.Metavar)
	}
	fmt.Fprintf(w, "\n")

	if c.Workloads != nil {
		fmt.Fprintf(w, "\nworkloads:\n")
		for _, wl := range c.Workloads {
			fmt.Fprintf(w, "  %-*s  %s\n", width, wl.Name, wl.Help)
		}
	}
	fmt.Fprintf(w, "\noptions:\n")
	for _, o := range c.Options {
		fmt.Fprintf(w, "  %-*s  %s", width, o.Name+" "+o.Metavar, o.Help)
		if o.Choices != nil {
			fmt.Fprintf(w, " (one of: %s)", strings.Join(o.Choices, " "))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "  %-*s  %s\n", width, "--help", "print this help and exit")
	fmt.Fprintf(w, "\nPrints one JSON line for a verified run. Exit status: 0 ok, 1 check failed\n"+
		"(or the work could not be done), 2 usage error.\n")
	if c.Epilog != "" {
		fmt.Fprintf(w, "\n%s\n", c.Epilog)
	}
}
