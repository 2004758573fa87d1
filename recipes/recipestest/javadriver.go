package recipestest

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// curatorJars is the classpath of a Curator 5.4 client as Debian installs
// it (libcurator-*-java, zookeeper).
var curatorJars = []string{
	"curator-framework.jar", "curator-client.jar", "curator-recipes.jar",
	"zookeeper.jar", "zookeeper-jute.jar", "guava.jar", "slf4j-api.jar", "slf4j-nop.jar",
}

// JavaDriver is a small Java program run against Apache Curator, driven a
// line at a time: Ask writes a command line to its stdin and reads one
// reply line from its stdout. It is for tests that compare zkit's recipes
// with Curator's or make the two work together.
type JavaDriver struct {
	t     testing.TB
	cmd   *exec.Cmd
	in    io.WriteCloser
	out   *bufio.Reader
	lines chan string
}

// StartJavaDriver compiles source (a public class named class, with a
// main that reads commands from stdin) against Curator and runs it with
// args. The test is skipped, saying why, when Curator or javac is not
// installed. The program is stopped when the test ends.
func StartJavaDriver(t testing.TB, class, source string, args ...string) *JavaDriver {
	t.Helper()
	var cp []string
	for _, j := range curatorJars {
		p := filepath.Join("/usr/share/java", j)
		if _, err := os.Stat(p); err != nil {
			t.Skipf("Curator not installed (%s missing; apt-get install libcurator-recipes-java zookeeper)", p)
		}
		cp = append(cp, p)
	}
	javac, err := exec.LookPath("javac")
	if err != nil {
		t.Skip("javac not on PATH; skipping the Curator comparison")
	}
	java, err := exec.LookPath("java")
	if err != nil {
		t.Skip("java not on PATH; skipping the Curator comparison")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, class+".java")
	if err := os.WriteFile(src, []byte(source), 0o644); err != nil {
		t.Fatalf("recipestest: write %s: %v", src, err)
	}
	classpath := strings.Join(cp, ":")
	if out, err := exec.Command(javac, "-cp", classpath, "-d", dir, src).CombinedOutput(); err != nil {
		t.Fatalf("recipestest: javac %s: %v\n%s", class, err, out)
	}
	cmd := exec.Command(java, append([]string{"-Xss512k", "-XX:+UseSerialGC", "-Xmx128m", "-cp", classpath + ":" + dir, class}, args...)...)
	cmd.Stderr = &testWriter{t: t}
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatalf("recipestest: %v", err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatalf("recipestest: %v", err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("recipestest: start java %s: %v", class, err)
	}
	d := &JavaDriver{t: t, cmd: cmd, in: in, out: bufio.NewReader(out), lines: make(chan string)}
	go func() {
		defer close(d.lines)
		for {
			line, err := d.out.ReadString('\n')
			if err != nil {
				return
			}
			d.lines <- strings.TrimRight(line, "\r\n")
		}
	}()
	t.Cleanup(func() {
		in.Close()
		done := make(chan struct{})
		go func() {
			for range d.lines {
			}
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(Scale(10 * time.Second)):
			cmd.Process.Kill()
			<-done
		}
		cmd.Wait()
	})
	return d
}

// Ask sends one command line and returns the reply line. A reply starting
// with "error" fails the test.
func (d *JavaDriver) Ask(timeout time.Duration, format string, args ...any) string {
	d.t.Helper()
	line := fmt.Sprintf(format, args...)
	if _, err := io.WriteString(d.in, line+"\n"); err != nil {
		d.t.Fatalf("recipestest: java driver: send %q: %v", line, err)
	}
	select {
	case reply, ok := <-d.lines:
		if !ok {
			d.t.Fatalf("recipestest: java driver exited on %q", line)
		}
		if strings.HasPrefix(reply, "error") {
			d.t.Fatalf("recipestest: java driver: %q: %s", line, reply)
		}
		return reply
	case <-time.After(Scale(timeout)):
		d.t.Fatalf("recipestest: java driver: no reply to %q after %v", line, Scale(timeout))
	}
	return ""
}

// testWriter logs the driver's stderr.
type testWriter struct{ t testing.TB }

func (w *testWriter) Write(p []byte) (int, error) {
	w.t.Logf("java: %s", strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
