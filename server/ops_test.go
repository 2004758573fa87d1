package server_test

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/client"
	"github.com/zkit-go/zkit/internal/proto"
	"github.com/zkit-go/zkit/server"
	zktesting "github.com/zkit-go/zkit/testing"
)

func fourLetter(t *testing.T, addr, cmd string, extra ...byte) string {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer nc.Close()
	_, err = nc.Write(append([]byte(cmd), extra...))
	require.NoError(t, err)
	nc.SetReadDeadline(time.Now().Add(zktesting.Scale(10 * time.Second)))
	out, err := io.ReadAll(nc)
	require.NoError(t, err)
	return string(out)
}

// TestFourLetterWordFormats checks the shapes Java ZooKeeper 3.8.0 prints
// (captured from Debian's package for the same client actions).
func TestFourLetterWordFormats(t *testing.T) {
	srv := zktesting.StartServer(t)
	ctx := context.Background()
	c, err := client.Dial(ctx, srv.Addr(), client.WithSessionTimeout(30*time.Second))
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Create(ctx, "/a", []byte("x"), 0, proto.OpenACLUnsafe)
	require.NoError(t, err)
	_, err = c.Create(ctx, "/e", nil, proto.FlagEphemeral, proto.OpenACLUnsafe)
	require.NoError(t, err)
	_, _, err = c.GetData(ctx, "/a", true)
	require.NoError(t, err)
	sid := "0x" + strconv.FormatUint(uint64(c.SessionID()), 16)
	addr := srv.Addr()

	assert.Equal(t, "306", fourLetter(t, addr, "gtmk"))
	var mask [8]byte
	binary.BigEndian.PutUint64(mask[:], 42)
	assert.Equal(t, "42", fourLetter(t, addr, "stmk", mask[:]...))
	assert.Equal(t, "42", fourLetter(t, addr, "gtmk"))

	cons := fourLetter(t, addr, "cons")
	assert.True(t, strings.HasSuffix(cons, ")\n\n"), "cons ends with a blank line: %q", cons)
	assert.Regexp(t, regexp.MustCompile(`(?m)^ /127\.0\.0\.1:\d+\[1\]\(queued=0,recved=4,sent=4,sid=`+sid+
		`,lop=GETD,est=\d+,to=30000,lcxid=0x3,lzxid=0x[0-9a-f]+,lresp=\d+,llat=\d+,minlat=\d+,avglat=\d+,maxlat=\d+\)$`), cons)
	assert.Regexp(t, regexp.MustCompile(`(?m)^ /127\.0\.0\.1:\d+\[0\]\(queued=0,recved=1,sent=0\)$`), cons,
		"the asking connection in its short form")

	assert.Equal(t, sid+"\n\t/a\n\n", fourLetter(t, addr, "wchc"))
	assert.Equal(t, "/a\n\t"+sid+"\n\n", fourLetter(t, addr, "wchp"))
	assert.Equal(t, "1 connections watching 1 paths\nTotal watches:1\n", fourLetter(t, addr, "wchs"))

	dump := fourLetter(t, addr, "dump")
	assert.Regexp(t, regexp.MustCompile(`^SessionTracker dump:\nSession Sets \(1\)/\(1\):\n1 expire at \w{3} \w{3} \d\d \d\d:\d\d:\d\d \w+ \d{4}:\n\t`+sid+
		`\nephemeral nodes dump:\nSessions with Ephemerals \(1\):\n`+sid+`:\n\t/e\nConnections dump:\nConnections Sets \(\d\)/\(2\):\n`), dump)
	assert.Contains(t, dump, "\tip: /127.0.0.1:")

	srvr := fourLetter(t, addr, "srvr")
	assert.Regexp(t, regexp.MustCompile(`^Zookeeper version: .+\nLatency min/avg/max: \d+/\d+\.\d+/\d+\nReceived: \d+\nSent: \d+\n`+
		`Connections: 2\nOutstanding: 0\nZxid: 0x[0-9a-f]+\nMode: standalone\nNode count: 7\n$`), srvr)

	mntr := fourLetter(t, addr, "mntr")
	assert.True(t, strings.HasPrefix(mntr, "zk_version\t"))
	for _, line := range strings.Split(strings.TrimSuffix(mntr, "\n"), "\n") {
		assert.Regexp(t, `^zk_[a-z0-9_]+\t\S`, line)
	}
	for _, want := range []string{"zk_server_state\tstandalone\n", "zk_znode_count\t7\n", "zk_ephemerals_count\t1\n",
		"zk_num_alive_connections\t2\n", "zk_outstanding_requests\t0\n", "zk_watch_count\t1\n", "zk_p99_readlatency\t"} {
		assert.Contains(t, mntr, want)
	}

	assert.Equal(t, "Connection stats reset.\n", fourLetter(t, addr, "crst"))
	assert.Equal(t, "Server stats reset.\n", fourLetter(t, addr, "srst"))
	assert.Contains(t, fourLetter(t, addr, "mntr"), "zk_cnt_readlatency\t0\n", "srst resets the summaries")
	assert.Empty(t, fourLetter(t, addr, "hash"), "no digest logged before zxid 128")
}

func TestMetricsEndpoint(t *testing.T) {
	srv := zktesting.StartServer(t, zktesting.WithConfig(func(c *server.Config) {
		c.Properties = map[string]string{
			"admin.enableServer":        "false",
			"metricsProvider.className": server.PrometheusProvider,
			"metricsProvider.httpHost":  "127.0.0.1",
			"metricsProvider.httpPort":  "0",
		}
	}))
	ctx := context.Background()
	c, err := client.Dial(ctx, srv.Addr())
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Create(ctx, "/m", nil, 0, proto.OpenACLUnsafe)
	require.NoError(t, err)
	_, _, err = c.GetData(ctx, "/m", false)
	require.NoError(t, err)

	addr := srv.Server().MetricsAddr()
	require.NotNil(t, addr)
	assert.Nil(t, srv.Server().AdminAddr())
	resp, err := http.Get("http://" + addr.String() + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.True(t, strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain; version=0.0.4"))

	parser := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	require.NoError(t, err)
	gauge := func(n string) float64 {
		require.Contains(t, fams, n)
		return fams[n].Metric[0].GetGauge().GetValue()
	}
	typeOf := func(n string) dto.MetricType {
		require.Contains(t, fams, n)
		return fams[n].GetType()
	}
	assert.Equal(t, 6.0, gauge("znode_count")) // 5 nodes in a new tree, and /m
	assert.Equal(t, 1.0, gauge("num_alive_connections"))
	assert.Equal(t, dto.MetricType_GAUGE, typeOf("packets_received"))
	assert.Equal(t, dto.MetricType_SUMMARY, typeOf("readlatency"))
	assert.Equal(t, dto.MetricType_COUNTER, typeOf("connection_request_count"))
	assert.GreaterOrEqual(t, fams["readlatency"].Metric[0].GetSummary().GetSampleCount(), uint64(1))
	assert.GreaterOrEqual(t, fams["updatelatency"].Metric[0].GetSummary().GetSampleCount(), uint64(1))
	assert.Len(t, fams["readlatency"].Metric[0].GetSummary().Quantile, 3)
	assert.Contains(t, fams, "go_goroutines")
	assert.Contains(t, fams, "process_open_fds")

	resp2, err := http.Get("http://" + addr.String() + "/other")
	require.NoError(t, err)
	resp2.Body.Close()
	assert.Equal(t, http.StatusNotFound, resp2.StatusCode)
}

func TestOpsConfigErrors(t *testing.T) {
	for _, props := range []map[string]string{
		{"admin.serverPort": "x"},
		{"metricsProvider.className": "com.example.Nope"},
		{"metricsProvider.className": server.PrometheusProvider, "metricsProvider.httpPort": "-1"},
	} {
		cfg := server.DefaultConfig()
		cfg.DataDir = t.TempDir()
		cfg.Properties = props
		cfg.Properties["admin.enableServer"] = "false"
		_, err := server.New(cfg)
		var ce *server.ConfigError
		assert.True(t, errors.As(err, &ce), "%v: %v", props, err)
	}
}

func TestAdminPortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	cfg := server.DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.ClientPort = 0
	cfg.Properties = map[string]string{"admin.serverAddress": "127.0.0.1", "admin.serverPort": port}
	s, err := server.New(cfg)
	require.NoError(t, err)
	err = s.Start()
	assert.ErrorContains(t, err, "admin server")
	assert.NoError(t, s.Close())
}
