package javatest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zkit-go/zkit/internal/testport"
)

// Jar is where Debian's zookeeper package puts the server jar.
const Jar = "/usr/share/java/zookeeper.jar"

// ErrNoJava reports that Java ZooKeeper (or the JVM) is not installed.
var ErrNoJava = errors.New("javatest: java zookeeper not installed (apt-get install -y zookeeper)")

// Flags are the JVM settings of every launch (java-zookeeper-oracle.md): a
// 512 MiB heap, the serial collector and C1 only, for a quick start on
// small machines.
var Flags = []string{"-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"}

// Classpath runs Java ZooKeeper servers and zkCli, logging through
// slf4j-simple. Debian's zookeeper.jar manifest leaves out netty-codec,
// netty-resolver and netty-transport-native-unix-common, which Netty (the
// TLS connection layer) needs, so they are added here.
var Classpath = strings.Join([]string{
	Jar,
	"/usr/share/java/slf4j-simple.jar",
	"/usr/share/java/netty-codec.jar",
	"/usr/share/java/netty-resolver.jar",
	"/usr/share/java/netty-transport-native-unix-common.jar",
}, ":")

// QuietClasspath is ZooKeeper's jar with the no-op slf4j binding, for
// tools and drivers whose output the test reads.
var QuietClasspath = Jar + ":/usr/share/java/slf4j-nop.jar"

// cliClasspath is what zkCli.sh prints with (its logger silent), plus
// the Netty jars a TLS client needs.
var cliClasspath = strings.Replace(Classpath, "slf4j-simple", "slf4j-nop", 1)

// OffEnv names the environment variable that turns the JVM-based tests
// off where the JVM is installed: ZKIT_TEST_JAVA=off. CI's race run sets
// it: the race detector watches zkit's own goroutines, and the Java and
// Curator comparisons, which the plain run has already passed, would only
// double its time.
const OffEnv = "ZKIT_TEST_JAVA"

// Off reports whether OffEnv turns the JVM-based tests off.
func Off() bool { return os.Getenv(OffEnv) == "off" }

// Installed reports ErrNoJava unless the ZooKeeper jar and a java binary
// are both there and OffEnv does not turn them off.
func Installed() error {
	if Off() {
		return fmt.Errorf("%w: %s=off", ErrNoJava, OffEnv)
	}
	if _, err := os.Stat(Jar); err != nil {
		return ErrNoJava
	}
	if _, err := exec.LookPath("java"); err != nil {
		return fmt.Errorf("%w: no java on PATH", ErrNoJava)
	}
	return nil
}

// Skip skips t unless Java ZooKeeper is installed.
func Skip(t testing.TB) {
	t.Helper()
	if err := Installed(); err != nil {
		t.Skipf("skipping the Java ZooKeeper comparison: %v", err)
	}
}

// SkipWithoutJVM skips t unless a java binary is on PATH (for tests that
// need the JDK but not ZooKeeper).
func SkipWithoutJVM(t testing.TB) {
	t.Helper()
	if Off() {
		t.Skipf("skipping the JDK comparison: %s=off", OffEnv)
	}
	if _, err := exec.LookPath("java"); err != nil {
		t.Skip("skipping the JDK comparison: java not on PATH (apt-get install -y default-jdk-headless)")
	}
}

// SkipWithoutJDK skips t unless java and javac are both on PATH.
func SkipWithoutJDK(t testing.TB) {
	t.Helper()
	SkipWithoutJVM(t)
	if _, err := exec.LookPath("javac"); err != nil {
		t.Skip("skipping the JDK comparison: javac not on PATH (apt-get install -y default-jdk-headless)")
	}
}

// Scale multiplies d by ZKIT_TEST_TIMEOUT_SCALE (default 1).
func Scale(d time.Duration) time.Duration {
	if s, err := strconv.ParseFloat(os.Getenv("ZKIT_TEST_TIMEOUT_SCALE"), 64); err == nil && s > 0 {
		return time.Duration(float64(d) * s)
	}
	return d
}

// Command is "java" with Flags, jvmFlags, the classpath cp (none when
// empty), the main class (or a single-file source) and args.
func Command(ctx context.Context, jvmFlags []string, cp, main string, args ...string) *exec.Cmd {
	all := append(append([]string{}, Flags...), jvmFlags...)
	if cp != "" {
		all = append(all, "-cp", cp)
	}
	all = append(append(all, main), args...)
	return exec.CommandContext(ctx, "java", all...)
}

// Output runs cmd with stdin and returns its stdout, failing t with the
// stderr when it exits non-zero.
func Output(t testing.TB, cmd *exec.Cmd, stdin string) string {
	t.Helper()
	cmd.Stdin = strings.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, stderr.String())
	}
	return string(out)
}

// Driver is Java source compiled by javac for one test.
type Driver struct {
	dir string // the classes
	cp  string // what they were compiled against
}

// Compile compiles the Java files srcs (paths, relative to the test's
// directory or absolute) against cp (QuietClasspath, or "" for the JDK
// alone) into a temporary directory, skipping t without a JDK (or, when
// cp names ZooKeeper, without Java ZooKeeper).
func Compile(t testing.TB, cp string, srcs ...string) *Driver {
	t.Helper()
	SkipWithoutJDK(t)
	if strings.Contains(cp, Jar) {
		Skip(t)
	}
	d := &Driver{dir: t.TempDir(), cp: cp}
	args := []string{"-nowarn", "-d", d.dir}
	if cp != "" {
		args = append(args, "-cp", cp)
	}
	for _, s := range srcs {
		abs, err := filepath.Abs(s)
		if err != nil {
			t.Fatal(err)
		}
		args = append(args, abs)
	}
	if out, err := exec.Command("javac", args...).CombinedOutput(); err != nil {
		t.Fatalf("javac %s: %v\n%s", strings.Join(srcs, " "), err, out)
	}
	return d
}

// CompileSource is Compile of one class given as source text.
func CompileSource(t testing.TB, cp, class, src string) *Driver {
	t.Helper()
	file := filepath.Join(t.TempDir(), class+".java")
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return Compile(t, cp, file)
}

// Classpath is the driver's classes followed by what they were compiled against.
func (d *Driver) Classpath() string {
	if d.cp == "" {
		return d.dir
	}
	return d.dir + ":" + d.cp
}

// Dir is where the classes are; tests may put their own files there.
func (d *Driver) Dir() string { return d.dir }

// Command runs the driver's class main with Flags and jvmFlags.
func (d *Driver) Command(ctx context.Context, jvmFlags []string, main string, args ...string) *exec.Cmd {
	return Command(ctx, jvmFlags, d.Classpath(), main, args...)
}

// WriteConfig writes a zoo.cfg (or any properties file) of lines at
// path, creating its directory.
func WriteConfig(path string, lines ...string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644)
}

// WriteMyID creates dataDir and writes its myid file.
func WriteMyID(dataDir string, id int64) error {
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dataDir, "myid"), []byte(strconv.FormatInt(id, 10)+"\n"), 0o644)
}

// ServerDefaults are the zoo.cfg lines every oracle server starts from:
// tickTime 2000 (session timeouts 4s-40s), the AdminServer off, every
// four-letter word allowed and extended types (TTL nodes) on.
var ServerDefaults = []string{
	"tickTime=2000", "admin.enableServer=false", "4lw.commands.whitelist=*", "extendedTypesEnabled=true",
}

// Process is one running JVM whose output goes to a log file.
type Process struct {
	LogPath string

	mu  sync.Mutex // guards cmd and log
	cmd *exec.Cmd
	log *os.File
}

// StartServer launches QuorumPeerMain on cfgPath (a standalone server or
// an ensemble member, as the file says) with Flags plus jvmFlags, its
// output appended to logPath. It does not wait for it to serve.
func StartServer(cfgPath, logPath string, jvmFlags []string) (*Process, error) {
	if err := Installed(); err != nil {
		return nil, err
	}
	return Start(Command(context.Background(), jvmFlags, Classpath,
		"org.apache.zookeeper.server.quorum.QuorumPeerMain", cfgPath), logPath)
}

// Start starts cmd with its stdout and stderr appended to logPath.
func Start(cmd *exec.Cmd, logPath string) (*Process, error) {
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = logf, logf // files: no copying goroutines
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	return &Process{LogPath: logPath, cmd: cmd, log: logf}, nil
}

// Stop kills the process and waits for it; a second Stop does nothing.
func (p *Process) Stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return
	}
	_ = p.cmd.Process.Kill()
	_ = p.cmd.Wait()
	p.log.Close()
	p.cmd, p.log = nil, nil
}

// Log is what the process has written so far.
func (p *Process) Log() string {
	b, _ := os.ReadFile(p.LogPath)
	return string(b)
}

// WaitServing polls srvr on addr until it reports a Mode (ruok answers
// before the server serves; srvr reports a Mode once it does), for up to
// d (not scaled here).
func WaitServing(addr string, d time.Duration) error {
	deadline := time.Now().Add(d)
	for !strings.Contains(FourLetter(addr, "srvr"), "Mode:") {
		if time.Now().After(deadline) {
			return fmt.Errorf("javatest: %s not serving after %v", addr, d)
		}
		time.Sleep(100 * time.Millisecond) // polling the server's port, not synchronising goroutines
	}
	return nil
}

// FourLetter sends a four-letter word and returns the answer ("" on error).
func FourLetter(addr, word string) string {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return ""
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(Scale(5 * time.Second)))
	if _, err := c.Write([]byte(word)); err != nil {
		return ""
	}
	b, _ := io.ReadAll(c)
	return string(b)
}

// CLIResult is what one zkCli run printed.
type CLIResult struct {
	Stdout, Stderr string
	ExitCode       int
}

// CLI runs Java's zkCli (org.apache.zookeeper.ZooKeeperMain) once, as
// zkCli.sh does, its logger silent: "-server addr" and args (one command,
// or none to read commands from stdin), with Flags plus jvmFlags (for example the
// -Dzookeeper.client.secure and -Dzookeeper.ssl.* of a TLS client). It
// returns ErrNoJava when Java ZooKeeper is not installed; a non-zero exit
// is reported in the result, not as an error.
func CLI(ctx context.Context, addr, stdin string, jvmFlags []string, args ...string) (CLIResult, error) {
	var out, errb bytes.Buffer
	code, err := runCLI(ctx, addr, stdin, jvmFlags, &out, &errb, args)
	return CLIResult{Stdout: out.String(), Stderr: errb.String(), ExitCode: code}, err
}

// CLICombined is CLI with stdout and stderr in one stream, in the order
// zkCli wrote them (it prints some answers, "Created /a" among them, on
// stderr).
func CLICombined(ctx context.Context, addr, stdin string, jvmFlags []string, args ...string) (output string, exitCode int, err error) {
	var out bytes.Buffer
	code, err := runCLI(ctx, addr, stdin, jvmFlags, &out, &out, args)
	return out.String(), code, err
}

func runCLI(ctx context.Context, addr, stdin string, jvmFlags []string, stdout, stderr io.Writer, args []string) (int, error) {
	if err := Installed(); err != nil {
		return 0, err
	}
	cmd := Command(ctx, jvmFlags, cliClasspath, "org.apache.zookeeper.ZooKeeperMain", append([]string{"-server", addr}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Stdout, cmd.Stderr = stdout, stderr // the same writer: one pipe, zkCli's order
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode(), nil
	}
	return 0, err
}

// Standalone is a standalone Java ZooKeeper 3.8 on loopback.
type Standalone struct {
	Addr string // 127.0.0.1:port
	*Process
}

// StartStandalone starts a standalone Java ZooKeeper on a free loopback
// port (below the ephemeral range, package testport) with dataDir
// dir/data, its zoo.cfg and server.log in dir: ServerDefaults, then extra
// zoo.cfg lines (a later line wins), with Flags plus jvmFlags. It waits
// up to a scaled 60 s until the server serves.
func StartStandalone(dir string, jvmFlags []string, extra ...string) (*Standalone, error) {
	if err := Installed(); err != nil {
		return nil, err
	}
	port, err := testport.Free()
	if err != nil {
		return nil, err
	}
	cfgPath := filepath.Join(dir, "zoo.cfg")
	lines := append(append([]string{}, ServerDefaults...),
		"dataDir="+filepath.Join(dir, "data"), "clientPort="+strconv.Itoa(port), "clientPortAddress=127.0.0.1")
	if err := WriteConfig(cfgPath, append(lines, extra...)...); err != nil {
		return nil, err
	}
	s := &Standalone{Addr: "127.0.0.1:" + strconv.Itoa(port)}
	if s.Process, err = StartServer(cfgPath, filepath.Join(dir, "server.log"), jvmFlags); err != nil {
		return nil, err
	}
	if err := WaitServing(s.Addr, Scale(60*time.Second)); err != nil {
		s.Stop()
		return nil, fmt.Errorf("javatest: java zookeeper did not start (see %s): %w", s.LogPath, err)
	}
	return s, nil
}

// Tool runs one of ZooKeeper's command-line tools (a main class such as
// org.apache.zookeeper.server.SnapshotFormatter) with jvmFlags, an English
// locale for its dates and the quiet classpath, for up to a scaled two
// minutes, and returns its stdout; it fails t when the tool fails and
// skips t without Java ZooKeeper.
func Tool(t testing.TB, jvmFlags []string, class string, args ...string) string {
	t.Helper()
	Skip(t)
	ctx, cancel := context.WithTimeout(context.Background(), Scale(2*time.Minute))
	defer cancel()
	flags := append([]string{"-Duser.language=en", "-Duser.country=US"}, jvmFlags...)
	return Output(t, Command(ctx, flags, QuietClasspath, class, args...), "")
}

// WriteJoinerConfig writes the files of a member that joins a running
// ensemble by reconfig, as ZooKeeper's documentation describes: dir/data
// with myid, dir/zoo.cfg.dynamic holding the ensemble's member lines and
// the joiner's own line self, and dir/zoo.cfg (ServerDefaults, initLimit
// 10, syncLimit 5, reconfigEnabled, standaloneEnabled=false, the dynamic
// file, then extra lines). It returns the zoo.cfg's path; Java and zkit
// both start from it.
func WriteJoinerConfig(dir string, id int64, members []string, self string, extra ...string) (string, error) {
	data := filepath.Join(dir, "data")
	if err := WriteMyID(data, id); err != nil {
		return "", err
	}
	dyn := filepath.Join(dir, "zoo.cfg.dynamic")
	if err := WriteConfig(dyn, append(append([]string(nil), members...), self)...); err != nil {
		return "", err
	}
	lines := append(append([]string(nil), ServerDefaults...), "initLimit=10", "syncLimit=5", "dataDir="+data,
		"reconfigEnabled=true", "standaloneEnabled=false", "dynamicConfigFile="+dyn)
	cfg := filepath.Join(dir, "zoo.cfg")
	return cfg, WriteConfig(cfg, append(lines, extra...)...)
}

// SplitTranscript separates a zkCli transcript's session and watch events
// from the rest of its output (Java prints events from another thread, in
// no fixed place), writes addr as ADDR, and drops blank lines and SLF4J's
// warnings. A closing Disconnected event is dropped too: whether the
// client reports it before it exits is a matter of timing.
func SplitTranscript(s, addr string) (events, output []string) {
	for _, l := range strings.Split(strings.ReplaceAll(s, addr, "ADDR"), "\n") {
		switch {
		case strings.TrimSpace(l) == "", strings.HasPrefix(l, "SLF4J:"):
		case l == "WatchedEvent state:Disconnected type:None path:null":
			if n := len(events); n > 0 && events[n-1] == "WATCHER::" {
				events = events[:n-1]
			}
		case l == "WATCHER::" || strings.HasPrefix(l, "WatchedEvent "):
			events = append(events, l)
		default:
			output = append(output, l)
		}
	}
	return events, output
}
