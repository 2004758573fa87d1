// Command zkit is zkit's one binary: a ZooKeeper-compatible server and the
// tools around it.
//
//	zkit server [flags] [zoo.cfg]   serve (standalone on 127.0.0.1:2181 with ./data without a zoo.cfg)
//	zkit version                    print the version (also zkit --version)
//	zkit <command> -h               a command's usage
//
// Exit status: 0 on success, 1 when the work failed, 2 for a usage error.
// Each subcommand lives in its own file and registers itself.
package main

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/zkit-go/zkit/internal/buildinfo"
)

// command is one zkit subcommand. Each lives in its own file and adds
// itself to commands in an init function.
type command struct {
	name    string
	summary string // one line for the usage text
	run     func(args []string, stdin io.Reader, stdout, stderr io.Writer) int
	// ownHelp is set for commands that parse their flags with package flag
	// and so answer -h themselves; the others get their summary printed.
	ownHelp bool
}

// commands is the subcommand table, filled by each command's file.
var commands = map[string]command{}

func register(c command) { commands[c.name] = c }

func init() {
	register(command{
		name:    "version",
		summary: "version            print zkit's version, VCS revision and Go version",
		run: func(args []string, _ io.Reader, stdout, stderr io.Writer) int {
			if len(args) > 0 {
				fmt.Fprintln(stderr, "usage: zkit version")
				return 2
			}
			fmt.Fprintln(stdout, buildinfo.Read())
			return 0
		},
	})
}

func usage() string {
	var b strings.Builder
	b.WriteString("usage: zkit <command> [arguments]\n\ncommands:\n")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(&b, "  %s\n", commands[n].summary)
	}
	b.WriteString("\nRun 'zkit <command> -h' for a command's flags.\n")
	return b.String()
}

func isHelp(arg string) bool { return arg == "-h" || arg == "-help" || arg == "--help" }

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage())
		return 2
	}
	if c, ok := commands[args[0]]; ok {
		if !c.ownHelp && len(args) > 1 && isHelp(args[1]) {
			fmt.Fprintf(stdout, "usage: zkit %s\n", c.summary)
			return 0
		}
		return c.run(args[1:], stdin, stdout, stderr)
	}
	switch {
	case args[0] == "help" || isHelp(args[0]):
		fmt.Fprint(stdout, usage())
		return 0
	case args[0] == "--version" || args[0] == "-version":
		return commands["version"].run(args[1:], stdin, stdout, stderr)
	}
	fmt.Fprintf(stderr, "zkit: unknown command %q\n\n%s", args[0], usage())
	return 2
}
