package cli

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/javatest"
	zktesting "github.com/zkit-go/zkit/testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from zkit's output")

// scriptStep is one "$ cmd" line of a script; javaSkip ("$! cmd") marks
// commands whose output differs from Java's on purpose (see the report
// in doc.go), left out of the side-by-side comparison.
type scriptStep struct {
	args     []string
	javaSkip bool
}

func readScript(t *testing.T, name string) []scriptStep {
	t.Helper()
	b, err := os.ReadFile(name)
	require.NoError(t, err)
	var steps []scriptStep
	for _, line := range strings.Split(string(b), "\n") {
		switch {
		case strings.HasPrefix(line, "$! "):
			steps = append(steps, scriptStep{args: strings.Fields(line[3:]), javaSkip: true})
		case strings.HasPrefix(line, "$ "):
			steps = append(steps, scriptStep{args: strings.Fields(line[2:])})
		}
	}
	return steps
}

var (
	reDate    = regexp.MustCompile(`(?m)^([cm]time) = .*$`)
	reZxid    = regexp.MustCompile(`(?m)^([cmp]Zxid) = 0x[0-9a-f]+$`)
	reOwner   = regexp.MustCompile(`(?m)^ephemeralOwner = 0x([0-9a-f]+)$`)
	reSession = regexp.MustCompile(`(?m)^WatchedEvent state:\w+ type:None path:null\n`)
	reWatcher = regexp.MustCompile(`(?m)^WATCHER::\n`)
	reOrphan  = regexp.MustCompile(`(?:^|\n)WATCHER::\n*$`)
	reSLF4J   = regexp.MustCompile(`(?m)^SLF4J: .*\n`)
)

// normalize removes what legitimately differs between runs and between
// clients: times, zxids, session ids, the connection's session events
// (whose position Java's event thread does not fix) and Java's logging.
func normalize(s string) string {
	s = reSLF4J.ReplaceAllString(s, "")
	s = dropSessionEvents(s)
	s = strings.ReplaceAll(s, "\n\n\n", "\n")
	s = reDate.ReplaceAllString(s, "$1 = <date>")
	s = reZxid.ReplaceAllString(s, "$1 = <zxid>")
	s = reOwner.ReplaceAllStringFunc(s, func(m string) string {
		v := m[len("ephemeralOwner = 0x"):]
		if v == "0" || len(v) == 16 && (strings.HasPrefix(v, "ff") || v == "8000000000000000") {
			return m // none, a TTL node or a container: deterministic
		}
		return "ephemeralOwner = <session>"
	})
	return s
}

// dropSessionEvents removes the connection's session events. Java prints
// an event's "WATCHER::" and its "WatchedEvent ..." line with two separate
// println calls from its event thread, so the main thread's output can land
// between them; each session event line is removed with one "WATCHER::"
// line, the earliest left, as the session events come before any other.
//
// A "WATCHER::" that ends the output lost its event line to the JVM's exit
// (one-shot zkCli exits right after its command, and the event thread may
// be between its two printlns): it is removed too. zkit prints both lines
// in one write, so it never ends its output that way.
func dropSessionEvents(s string) string {
	s = reOrphan.ReplaceAllString(s, "\n")
	n := len(reSession.FindAllStringIndex(s, -1))
	s = reSession.ReplaceAllString(s, "")
	return reWatcher.ReplaceAllStringFunc(s, func(m string) string {
		if n == 0 {
			return m
		}
		n--
		return ""
	})
}

// transcript renders one command's result for comparison.
func transcript(args []string, stdout, stderr string, rc int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "$ %s\n", strings.Join(args, " "))
	for _, l := range strings.Split(strings.TrimRight(normalize(stdout), "\n"), "\n") {
		if l == "" || strings.HasPrefix(l, "Connecting to ") {
			continue
		}
		fmt.Fprintf(&b, "1> %s\n", l)
	}
	for _, l := range strings.Split(strings.TrimRight(normalize(stderr), "\n"), "\n") {
		if l == "" {
			continue
		}
		fmt.Fprintf(&b, "2> %s\n", l)
	}
	fmt.Fprintf(&b, "rc=%d\n", rc)
	return b.String()
}

// runZkit runs one one-shot zkit cli command in process.
func runZkit(addr string, args []string) (string, string, int) {
	var out, errb bytes.Buffer
	rc := Main(append([]string{"-server", addr}, args...), strings.NewReader(""), &out, &errb)
	return out.String(), errb.String(), rc
}

func TestOneShotGolden(t *testing.T) {
	t.Setenv("TZ", "UTC")
	srv := zktesting.StartServer(t)
	steps := readScript(t, "testdata/oneshot.txt")
	var got strings.Builder
	for _, st := range steps {
		out, errs, rc := runZkit(srv.Addr(), st.args)
		got.WriteString(transcript(st.args, out, errs, rc))
	}
	const golden = "testdata/oneshot.golden"
	if *update {
		require.NoError(t, os.WriteFile(golden, []byte(got.String()), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	assert.Equal(t, string(want), got.String())
}

// utc pins the time zone zkCli prints dates in.
var utc = []string{"-Duser.timezone=UTC"}

// skipWithoutJavaCli skips a side-by-side test without Java ZooKeeper.
func skipWithoutJavaCli(t *testing.T) {
	t.Helper()
	javatest.Skip(t)
}

// TestOneShotVersusJava runs the same script through Java's zkCli.sh and
// through zkit cli, each against its own fresh zkit server, and compares
// the transcripts command by command.
func TestOneShotVersusJava(t *testing.T) {
	skipWithoutJavaCli(t)
	if testing.Short() {
		t.Skip("starts a JVM per command; skipped in -short")
	}
	t.Setenv("TZ", "UTC")
	javaSrv := zktesting.StartServer(t)
	zkitSrv := zktesting.StartServer(t)
	steps := readScript(t, "testdata/oneshot.txt")
	for _, st := range steps {
		ctx, cancel := context.WithTimeout(context.Background(), zktesting.Scale(60*time.Second))
		java, err := javatest.CLI(ctx, javaSrv.Addr(), "", utc, st.args...)
		cancel()
		require.NoError(t, err, "zkCli %v", st.args)
		out, errs, zrc := runZkit(zkitSrv.Addr(), st.args)
		if st.javaSkip {
			continue
		}
		assert.Equal(t, transcript(st.args, java.Stdout, java.Stderr, java.ExitCode),
			transcript(st.args, out, errs, zrc), "command %v", st.args)
	}
}

// interactiveScript has no watches, so its output order does not depend
// on when Java's event thread runs.
const interactiveScript = `ls /
create /a x
create /a y

get /a
stat /nope
history
redo 0
redo 99
redo 6
printwatches
printwatches off
printwatches
foo
getAcl /a
set -v 7 /a z
close
ls /
`

// TestInteractiveVersusJava pipes the same script into Java's zkCli.sh
// and into zkit cli (each against a fresh zkit server) and compares
// stdout, stderr and the exit code.
func TestInteractiveVersusJava(t *testing.T) {
	skipWithoutJavaCli(t)
	if testing.Short() {
		t.Skip("starts a JVM; skipped in -short")
	}
	t.Setenv("TZ", "UTC")
	javaSrv := zktesting.StartServer(t)
	zkitSrv := zktesting.StartServer(t)

	ctx, cancel := context.WithTimeout(context.Background(), zktesting.Scale(60*time.Second))
	defer cancel()
	java, err := javatest.CLI(ctx, javaSrv.Addr(), interactiveScript, utc)
	require.NoError(t, err)
	var out, errb bytes.Buffer
	zrc := Main([]string{"-server", zkitSrv.Addr()}, strings.NewReader(interactiveScript), &out, &errb)

	strip := func(s string) string {
		return strings.ReplaceAll(normalize(s), javaSrv.Addr(), "ADDR")
	}
	// Java prints a watch event's blank line from its event thread, so
	// where that line lands among the main thread's output varies from run
	// to run; compare stdout without blank lines.
	noBlank := func(s string) string {
		var keep []string
		for _, l := range strings.Split(s, "\n") {
			if strings.TrimSpace(l) != "" {
				keep = append(keep, l)
			}
		}
		return strings.Join(keep, "\n")
	}
	assert.Equal(t, noBlank(strip(java.Stdout)), noBlank(strings.ReplaceAll(normalize(out.String()), zkitSrv.Addr(), "ADDR")))
	assert.Equal(t, strip(java.Stderr), normalize(errb.String()))
	assert.Equal(t, java.ExitCode, zrc)
}

// TestNormalizeInterleavedSessionEvent is the order CI once saw from Java:
// the main thread's "ls /" output between the event's two lines.
func TestNormalizeInterleavedSessionEvent(t *testing.T) {
	java := "Welcome\n\nWATCHER::\n[zookeeper]\n\nWatchedEvent state:SyncConnected type:None path:null\nx\n"
	tidy := "Welcome\n\nWATCHER::\n\nWatchedEvent state:SyncConnected type:None path:null\n[zookeeper]\nx\n"
	watch := "\nWATCHER::\n\nWatchedEvent state:SyncConnected type:NodeDataChanged path:/a\n"
	assert.Equal(t, "Welcome\n\n[zookeeper]\n\nx\n", normalize(java))
	assert.Equal(t, "Welcome\n[zookeeper]\nx\n", normalize(tidy))
	assert.Equal(t, watch, normalize(watch), "a node event stays")
}

// TestNormalizeOrphanWatcher is what CI once saw from a one-shot Java
// zkCli: the event thread printed "WATCHER::" and the JVM exited before
// the event line.
func TestNormalizeOrphanWatcher(t *testing.T) {
	assert.Equal(t, "\n", normalize("WATCHER::\n"))
	assert.Equal(t, "Created /ro\n", normalize("Created /ro\nWATCHER::\n\n"))
	watch := "\nWATCHER::\n\nWatchedEvent state:SyncConnected type:NodeDataChanged path:/a\n"
	assert.Equal(t, watch, normalize(watch), "a whole event stays")
}
