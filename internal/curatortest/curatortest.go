package curatortest

import (
	"bufio"
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/zkit-go/zkit/internal/javatest"
	zktesting "github.com/zkit-go/zkit/testing"
)

//go:embed testdata/zkit/interop/*.java
var sources embed.FS

// JavaDir is where Debian installs jars.
const JavaDir = "/usr/share/java"

// jars is the driver's class path: Curator and what it needs at run time.
var jars = []string{
	"curator-recipes.jar", "curator-x-discovery.jar", "curator-framework.jar", "curator-client.jar",
	"zookeeper.jar", "zookeeper-jute.jar", "guava.jar",
	"jackson-databind.jar", "jackson-core.jar", "jackson-annotations.jar",
	"slf4j-api.jar", "slf4j-simple.jar",
}

// ErrReply is wrapped by Try's error when the Java command threw.
var ErrReply = errors.New("curatortest: curator command failed")

// compiled is the process-wide compiled driver.
var compiled struct {
	once   sync.Once
	byMain bool // Main runs the tests, so it will remove dir
	dir    string
	err    error
}

// Main runs the tests, removes the compiled driver and fails the binary if
// goroutines were left behind. Call it from TestMain: Start refuses to run
// without it, so that no compiled driver is left in the temporary directory.
func Main(m *testing.M) {
	compiled.byMain = true
	code := m.Run()
	if compiled.dir != "" {
		os.RemoveAll(compiled.dir)
	}
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "goroutines left behind: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}

// missing says what of Java and Curator is absent, or "".
func missing() string {
	var out []string
	for _, tool := range []string{"java", "javac"} {
		if _, err := exec.LookPath(tool); err != nil {
			out = append(out, tool)
		}
	}
	for _, j := range jars {
		if _, err := os.Stat(filepath.Join(JavaDir, j)); err != nil {
			out = append(out, filepath.Join(JavaDir, j))
		}
	}
	return strings.Join(out, ", ")
}

func classPath(extra string) string {
	parts := []string{extra}
	for _, j := range jars {
		parts = append(parts, filepath.Join(JavaDir, j))
	}
	return strings.Join(parts, string(os.PathListSeparator))
}

// compile builds the driver once per process.
func compile() (string, error) {
	compiled.once.Do(func() {
		dir, err := os.MkdirTemp("", "zkit-curator-driver-")
		if err != nil {
			compiled.err = err
			return
		}
		compiled.dir = dir
		src := filepath.Join(dir, "src")
		var files []string
		err = fs.WalkDir(sources, "testdata", func(p string, e fs.DirEntry, err error) error {
			if err != nil || e.IsDir() {
				return err
			}
			b, err := sources.ReadFile(p)
			if err != nil {
				return err
			}
			dst := filepath.Join(src, filepath.FromSlash(p))
			if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
				return err
			}
			files = append(files, dst)
			return os.WriteFile(dst, b, 0o644)
		})
		if err != nil {
			compiled.err = err
			return
		}
		classes := filepath.Join(dir, "classes")
		args := append([]string{"-nowarn", "-d", classes, "-cp", classPath(classes)}, files...)
		out, err := exec.Command("javac", args...).CombinedOutput()
		if err != nil {
			compiled.err = fmt.Errorf("curatortest: javac: %v\n%s", err, out)
			return
		}
		compiled.dir = dir
	})
	if compiled.err != nil {
		return "", compiled.err
	}
	return filepath.Join(compiled.dir, "classes"), nil
}

// reply is one command's outcome.
type reply struct {
	ok   bool
	text string
}

// Driver is one running Curator JVM.
type Driver struct {
	t     testing.TB
	cmd   *exec.Cmd
	stdin io.WriteCloser
	exit  chan struct{} // closed when the JVM has exited and its output is read

	stderr syncBuffer

	writeMu sync.Mutex // serialises writes to stdin; taken without mu

	mu      sync.Mutex // guards the fields below
	nextID  int
	pending map[int]chan reply
	events  []string      // unconsumed "object text" lines
	changed chan struct{} // closed and replaced when events grows or the JVM exits
	dead    bool
}

// Start compiles the driver if needed and starts a JVM that connects its
// clients to connect (a ZooKeeper connect string). The JVM is stopped when
// the test ends. Start skips the test when Java or Curator is absent.
func Start(t testing.TB, connect string) *Driver {
	t.Helper()
	if javatest.Off() {
		t.Skipf("curatortest: Curator interop tests turned off (%s=off)", javatest.OffEnv)
	}
	if m := missing(); m != "" {
		t.Skipf("curatortest: Curator interop tests need %s (Debian: default-jdk-headless libcurator-recipes-java libcurator-discovery-java libzookeeper-java libjackson2-databind-java libslf4j-java)", m)
	}
	if !compiled.byMain {
		t.Fatal("curatortest: the test binary's TestMain must call curatortest.Main, which removes the compiled driver")
	}
	classes, err := compile()
	if err != nil {
		t.Fatal(err)
	}
	cmd := javatest.Command(context.Background(), []string{"-Xshare:auto", "-Xss512k",
		"-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-Dzookeeper.jmx.log4j.disable=true"},
		classPath(classes), "zkit.interop.Driver", connect)
	d := &Driver{t: t, cmd: cmd, exit: make(chan struct{}), pending: map[int]chan reply{}, changed: make(chan struct{})}
	cmd.Stderr = &d.stderr
	d.stdin, err = cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("curatortest: start java: %v", err)
	}
	ready := make(chan struct{})
	go d.read(stdout, ready)
	t.Cleanup(d.Close)
	select {
	case <-ready:
	case <-d.exit:
		t.Fatalf("curatortest: driver exited at start:\n%s", d.stderr.String())
	case <-time.After(zktesting.Scale(60 * time.Second)):
		t.Fatalf("curatortest: driver not ready after %v", zktesting.Scale(60*time.Second))
	}
	return d
}

// read parses the JVM's output until it ends, then waits for the process.
func (d *Driver) read(r io.Reader, ready chan struct{}) {
	defer close(d.exit)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "ready":
			close(ready)
		case strings.HasPrefix(line, "! "):
			d.mu.Lock()
			d.events = append(d.events, line[2:])
			close(d.changed)
			d.changed = make(chan struct{})
			d.mu.Unlock()
		default:
			id, rest, _ := strings.Cut(line, " ")
			status, text, _ := strings.Cut(rest, " ")
			n, err := strconv.Atoi(id)
			if err != nil {
				continue
			}
			d.mu.Lock()
			ch := d.pending[n]
			delete(d.pending, n)
			d.mu.Unlock()
			if ch != nil {
				ch <- reply{ok: status == "ok", text: text}
			}
		}
	}
	_ = d.cmd.Wait()
	d.mu.Lock()
	d.dead = true
	for n, ch := range d.pending {
		ch <- reply{text: "driver exited"}
		delete(d.pending, n)
	}
	close(d.changed)
	d.changed = make(chan struct{})
	d.mu.Unlock()
}

// Call is a command sent and not yet answered.
type Call struct {
	d    *Driver
	line string
	ch   chan reply
}

// Go sends a command and returns without waiting for its reply.
func (d *Driver) Go(verb, object string, args ...any) *Call {
	parts := []string{"", verb, object}
	for _, a := range args {
		parts = append(parts, fmt.Sprint(a))
	}
	c := &Call{d: d, line: strings.Join(parts[1:], " "), ch: make(chan reply, 1)}
	d.mu.Lock()
	if d.dead {
		d.mu.Unlock()
		c.ch <- reply{text: "driver exited"}
		return c
	}
	d.nextID++
	id := d.nextID
	d.pending[id] = c.ch
	d.mu.Unlock()
	parts[0] = strconv.Itoa(id)
	d.writeMu.Lock()
	_, err := io.WriteString(d.stdin, strings.Join(parts, " ")+"\n")
	d.writeMu.Unlock()
	if err != nil {
		d.mu.Lock()
		ch, ok := d.pending[id]
		delete(d.pending, id)
		d.mu.Unlock()
		if ok {
			ch <- reply{text: "write to driver: " + err.Error()}
		}
	}
	return c
}

// Result waits up to the scaled timeout for the reply. done is false if
// none came in time; a timeout of 0 only looks.
func (c *Call) Result(timeout time.Duration) (text string, err error, done bool) {
	var r reply
	select {
	case r = <-c.ch:
	default:
		if timeout <= 0 {
			return "", nil, false
		}
		select {
		case r = <-c.ch:
		case <-time.After(zktesting.Scale(timeout)):
			return "", nil, false
		}
	}
	c.ch <- r // later calls see it too
	if !r.ok {
		return "", fmt.Errorf("%w: %s: %s", ErrReply, c.line, r.text), true
	}
	return r.text, nil, true
}

// Done reports whether the reply has come.
func (c *Call) Done() bool {
	_, _, done := c.Result(0)
	return done
}

// Wait waits up to a minute (scaled) for the reply and fails the test if
// the command threw or did not answer.
func (c *Call) Wait(t testing.TB) string {
	t.Helper()
	text, err, done := c.Result(60 * time.Second)
	if !done {
		t.Fatalf("curatortest: no reply to %q after %v\njava stderr:\n%s", c.line, zktesting.Scale(60*time.Second), c.d.stderr.String())
	}
	if err != nil {
		t.Fatalf("%v\njava stderr:\n%s", err, c.d.stderr.String())
	}
	return text
}

// Do runs a command and returns its result, failing the test if it threw.
func (d *Driver) Do(t testing.TB, verb, object string, args ...any) string {
	t.Helper()
	return d.Go(verb, object, args...).Wait(t)
}

// Try runs a command and returns its result or the Java exception.
func (d *Driver) Try(t testing.TB, verb, object string, args ...any) (string, error) {
	t.Helper()
	c := d.Go(verb, object, args...)
	text, err, done := c.Result(60 * time.Second)
	if !done {
		t.Fatalf("curatortest: no reply to %q after %v", c.line, zktesting.Scale(60*time.Second))
	}
	return text, err
}

// Client starts a CuratorFramework named name with the given session
// timeout, waits until it is connected and returns its session id.
func (d *Driver) Client(t testing.TB, name string, sessionTimeout time.Duration) int64 {
	t.Helper()
	hex := d.Do(t, "client", name, sessionTimeout.Milliseconds())
	return parseSession(t, hex)
}

// ClientIn is Client for a CuratorFramework in namespace ns (Curator's
// namespace, the same as recipes.WithNamespace: every path is under /ns).
func (d *Driver) ClientIn(t testing.TB, name, ns string, sessionTimeout time.Duration) int64 {
	t.Helper()
	if ns == "" {
		return d.Client(t, name, sessionTimeout)
	}
	return parseSession(t, d.Do(t, "client", name, sessionTimeout.Milliseconds(), ns))
}

// Session returns the current session id of client name.
func (d *Driver) Session(t testing.TB, name string) int64 {
	t.Helper()
	return parseSession(t, d.Do(t, "session", name))
}

func parseSession(t testing.TB, hex string) int64 {
	t.Helper()
	v, err := strconv.ParseUint(hex, 16, 64)
	if err != nil {
		t.Fatalf("curatortest: bad session id %q", hex)
	}
	return int64(v)
}

// WaitEvent waits for the event "<object> <text>" and consumes it (the
// first unconsumed one that matches). Events are kept from the start, so
// one that came before the call is found.
func (d *Driver) WaitEvent(t testing.TB, object, text string) {
	t.Helper()
	if !d.AwaitEvent(object, text, 60*time.Second) {
		t.Fatalf("curatortest: no event %q %q after %v; events: %v\njava stderr:\n%s",
			object, text, zktesting.Scale(60*time.Second), d.Events(), d.stderr.String())
	}
}

// AwaitEvent is WaitEvent that reports false on timeout instead of failing.
func (d *Driver) AwaitEvent(object, text string, timeout time.Duration) bool {
	want := object + " " + text
	deadline := time.After(zktesting.Scale(timeout))
	for {
		d.mu.Lock()
		for i, e := range d.events {
			if e == want {
				d.events = append(d.events[:i:i], d.events[i+1:]...)
				d.mu.Unlock()
				return true
			}
		}
		ch, dead := d.changed, d.dead
		d.mu.Unlock()
		if dead {
			return false
		}
		select {
		case <-ch:
		case <-deadline:
			return false
		}
	}
}

// Events returns the unconsumed events.
func (d *Driver) Events() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.events...)
}

// Kill ends the JVM at once (SIGKILL), as a crashed process: its sessions
// stay on the server until they time out.
func (d *Driver) Kill() {
	_ = d.cmd.Process.Kill()
	<-d.exit
}

// Close stops the JVM: it asks it to exit, and kills it if it has not
// within a few seconds. The Curator clients are not closed, so their
// sessions end by timing out. Close is called when the test ends.
func (d *Driver) Close() {
	d.writeMu.Lock()
	_, _ = io.WriteString(d.stdin, "0 exit\n") // fails harmlessly if it has exited
	d.writeMu.Unlock()
	select {
	case <-d.exit:
	case <-time.After(5 * time.Second):
		d.Kill()
	}
	_ = d.stdin.Close()
	if d.t.Failed() {
		d.t.Logf("curatortest: java stderr:\n%s", d.stderr.String())
	}
}

// syncBuffer is a bytes.Buffer safe for the process's writer and readers.
type syncBuffer struct {
	mu  sync.Mutex // guards buf
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
