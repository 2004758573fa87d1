package server_test

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/client/clienttest"
	"github.com/zkit-go/zkit/server"
	zktesting "github.com/zkit-go/zkit/testing"
)

// The same zoo.cfg lines and SERVER_JVMFLAGS on Java ZooKeeper 3.8 and on
// zkit: a -D of a QuorumPeerConfig field changes nothing, a zoo.cfg key
// overrides the zookeeper.* property of its name, and connections that
// never send a ConnectRequest are closed after the sessionless timeout.
func TestJVMFlagsMatchJava(t *testing.T) {
	flags := []string{"-Dzookeeper.tickTime=5000", "-Dzookeeper.4lw.commands.whitelist=srvr",
		"-Dzookeeper.nio.sessionlessCnxnTimeout=500"}
	// StartJavaServerWith writes tickTime=2000 and 4lw.commands.whitelist=*.
	js, err := clienttest.StartJavaServerWith(t.TempDir(), flags)
	if errors.Is(err, clienttest.ErrNoJava) {
		t.Skip(err)
	}
	require.NoError(t, err)
	defer js.Stop()

	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "zoo.cfg")
	require.NoError(t, os.WriteFile(cfgPath, []byte("tickTime=2000\ndataDir="+filepath.Join(dir, "data")+
		"\nclientPort=1\nclientPortAddress=127.0.0.1\nadmin.enableServer=false\n4lw.commands.whitelist=*\n"), 0o644))
	cfg, err := server.ParseConfig(cfgPath)
	require.NoError(t, err)
	cfg.ClientPort = 0 // an ephemeral port on 127.0.0.1
	require.NoError(t, cfg.ApplyJVMFlags(strings.Join(flags, " ")))
	cfg.Logger = discardLogger()
	zs, err := server.New(cfg)
	require.NoError(t, err)
	require.NoError(t, zs.Start())
	defer zs.Close()

	for name, addr := range map[string]string{"java": js.Addr, "zkit": zs.Addr().String()} {
		conf := clienttest.FourLetter(addr, "conf")
		assert.Contains(t, conf, "tickTime=2000\n", "%s: -Dzookeeper.tickTime is not read", name)
		assert.NotContains(t, conf, "not in the whitelist", "%s: zoo.cfg's whitelist wins over the -D", name)

		var idle []net.Conn
		for range 20 {
			nc, err := net.Dial("tcp", addr)
			require.NoError(t, err)
			idle = append(idle, nc)
		}
		deadline := time.Now().Add(zktesting.Scale(30 * time.Second))
		for i, nc := range idle {
			require.NoError(t, nc.SetReadDeadline(deadline))
			_, err := nc.Read(make([]byte, 1))
			var ne net.Error
			assert.False(t, errors.As(err, &ne) && ne.Timeout(), "%s: idle connection %d still open", name, i)
			nc.Close()
		}
	}
}
