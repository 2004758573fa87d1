package admin_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/admin"
	"github.com/zkit-go/zkit/internal/client"
	"github.com/zkit-go/zkit/internal/proto"
	"github.com/zkit-go/zkit/server"
	zktesting "github.com/zkit-go/zkit/testing"
)

// javaKeys are the top-level keys of Java ZooKeeper 3.8.0's AdminServer
// responses for a standalone server (captured from Debian's zookeeper
// package with Jetty on the classpath), without "command" and "error".
var javaKeys = map[string][]string{
	"ruok":                           {},
	"server_stats":                   {"version", "read_only", "server_stats", "client_response", "node_count"},
	"stats":                          {"version", "read_only", "server_stats", "client_response", "node_count", "connections", "secure_connections"},
	"configuration":                  {"client_port", "data_dir", "data_log_dir", "tick_time", "max_client_cnxns", "min_session_timeout", "max_session_timeout", "server_id", "client_port_listen_backlog"},
	"connections":                    {"connections", "secure_connections"},
	"dump":                           {"expiry_time_to_session_ids", "session_id_to_ephemeral_paths"},
	"dirs":                           {"datadir_size", "logdir_size"},
	"watch_summary":                  {"num_connections", "num_paths", "num_total_watches"},
	"watches":                        {"session_id_to_watched_paths"},
	"watches_by_path":                {"path_to_session_ids"},
	"is_read_only":                   {"read_only"},
	"connection_stat_reset":          {},
	"stat_reset":                     {},
	"get_trace_mask":                 {"tracemask"},
	"hash":                           {"digests"},
	"last_snapshot":                  {"zxid", "timestamp"},
	"initial_configuration":          {"initial_configuration"},
	"voting_view":                    {"current_config"},
	"zabstate":                       {"voting", "zabstate"},
	"observers":                      {"synced_observers", "observers"},
	"observer_connection_stat_reset": {},
}

// javaServerStatsKeys are the keys of server_stats.server_stats.
var javaServerStatsKeys = []string{"packets_sent", "packets_received", "fsync_threshold_exceed_count",
	"client_response_stats", "data_dir_size", "log_dir_size", "provider_null", "server_state",
	"last_processed_zxid", "outstanding_requests", "avg_latency", "max_latency", "min_latency",
	"num_alive_client_connections", "uptime", "auth_failed_count", "non_mtlsremote_conn_count",
	"non_mtlslocal_conn_count"}

// javaConnKeys are the keys of a connection with a session in cons.
var javaConnKeys = []string{"remote_socket_address", "interest_ops", "outstanding_requests", "packets_received",
	"packets_sent", "session_id", "last_operation", "established", "session_timeout", "last_cxid", "last_zxid",
	"last_response_time", "last_latency", "min_latency", "avg_latency", "max_latency"}

func startAdmin(t *testing.T) (*zktesting.Server, string) {
	t.Helper()
	srv := zktesting.StartServer(t, zktesting.WithConfig(func(c *server.Config) {
		c.Properties = map[string]string{
			"admin.enableServer":     "true",
			"admin.serverAddress":    "127.0.0.1",
			"admin.serverPort":       "0",
			"4lw.commands.whitelist": "*",
		}
	}))
	addr := srv.Server().AdminAddr()
	require.NotNil(t, addr)
	return srv, "http://" + addr.String() + admin.DefaultCommandURL
}

func get(t *testing.T, url string) (int, string, string) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
}

func getJSON(t *testing.T, url string) map[string]any {
	t.Helper()
	code, ctype, body := get(t, url)
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "application/json", ctype)
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(body), &m), body)
	return m
}

func keysOf(m map[string]any) []string {
	ks := []string{}
	for k := range m {
		if k != "command" && k != "error" {
			ks = append(ks, k)
		}
	}
	sort.Strings(ks)
	return ks
}

func sorted(s []string) []string {
	s = append([]string{}, s...)
	sort.Strings(s)
	return s
}

func TestCommandsMatchJava(t *testing.T) {
	srv, base := startAdmin(t)
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

	for name, keys := range javaKeys {
		t.Run(name, func(t *testing.T) {
			m := getJSON(t, base+"/"+name)
			assert.Equal(t, name, m["command"])
			assert.Nil(t, m["error"])
			assert.Contains(t, m, "error")
			assert.Equal(t, sorted(keys), keysOf(m))
		})
	}

	stats := getJSON(t, base+"/srvr")["server_stats"].(map[string]any)
	assert.Equal(t, sorted(javaServerStatsKeys), keysOf(stats))
	assert.Equal(t, "standalone", stats["server_state"])

	conns := getJSON(t, base+"/cons")["connections"].([]any)
	require.NotEmpty(t, conns)
	var withSession int
	for _, x := range conns {
		if m := x.(map[string]any); m["session_id"] != nil {
			withSession++
			assert.Equal(t, sorted(javaConnKeys), keysOf(m))
			assert.Equal(t, float64(c.SessionID()), m["session_id"])
		}
	}
	assert.Equal(t, 1, withSession)

	dump := getJSON(t, base+"/dump")
	eph := dump["session_id_to_ephemeral_paths"].(map[string]any)
	assert.Len(t, eph, 1)
	for _, paths := range eph {
		assert.Equal(t, []any{"/e"}, paths)
	}
	wchp := getJSON(t, base+"/wchp")["path_to_session_ids"].(map[string]any)
	assert.Equal(t, []any{float64(c.SessionID())}, wchp["/a"])

	mntr := getJSON(t, base+"/mntr")
	assert.Equal(t, "standalone", mntr["server_state"])
	for _, k := range []string{"znode_count", "packets_received", "num_alive_connections", "avg_latency",
		"outstanding_requests", "watch_count", "ephemerals_count", "p99_readlatency", "cnt_updatelatency"} {
		assert.Contains(t, mntr, k)
	}
	assert.EqualValues(t, 1, mntr["ephemerals_count"])
}

func TestAliasesAndErrors(t *testing.T) {
	_, base := startAdmin(t)
	for alias, primary := range map[string]string{
		"srvr": "server_stats", "stat": "stats", "conf": "configuration", "config": "configuration",
		"cons": "connections", "mntr": "monitor", "envi": "environment", "env": "environment",
		"wchs": "watch_summary", "wchc": "watches", "wchp": "watches_by_path", "isro": "is_read_only",
		"crst": "connection_stat_reset", "srst": "stat_reset", "gtmk": "get_trace_mask", "stmk": "set_trace_mask",
		"lsnp": "last_snapshot", "icfg": "initial_configuration", "sysp": "system_properties",
		"lead": "leader", "obsr": "observers", "orst": "observer_connection_stat_reset",
	} {
		assert.Equal(t, primary, getJSON(t, base+"/"+alias)["command"], alias)
	}

	m := getJSON(t, base+"/nope")
	assert.Equal(t, "nope", m["command"])
	assert.Equal(t, "Unknown command: nope", m["error"])

	m = getJSON(t, base+"/stmk")
	assert.Equal(t, "setTraceMask requires long traceMask argument", m["error"])
	m = getJSON(t, base+"/stmk?traceMask=42")
	assert.EqualValues(t, 42, m["tracemask"])
	assert.EqualValues(t, 42, getJSON(t, base+"/gtmk")["tracemask"])

	assert.Equal(t, "server is not initialized", getJSON(t, base+"/leader")["error"])

	code, ctype, body := get(t, base)
	assert.Equal(t, http.StatusOK, code)
	assert.True(t, strings.HasPrefix(ctype, "text/html"))
	assert.Contains(t, body, `<a href="/commands/server_stats">server_stats</a>`+"\n<br/>\n")
	assert.Equal(t, len(admin.PrimaryNames()), strings.Count(body, "<br/>"))

	code, _, _ = get(t, strings.TrimSuffix(base, "/commands")+"/other")
	assert.Equal(t, http.StatusNotFound, code)
	code, _, _ = get(t, base+"x")
	assert.Equal(t, http.StatusNotFound, code)
}

func TestAdminDisabledByDefault(t *testing.T) {
	srv := zktesting.StartServer(t)
	assert.Nil(t, srv.Server().AdminAddr(), "testing.StartServer runs no AdminServer")
	assert.Nil(t, srv.Server().MetricsAddr())
}

func TestObjectOrder(t *testing.T) {
	var o admin.Object
	o.Set("b", 1)
	o.Set("a", "x")
	o.Set("b", 2)
	b, err := json.Marshal(&o)
	require.NoError(t, err)
	assert.Equal(t, `{"b":2,"a":"x"}`, string(b))
	assert.Equal(t, []string{"b", "a"}, o.Keys())
}
