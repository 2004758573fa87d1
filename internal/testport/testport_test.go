package testport

import (
	"net"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestListenBelowEphemeral(t *testing.T) {
	lo := ephemeralLow()
	for range 20 {
		ln, err := Listen()
		require.NoError(t, err)
		port := ln.Addr().(*net.TCPAddr).Port
		require.NoError(t, ln.Close())
		if lo-16000 >= 1024 {
			require.Less(t, port, lo)
			require.GreaterOrEqual(t, port, lo-16000)
		}
	}
	p, err := Free()
	require.NoError(t, err)
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
	require.NoError(t, err, "a port from Free can be bound")
	require.NoError(t, ln.Close())
}
