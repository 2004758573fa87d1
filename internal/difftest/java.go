package difftest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/zkit-go/zkit/internal/client/clienttest"
)

// javaServer is a standalone Java ZooKeeper 3.8 run as the oracle. It is
// clienttest.StartJavaServer plus JVM system properties: Java reads
// znode.container.checkIntervalMs only as a bare system property (zoo.cfg
// keys become zookeeper.* properties, which ContainerManager ignores).
type javaServer struct {
	addr string
	cmd  *exec.Cmd
	log  *os.File
}

// JavaHeapFlags are the oracle's JVM settings (java-zookeeper-oracle.md):
// a 512 MiB heap, the serial collector and C1 only, for quick start-up on
// small machines.
var JavaHeapFlags = []string{"-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"}

func startJava(dir string, jvmFlags []string, cfgLines ...string) (*javaServer, error) {
	if _, err := os.Stat(clienttest.JavaJar); err != nil {
		return nil, clienttest.ErrNoJava
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	data := filepath.Join(dir, "data")
	if err := os.MkdirAll(data, 0o755); err != nil {
		return nil, err
	}
	cfg := fmt.Sprintf("tickTime=2000\ndataDir=%s\nclientPort=%d\nclientPortAddress=127.0.0.1\n"+
		"admin.enableServer=false\n4lw.commands.whitelist=*\nextendedTypesEnabled=true\n%s\n",
		data, port, strings.Join(cfgLines, "\n"))
	cfgPath := filepath.Join(dir, "zoo.cfg")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		return nil, err
	}
	logf, err := os.Create(filepath.Join(dir, "server.log"))
	if err != nil {
		return nil, err
	}
	args := append(append([]string{}, JavaHeapFlags...), jvmFlags...)
	args = append(args, "-cp", clienttest.JavaJar+":/usr/share/java/slf4j-simple.jar",
		"org.apache.zookeeper.server.quorum.QuorumPeerMain", cfgPath)
	cmd := exec.Command("java", args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	s := &javaServer{addr: fmt.Sprintf("127.0.0.1:%d", port), cmd: cmd, log: logf}
	deadline := time.Now().Add(scale(60 * time.Second))
	for !strings.Contains(clienttest.FourLetter(s.addr, "srvr"), "Mode:") {
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("difftest: java zookeeper did not start; see %s", logf.Name())
		}
		time.Sleep(100 * time.Millisecond) // polling the server's port, not synchronising goroutines
	}
	return s, nil
}

func (s *javaServer) stop() {
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	s.log.Close()
}
