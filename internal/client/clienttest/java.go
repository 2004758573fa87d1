package clienttest

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/zkit-go/zkit/internal/testport"
)

// JavaJar is where Debian's zookeeper package puts the server jar.
const JavaJar = "/usr/share/java/zookeeper.jar"

// ErrNoJava reports that Java ZooKeeper is not installed.
var ErrNoJava = errors.New("clienttest: java zookeeper not installed (apt-get install -y zookeeper)")

// JavaServer is a standalone Java ZooKeeper 3.8 run as an oracle.
type JavaServer struct {
	Addr string
	cmd  *exec.Cmd
	dir  string
	log  *os.File
}

// StartJavaServer starts a standalone Java ZooKeeper on a free loopback
// port with a fresh dataDir under dir, tickTime 2000 (session timeouts
// 4s–40s), TTL nodes enabled, every four-letter word allowed, and extra
// zoo.cfg lines. It returns ErrNoJava when the jar is absent.
func StartJavaServer(dir string, extra ...string) (*JavaServer, error) {
	return StartJavaServerWith(dir, nil, extra...)
}

// JavaFlags are the oracle's JVM settings (java-zookeeper-oracle.md): a
// 512 MiB heap, the serial collector and C1 only, for a quick start on
// small machines.
var JavaFlags = []string{"-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"}

// StartJavaServerWith is StartJavaServer with extra JVM flags, for the
// settings Java reads only as system properties (for example
// -Dznode.container.checkIntervalMs).
func StartJavaServerWith(dir string, jvmFlags []string, extra ...string) (*JavaServer, error) {
	if _, err := os.Stat(JavaJar); err != nil {
		return nil, ErrNoJava
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	data := filepath.Join(dir, "data")
	if err := os.MkdirAll(data, 0o755); err != nil {
		return nil, err
	}
	cfg := fmt.Sprintf("tickTime=2000\ndataDir=%s\nclientPort=%d\nclientPortAddress=127.0.0.1\n"+
		"admin.enableServer=false\n4lw.commands.whitelist=*\nextendedTypesEnabled=true\n%s\n",
		data, port, strings.Join(extra, "\n"))
	cfgPath := filepath.Join(dir, "zoo.cfg")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		return nil, err
	}
	s := &JavaServer{Addr: fmt.Sprintf("127.0.0.1:%d", port), dir: dir}
	if s.cmd, s.log, err = launchJava(cfgPath, filepath.Join(dir, "server.log"), jvmFlags); err != nil {
		return nil, err
	}
	if err := waitServing(s.Addr, Scale(60*time.Second)); err != nil {
		s.Stop()
		return nil, fmt.Errorf("clienttest: java zookeeper did not start; see %s", s.log.Name())
	}
	return s, nil
}

// launchJava starts QuorumPeerMain on cfgPath with the oracle's JVM flags
// plus jvmFlags, its output appended to logPath.
func launchJava(cfgPath, logPath string, jvmFlags []string) (*exec.Cmd, *os.File, error) {
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, nil, err
	}
	args := append(append([]string{}, JavaFlags...), jvmFlags...)
	args = append(args, "-cp", JavaClasspath,
		"org.apache.zookeeper.server.quorum.QuorumPeerMain", cfgPath)
	cmd := exec.Command("java", args...)
	cmd.Stdout, cmd.Stderr = logf, logf // files: no copying goroutines
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, nil, err
	}
	return cmd, logf, nil
}

// waitServing polls srvr on addr until it reports a Mode (ruok answers
// before the server serves; srvr reports a Mode once it does).
func waitServing(addr string, d time.Duration) error {
	deadline := time.Now().Add(d)
	for !strings.Contains(FourLetter(addr, "srvr"), "Mode:") {
		if time.Now().After(deadline) {
			return fmt.Errorf("clienttest: %s not serving after %v", addr, d)
		}
		time.Sleep(100 * time.Millisecond) // polling the server's port, not synchronising goroutines
	}
	return nil
}

// Stop kills the server and waits for it.
func (s *JavaServer) Stop() {
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	s.log.Close()
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

// freePort picks a port below the ephemeral range (package testport), so
// that a restarted member can bind it again.
func freePort() (int, error) { return testport.Free() }
