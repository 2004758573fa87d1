package cli

import (
	"bytes"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	zktesting "github.com/zkit-go/zkit/testing"
)

// syncBuffer is a bytes.Buffer safe for the shell's goroutines and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitFor polls until buf holds want count times.
func waitFor(t *testing.T, buf *syncBuffer, want string, count int) {
	t.Helper()
	deadline := time.Now().Add(zktesting.Scale(20 * time.Second))
	for strings.Count(buf.String(), want) < count {
		if time.Now().After(deadline) {
			t.Fatalf("no %d× %q in output:\n%s", count, want, buf.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// pipeShell runs Main interactively with a pipe for stdin.
type pipeShell struct {
	in       *io.PipeWriter
	out, err *syncBuffer
	rc       chan int
}

func startPipeShell(t *testing.T, args ...string) *pipeShell {
	t.Helper()
	r, w := io.Pipe()
	p := &pipeShell{in: w, out: &syncBuffer{}, err: &syncBuffer{}, rc: make(chan int, 1)}
	go func() { p.rc <- Main(args, r, p.out, p.err) }()
	t.Cleanup(func() {
		w.Close()
		select {
		case <-p.rc:
		case <-time.After(zktesting.Scale(30 * time.Second)):
			t.Errorf("shell did not exit")
		}
	})
	return p
}

func (p *pipeShell) send(t *testing.T, line string) {
	t.Helper()
	_, err := io.WriteString(p.in, line+"\n")
	require.NoError(t, err)
}

func (p *pipeShell) exit(t *testing.T) int {
	t.Helper()
	select {
	case rc := <-p.rc:
		p.rc <- rc
		return rc
	case <-time.After(zktesting.Scale(30 * time.Second)):
		t.Fatal("shell did not exit")
		return -1
	}
}

func TestInteractivePipe(t *testing.T) {
	srv := zktesting.StartServer(t)
	p := startPipeShell(t, "-server", srv.Addr())
	const connected = "WATCHER::\n\nWatchedEvent state:SyncConnected type:None path:null\n"
	waitFor(t, p.out, connected, 1)
	assert.True(t, strings.HasPrefix(p.out.String(),
		"Connecting to "+srv.Addr()+"\nWelcome to ZooKeeper!\nJLine support is disabled\n\n"+connected))

	p.send(t, "ls /")
	waitFor(t, p.out, "[zookeeper]\n", 1)
	p.send(t, `create /a "two words"`)
	waitFor(t, p.err, "Created /a\n", 1)
	p.send(t, "get -w /a")
	waitFor(t, p.out, "two words\n", 1)
	p.send(t, "set /a y")
	waitFor(t, p.out, "\nWATCHER::\n\nWatchedEvent state:SyncConnected type:NodeDataChanged path:/a\n", 1)

	// A one-shot watch fires once.
	p.send(t, "set /a z")
	p.send(t, "ls -w /")
	waitFor(t, p.out, "[a, zookeeper]\n", 1)
	p.send(t, "create /b")
	waitFor(t, p.out, "type:NodeChildrenChanged path:/\n", 1)
	assert.Equal(t, 1, strings.Count(p.out.String(), "NodeDataChanged"))

	// Persistent recursive watch: every change below, and it stays.
	p.send(t, "addWatch /b")
	p.send(t, "create /b/c")
	waitFor(t, p.out, "type:NodeCreated path:/b/c\n", 1)
	p.send(t, "set /b/c 1")
	waitFor(t, p.out, "type:NodeDataChanged path:/b/c\n", 1)
	p.send(t, "removewatches /b")
	waitFor(t, p.out, "type:PersistentWatchRemoved path:/b\n", 1)

	p.send(t, "stat -w /a")
	p.send(t, "removewatches /a -d")
	waitFor(t, p.out, "type:DataWatchRemoved path:/a\n", 1)

	p.send(t, "history") // the last ten and itself
	waitFor(t, p.out, "13 - history\n", 1)
	assert.Contains(t, p.out.String(), "3 - set /a y\n4 - set /a z\n")
	assert.NotContains(t, p.out.String(), "2 - get -w /a\n")
	p.send(t, "redo 0")
	waitFor(t, p.out, "[a, b, zookeeper]\n", 1)
	p.send(t, "history")
	waitFor(t, p.out, "14 - ls /\n15 - history\n", 1)
	p.send(t, "redo 99")
	waitFor(t, p.err, "Command index out of range\n", 1)

	p.send(t, "printwatches off")
	p.send(t, "printwatches")
	waitFor(t, p.out, "printwatches is off\n", 1)
	p.send(t, "get -w /a")
	p.send(t, "set /a w")
	p.send(t, "printwatches on")
	p.send(t, "printwatches")
	waitFor(t, p.out, "printwatches is on\n", 1)
	assert.Equal(t, 1, strings.Count(p.out.String(), "NodeDataChanged path:/a"))

	p.send(t, "close")
	waitFor(t, p.out, "WatchedEvent state:Closed type:None path:null\n", 1)
	p.send(t, "ls /")
	waitFor(t, p.out, "Not connected\n", 1)
	p.send(t, "connect "+srv.Addr())
	waitFor(t, p.out, connected, 2)
	p.send(t, "get /nope")
	waitFor(t, p.err, "Node does not exist: /nope\n", 1)
	p.send(t, "quit")
	assert.Equal(t, 1, p.exit(t), "quit exits with the last command's code")
}

func TestInteractiveEOFExitCode(t *testing.T) {
	srv := zktesting.StartServer(t)
	for _, tc := range []struct {
		script string
		rc     int
	}{
		{"ls /\n", 0},
		{"ls /nope\n", 1},
		{"ls /nope\nls /\n", 0},
		{"nosuch\n", 127},
		{"", 0},
		{"ls /", 0}, // no final newline
	} {
		var out, errb syncBuffer
		rc := Main([]string{"-server", srv.Addr()}, strings.NewReader(tc.script), &out, &errb)
		assert.Equal(t, tc.rc, rc, "script %q: %s%s", tc.script, out.String(), errb.String())
	}
}

func TestChroot(t *testing.T) {
	srv := zktesting.StartServer(t)
	_, _, rc := runZkit(srv.Addr(), []string{"create", "/app"})
	require.Equal(t, 0, rc)

	p := startPipeShell(t, "-server", srv.Addr()+"/app")
	p.send(t, "create /x data")
	waitFor(t, p.err, "Created /x\n", 1)
	p.send(t, "create -s /x/s-")
	waitFor(t, p.err, "Created /x/s-0000000000\n", 1)
	p.send(t, "ls -R /")
	waitFor(t, p.out, "/\n/x\n/x/s-0000000000\n", 1)
	p.send(t, "get -w /x")
	waitFor(t, p.out, "data\n", 1)
	p.send(t, "set /x y")
	waitFor(t, p.out, "WatchedEvent state:SyncConnected type:NodeDataChanged path:/x\n", 1)
	p.send(t, "ls -w /")
	p.send(t, "create -e /e")
	waitFor(t, p.out, "WatchedEvent state:SyncConnected type:NodeChildrenChanged path:/\n", 1)
	// Java's getEphemerals neither adds nor strips the chroot.
	p.send(t, "getEphemerals")
	waitFor(t, p.out, "[/app/e]\n", 1)
	p.send(t, "delete /")
	waitFor(t, p.err, "Arguments are not valid : /\n", 1)
	p.send(t, "get /nope")
	waitFor(t, p.err, "Node does not exist: /nope\n", 1)

	out, _, rc := runZkit(srv.Addr(), []string{"ls", "/app"})
	require.Equal(t, 0, rc)
	assert.Contains(t, out, "[e, x]\n")
}

func TestBadChroot(t *testing.T) {
	var out, errb syncBuffer
	rc := Main([]string{"-server", "127.0.0.1:1/a//b", "ls", "/"}, strings.NewReader(""), &out, &errb)
	assert.Equal(t, 1, rc)
	assert.Contains(t, errb.String(), `Invalid path string "/a//b" caused by empty node name specified @3`)
}

func TestServerDownOneShot(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close()) // nothing listens there now
	out, errs, rc := runZkit(addr, []string{"ls", "/"})
	assert.Equal(t, 1, rc)
	assert.Equal(t, "Connecting to "+addr+"\n", out)
	assert.Equal(t, "KeeperErrorCode = ConnectionLoss for /\n", errs)
}

// newTestShell is a Shell driven line by line, for tests that look at
// the prompt.
func newTestShell(t *testing.T, server string) (*Shell, *syncBuffer, *syncBuffer) {
	t.Helper()
	out, errb := &syncBuffer{}, &syncBuffer{}
	sh := NewShell(Options{Server: server, Timeout: 6 * time.Second}, out, errb)
	require.NoError(t, sh.Connect(server, true))
	t.Cleanup(sh.Close)
	return sh, out, errb
}

func TestReconnectRestoresWatchesAndAuth(t *testing.T) {
	srv := zktesting.StartServer(t)
	sh, out, errb := newTestShell(t, srv.Addr())
	waitFor(t, out, "state:SyncConnected type:None", 1)
	assert.Equal(t, "[zk: "+srv.Addr()+"(CONNECTED) 0] ", sh.Prompt())

	sh.ExecuteLine("addauth digest user:pw")
	sh.ExecuteLine("create /a x auth::cdrwa")
	sh.ExecuteLine("get -w /a")
	sh.ExecuteLine("ls -w /")
	waitFor(t, out, "x\n", 1)
	require.Equal(t, "Created /a\n", errb.String())

	srv.Stop()
	waitFor(t, out, "WatchedEvent state:Disconnected type:None path:null\n", 1)
	assert.Equal(t, "[zk: "+srv.Addr()+"(CONNECTING) 4] ", sh.Prompt())

	srv.Restart()
	waitFor(t, out, "state:SyncConnected type:None", 2)
	assert.Equal(t, "[zk: "+srv.Addr()+"(CONNECTED) 4] ", sh.Prompt())

	// The identity came back with the connection: the ACL still admits us.
	sh.ExecuteLine("get /a")
	waitFor(t, out, "x\n", 2)
	// The watches came back too: changes from another client fire them.
	_, _, rc := runZkit(srv.Addr(), []string{"create", "/b"})
	require.Equal(t, 0, rc)
	waitFor(t, out, "type:NodeChildrenChanged path:/\n", 1)
	sh.ExecuteLine("set /a y")
	waitFor(t, out, "type:NodeDataChanged path:/a\n", 1)
	assert.Equal(t, 0, sh.ExitCode())
}

func TestSessionExpiry(t *testing.T) {
	srv := zktesting.StartServer(t)
	sh, out, _ := newTestShell(t, srv.Addr())
	waitFor(t, out, "state:SyncConnected type:None", 1)
	sh.ExecuteLine("ls /")
	srv.ExpireSession(sh.sess.SessionID())
	waitFor(t, out, "WatchedEvent state:Expired type:None path:null\n", 1)
	assert.Equal(t, "[zk: "+srv.Addr()+"(CLOSED) 1] ", sh.Prompt())
	sh.ExecuteLine("ls /")
	waitFor(t, out, "Not connected\n", 1)
	sh.ExecuteLine("connect")
	waitFor(t, out, "state:SyncConnected type:None", 2)
	assert.Equal(t, "[zk: "+srv.Addr()+"(CONNECTED) 3] ", sh.Prompt())
}

func TestMultipleHosts(t *testing.T) {
	srv := zktesting.StartServer(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	dead := ln.Addr().String()
	require.NoError(t, ln.Close())
	// The shell keeps trying the list until a server answers.
	p := startPipeShell(t, "-server", dead+","+srv.Addr())
	p.send(t, "ls /")
	waitFor(t, p.out, "state:SyncConnected type:None", 1)
}
