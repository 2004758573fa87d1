package main

import (
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPprofEndpointOffByDefault(t *testing.T) {
	p, err := startPprof("", slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, err)
	require.Nil(t, p)
	p.stop() // a nil endpoint stops as a no-op
}

func TestPprofEndpointRefusesNonLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "[::]:0", "example.com:6060", "127.0.0.1"} {
		_, err := startPprof(addr, slog.New(slog.NewTextHandler(io.Discard, nil)))
		require.ErrorIs(t, err, errPprofAddr, addr)
	}
}

func TestPprofEndpointServesOnLoopback(t *testing.T) {
	var logs strings.Builder
	p, err := startPprof("127.0.0.1:0", slog.New(slog.NewTextHandler(&logs, nil)))
	require.NoError(t, err)
	defer p.stop()
	i := strings.Index(logs.String(), "http://")
	require.GreaterOrEqual(t, i, 0, logs.String())
	url := strings.Fields(logs.String()[i:])[0]
	resp, err := http.Get(url + "cmdline")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.NotEmpty(t, body)
}
