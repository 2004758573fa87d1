package recipes

// All handling of the test ZooKeeper server lives in this file. Today it
// runs the Java ZooKeeper 3.8 from the Debian package; when
// github.com/zkit-go/zkit/testing exists, startTestServer and
// startDedicatedServer become thin wrappers around its StartServer(t)
// (ExpireSession is then native) and nothing else in the tests changes.

import (
	"encoding/binary"
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
)

const (
	javaJar  = "/usr/share/java/zookeeper.jar"
	slf4jJar = "/usr/share/java/slf4j-simple.jar"
)

// testServer is what tests use: a server behind a fault-injecting proxy.
type testServer struct {
	t     testing.TB
	java  *javaServer
	proxy *faultProxy
	own   bool // Stop and Restart are allowed
}

// ConnectString is the address clients under test use (through the proxy).
func (s *testServer) ConnectString() string { return s.proxy.addr() }

// Servers is ConnectString as a list for Connect.
func (s *testServer) Servers() []string { return []string{s.ConnectString()} }

// DirectServers bypasses the proxy, for a reliable observer client.
func (s *testServer) DirectServers() []string { return []string{s.java.addr()} }

// Stop kills the server process (a crash); its data stays.
func (s *testServer) Stop() {
	s.t.Helper()
	if !s.own {
		s.t.Fatal("Stop needs startDedicatedServer")
	}
	s.java.stop()
}

// Restart starts a stopped server again on the same port and data.
func (s *testServer) Restart() {
	s.t.Helper()
	if !s.own {
		s.t.Fatal("Restart needs startDedicatedServer")
	}
	if err := s.java.start(); err != nil {
		s.t.Fatalf("restart: %v", err)
	}
}

// ExpireSession makes the server end session id, the way Curator's
// KillSession does: attach to the session from a second connection with
// its password (learnt by the proxy) and close it there. The client finds
// out when the server drops its connection and refuses the session.
func (s *testServer) ExpireSession(id int64) {
	s.t.Helper()
	pw, ok := s.proxy.password(id)
	if !ok {
		s.t.Fatalf("expire: no password seen for session 0x%x", id)
	}
	if err := closeSession(s.java.addr(), id, pw); err != nil {
		s.t.Fatalf("expire session 0x%x: %v", id, err)
	}
}

func closeSession(addr string, id int64, pw []byte) error {
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return err
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(scaled(10 * time.Second)))
	// ConnectRequest: protocolVersion, lastZxidSeen, timeOut, sessionId, passwd.
	body := make([]byte, 0, 64)
	body = binary.BigEndian.AppendUint32(body, 0)
	body = binary.BigEndian.AppendUint64(body, 0)
	body = binary.BigEndian.AppendUint32(body, 30000)
	body = binary.BigEndian.AppendUint64(body, uint64(id))
	body = binary.BigEndian.AppendUint32(body, uint32(len(pw)))
	body = append(body, pw...)
	if err := writeFrame(nc, body); err != nil {
		return err
	}
	resp, err := readFrame(nc)
	if err != nil {
		return fmt.Errorf("connect response: %w", err)
	}
	if got, _, ok := parseConnectResponse(resp[4:]); !ok || got != id {
		return nil // already expired
	}
	// closeSession: xid 1, opcode -11.
	req := binary.BigEndian.AppendUint32(nil, 1)
	req = binary.BigEndian.AppendUint32(req, uint32(0xfffffff5))
	if err := writeFrame(nc, req); err != nil {
		return err
	}
	if _, err := readFrame(nc); err != nil && err != io.EOF {
		return fmt.Errorf("close response: %w", err)
	}
	return nil
}

func writeFrame(w io.Writer, body []byte) error {
	frame := binary.BigEndian.AppendUint32(nil, uint32(len(body)))
	_, err := w.Write(append(frame, body...))
	return err
}

func skipWithoutJava(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("java"); err != nil {
		t.Skip("java not installed: apt-get install -y zookeeper to run the recipes tests")
	}
	if _, err := os.Stat(javaJar); err != nil {
		t.Skip("ZooKeeper not installed (" + javaJar + "): apt-get install -y zookeeper")
	}
}

var shared struct {
	once sync.Once
	srv  *javaServer
	dir  string
	err  error
}

// startTestServer gives the test its own proxy in front of a server shared
// by the package's tests (tests use distinct paths). Stop and Restart are
// not available; use startDedicatedServer for them.
func startTestServer(t testing.TB) *testServer {
	t.Helper()
	skipWithoutJava(t)
	shared.once.Do(func() {
		shared.dir, shared.err = os.MkdirTemp("", "recipes-zk-")
		if shared.err == nil {
			shared.srv, shared.err = newJavaServer(shared.dir)
		}
	})
	if shared.err != nil {
		t.Fatalf("shared server: %v", shared.err)
	}
	return &testServer{t: t, java: shared.srv, proxy: startProxy(t, shared.srv.addr())}
}

// startDedicatedServer starts a server for this test alone.
func startDedicatedServer(t testing.TB) *testServer {
	t.Helper()
	skipWithoutJava(t)
	j, err := newJavaServer(t.TempDir())
	if err != nil {
		t.Fatalf("server: %v", err)
	}
	t.Cleanup(j.stop)
	return &testServer{t: t, java: j, proxy: startProxy(t, j.addr()), own: true}
}

// stopSharedServer is called by TestMain after the tests.
func stopSharedServer() {
	if shared.srv != nil {
		shared.srv.stop()
	}
	if shared.dir != "" {
		os.RemoveAll(shared.dir)
	}
}

type javaServer struct {
	dir  string
	port int

	mu   sync.Mutex // guards cmd and done
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has been reaped
}

func newJavaServer(dir string) (*javaServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cfg := strings.Join([]string{
		"tickTime=200",
		"minSessionTimeout=400",
		"maxSessionTimeout=60000",
		"dataDir=" + filepath.Join(dir, "data"),
		"clientPort=" + strconv.Itoa(port),
		"clientPortAddress=127.0.0.1",
		"admin.enableServer=false",
		"4lw.commands.whitelist=*",
		"",
	}, "\n")
	if err := os.WriteFile(filepath.Join(dir, "zoo.cfg"), []byte(cfg), 0o644); err != nil {
		return nil, err
	}
	j := &javaServer{dir: dir, port: port}
	if err := j.start(); err != nil {
		return nil, err
	}
	return j, nil
}

func (j *javaServer) addr() string { return "127.0.0.1:" + strconv.Itoa(j.port) }

func (j *javaServer) start() error {
	logf, err := os.OpenFile(filepath.Join(j.dir, "server.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd := exec.Command("java", "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
		"-Dznode.container.checkIntervalMs=500",
		"-cp", javaJar+":"+slf4jJar,
		"org.apache.zookeeper.server.quorum.QuorumPeerMain", filepath.Join(j.dir, "zoo.cfg"))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	j.mu.Lock()
	j.cmd, j.done = cmd, done
	j.mu.Unlock()
	deadline := time.Now().Add(scaled(60 * time.Second))
	for time.Now().Before(deadline) {
		select {
		case <-done:
			return fmt.Errorf("zookeeper exited at start; see %s", filepath.Join(j.dir, "server.log"))
		default:
		}
		if j.serving() {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	j.stop()
	return fmt.Errorf("zookeeper did not start serving on %s", j.addr())
}

// serving asks the four-letter word srvr, answered once the server runs.
func (j *javaServer) serving() bool {
	nc, err := net.DialTimeout("tcp", j.addr(), time.Second)
	if err != nil {
		return false
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := nc.Write([]byte("srvr")); err != nil {
		return false
	}
	b, _ := io.ReadAll(nc)
	return strings.Contains(string(b), "Mode:")
}

func (j *javaServer) stop() {
	j.mu.Lock()
	cmd, done := j.cmd, j.done
	j.cmd = nil
	j.mu.Unlock()
	if cmd == nil {
		return
	}
	cmd.Process.Kill()
	<-done
}
