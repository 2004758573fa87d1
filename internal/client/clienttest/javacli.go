package clienttest

import (
	"context"

	"github.com/zkit-go/zkit/internal/javatest"
)

// JavaClasspath runs Java ZooKeeper servers and zkCli (package javatest).
var JavaClasspath = javatest.Classpath

// JavaCLIResult is what one zkCli (ZooKeeperMain) run printed.
type JavaCLIResult = javatest.CLIResult

// JavaCLI runs Java's zkCli once (javatest.CLI).
func JavaCLI(ctx context.Context, addr string, stdin string, jvmFlags []string, args ...string) (JavaCLIResult, error) {
	return javatest.CLI(ctx, addr, stdin, jvmFlags, args...)
}
