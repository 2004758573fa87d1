package clienttest

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
)

// JavaClasspath runs Java ZooKeeper servers and zkCli. Debian's
// zookeeper.jar manifest leaves out netty-codec, netty-resolver and
// netty-transport-native-unix-common, which Netty (the TLS connection
// layer) needs, so they are added here.
var JavaClasspath = strings.Join([]string{
	JavaJar,
	"/usr/share/java/slf4j-simple.jar",
	"/usr/share/java/netty-codec.jar",
	"/usr/share/java/netty-resolver.jar",
	"/usr/share/java/netty-transport-native-unix-common.jar",
}, ":")

// JavaCLIResult is what one zkCli (ZooKeeperMain) run printed.
type JavaCLIResult struct {
	Stdout, Stderr string
	ExitCode       int
}

// JavaCLI runs Java's zkCli (org.apache.zookeeper.ZooKeeperMain) once:
// "-server addr" and args (one command, or none to read commands from
// stdin), with the oracle's JVM flags plus jvmFlags (for example the
// -Dzookeeper.client.secure and -Dzookeeper.ssl.* of a TLS client). It
// returns ErrNoJava when Java ZooKeeper is not installed; a non-zero exit
// is reported in the result, not as an error.
func JavaCLI(ctx context.Context, addr string, stdin string, jvmFlags []string, args ...string) (JavaCLIResult, error) {
	if _, err := os.Stat(JavaJar); err != nil {
		return JavaCLIResult{}, ErrNoJava
	}
	all := append(append([]string{}, JavaFlags...), jvmFlags...)
	all = append(all, "-cp", JavaClasspath, "org.apache.zookeeper.ZooKeeperMain", "-server", addr)
	all = append(all, args...)
	cmd := exec.CommandContext(ctx, "java", all...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	res := JavaCLIResult{Stdout: out.String(), Stderr: errb.String()}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		res.ExitCode = ee.ExitCode()
		err = nil
	}
	return res, err
}
