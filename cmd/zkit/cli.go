package main

import (
	"io"

	"github.com/zkit-go/zkit/internal/cli"
)

func init() {
	register(command{
		name:    "cli",
		summary: "cli [-server host:port[/chroot]] [-timeout ms] [-r] [cmd args]\n                     ZooKeeper shell, as zkCli.sh: one command, or interactive",
		run: func(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
			return cli.Main(args, stdin, stdout, stderr)
		},
	})
}
