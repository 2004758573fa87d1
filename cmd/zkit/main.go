// Command zkit is zkit's one binary: a ZooKeeper-compatible server and the
// tools around it.
//
//	zkit server [zoo.cfg]   serve (standalone on 127.0.0.1:2181 with ./data without a zoo.cfg)
//
// Each subcommand lives in its own file and registers itself.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"

	"github.com/zkit-go/zkit/server"
)

// command is one zkit subcommand. Each lives in its own file and adds
// itself to commands in an init function.
type command struct {
	name    string
	summary string // one line for the usage text
	run     func(args []string, stdin io.Reader, stdout, stderr io.Writer) int
}

// commands is the subcommand table, filled by each command's file.
var commands = map[string]command{}

func register(c command) { commands[c.name] = c }

func init() {
	register(command{
		name:    "server",
		summary: "server [zoo.cfg]   run a ZooKeeper-compatible server; without a zoo.cfg it\n                     serves standalone on 127.0.0.1:2181 with its data in ./data",
		run: func(args []string, _ io.Reader, _, stderr io.Writer) int {
			return runServer(args, stderr)
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
	return b.String()
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage())
		return 2
	}
	if c, ok := commands[args[0]]; ok {
		return c.run(args[1:], stdin, stdout, stderr)
	}
	switch args[0] {
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage())
		return 0
	}
	fmt.Fprintf(stderr, "zkit: unknown command %q\n\n%s", args[0], usage())
	return 2
}

func runServer(args []string, stderr io.Writer) int {
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	var (
		cfg server.Config
		err error
	)
	switch len(args) {
	case 0:
		cfg = server.DefaultConfig()
	case 1:
		cfg, err = server.ParseConfig(args[0])
		if err != nil {
			fmt.Fprintf(stderr, "zkit: %v\n", err)
			return 2
		}
	default:
		fmt.Fprintf(stderr, "usage: zkit server [zoo.cfg]\n")
		return 2
	}
	// Java's -D system properties, as zkServer.sh passes them (conf/java.env).
	if err := cfg.ApplyJVMFlags(server.JVMFlagsFromEnv(os.Getenv)); err != nil {
		fmt.Fprintf(stderr, "zkit: %v\n", err)
		return 2
	}
	cfg.Logger = logger
	s, err := server.New(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "zkit: %v\n", err)
		return 1
	}
	if err := s.Start(); err != nil {
		fmt.Fprintf(stderr, "zkit: %v\n", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	select {
	case <-ctx.Done():
		logger.Info("shutting down")
	case <-s.Done():
	}
	if err := s.Close(); err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintf(stderr, "zkit: server stopped: %v\n", err)
		return 1
	}
	return 0
}
