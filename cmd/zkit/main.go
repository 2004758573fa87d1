// Command zkit is zkit's one binary: a ZooKeeper-compatible server and the
// tools around it.
//
//	zkit server [zoo.cfg]   serve (standalone on 127.0.0.1:2181 with ./data without a zoo.cfg)
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/zkit-go/zkit/server"
)

const usage = `usage: zkit <command> [arguments]

commands:
  server [zoo.cfg]   run a ZooKeeper-compatible server; without a zoo.cfg it
                     serves standalone on 127.0.0.1:2181 with its data in ./data
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "server":
		return runServer(args[1:], stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "zkit: unknown command %q\n\n%s", args[0], usage)
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
