package server_test

import (
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/server"
	zktesting "github.com/zkit-go/zkit/testing"
)

// A zoo.cfg without clientPort serves no plaintext clients, as ZooKeeper
// does, rather than listening on a random port on every interface.
func TestNoClientPortNoListener(t *testing.T) {
	for _, lines := range [][]string{nil, {"clientPort=0"}} {
		c, err := server.ParseConfig(writeCfg(t, lines...))
		require.NoError(t, err)
		c.Logger = discardLogger()
		s, err := server.New(c)
		require.NoError(t, err)
		require.NoError(t, s.Start())
		select {
		case <-s.Ready():
		case <-time.After(zktesting.Scale(10 * time.Second)):
			t.Fatal("server not ready")
		}
		assert.Nil(t, s.Addr(), "no client listener")
		assert.Equal(t, "imok", s.FourLetterWord("ruok"), "the server runs")
		assert.Contains(t, s.FourLetterWord("conf"), "clientPort=-1\n", "as ZooKeeperServer.getClientPort")
		require.NoError(t, s.Close())
	}
}

// An embedder asks for an ephemeral port on loopback with ClientPort 0 and
// an address.
func TestEphemeralLoopbackClientPort(t *testing.T) {
	c := server.DefaultConfig()
	c.DataDir = t.TempDir()
	c.ClientPort = 0
	c.ClientPortAddress = "127.0.0.1"
	c.Logger = discardLogger()
	s, err := server.New(c)
	require.NoError(t, err)
	require.NoError(t, s.Start())
	defer s.Close()
	addr, ok := s.Addr().(*net.TCPAddr)
	require.True(t, ok)
	assert.True(t, addr.IP.IsLoopback())
	assert.NotZero(t, addr.Port)
	nc, err := net.Dial("tcp", addr.String())
	require.NoError(t, err)
	nc.Close()
}
