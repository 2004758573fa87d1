package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/server"
)

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestZooCfgFromEnv(t *testing.T) {
	got, err := zooCfgFromEnv(envOf(nil))
	require.NoError(t, err)
	assert.Equal(t, "dataDir=/data\ndataLogDir=/datalog\ntickTime=2000\ninitLimit=5\nsyncLimit=2\n"+
		"autopurge.snapRetainCount=3\nautopurge.purgeInterval=0\nmaxClientCnxns=60\nstandaloneEnabled=true\n"+
		"admin.enableServer=true\nclientPort=2181\n4lw.commands.whitelist=srvr,mntr,ruok\n", got)

	got, err = zooCfgFromEnv(envOf(map[string]string{
		"ZOO_TICK_TIME": "3000", "ZOO_INIT_LIMIT": "10", "ZOO_SYNC_LIMIT": "4",
		"ZOO_4LW_COMMANDS_WHITELIST": "*", "ZOO_ADMINSERVER_ENABLED": "false",
		"ZOO_SERVERS":                    "server.1=zk1:2888:3888;2181 server.2=zk2:2888:3888;2181 server.3=zk3:2888:3888;2181",
		"ZOO_CFG_EXTRA":                  "snapCount=5000 digest.enabled=false",
		"ZOO_METRICS_PROVIDER_HTTP_PORT": "7000",
	}))
	require.NoError(t, err)
	for _, l := range []string{"tickTime=3000\n", "initLimit=10\n", "syncLimit=4\n", "4lw.commands.whitelist=*\n",
		"admin.enableServer=false\n", "server.2=zk2:2888:3888;2181\n", "snapCount=5000\n", "digest.enabled=false\n",
		"metricsProvider.className=" + server.PrometheusProvider + "\n", "metricsProvider.httpPort=7000\n"} {
		assert.Contains(t, got, l)
	}

	for _, tc := range []struct{ key, val, err string }{
		{"ZOO_TICK_TIME", "2s", `ZOO_TICK_TIME="2s": want a non-negative integer`},
		{"ZOO_INIT_LIMIT", "-1", "ZOO_INIT_LIMIT"},
		{"ZOO_STANDALONE_ENABLED", "yes", `ZOO_STANDALONE_ENABLED="yes": want true or false`},
		{"ZOO_SERVERS", "zk1:2888:3888", "is not a server.N"},
		{"ZOO_CFG_EXTRA", "snapCount", "is not a key=value"},
		{"ZOO_MY_ID", "one", "ZOO_MY_ID"},
	} {
		_, err := zooCfgFromEnv(envOf(map[string]string{tc.key: tc.val}))
		assert.ErrorContains(t, err, tc.err, "%s=%s", tc.key, tc.val)
	}
}

// TestWriteConfigFromEnv writes the file and myid the way the official
// image's entrypoint does, and the result parses and validates.
func TestWriteConfigFromEnv(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "conf", "zoo.cfg")
	env := envOf(map[string]string{
		"ZOO_DATA_DIR": filepath.Join(dir, "data"), "ZOO_DATA_LOG_DIR": filepath.Join(dir, "datalog"),
		"ZOO_MY_ID": "2",
		"ZOO_SERVERS": "server.1=127.0.0.1:2888:3888;2181 server.2=127.0.0.1:2889:3889;2182 " +
			"server.3=127.0.0.1:2890:3890;2183",
	})
	require.NoError(t, writeConfigFromEnv(cfgPath, env))
	myid, err := os.ReadFile(filepath.Join(dir, "data", "myid"))
	require.NoError(t, err)
	assert.Equal(t, "2\n", string(myid))
	cfg, err := server.ParseConfig(cfgPath)
	require.NoError(t, err)
	assert.Equal(t, int64(2), cfg.ServerID)
	assert.Len(t, cfg.Servers, 3)
	require.NoError(t, server.Validate(cfg))

	// An existing file and myid are left alone.
	require.NoError(t, os.WriteFile(cfgPath, []byte("mine\n"), 0o644))
	require.NoError(t, writeConfigFromEnv(cfgPath, envOf(map[string]string{"ZOO_DATA_DIR": filepath.Join(dir, "data"), "ZOO_MY_ID": "9"})))
	b, _ := os.ReadFile(cfgPath)
	assert.Equal(t, "mine\n", string(b))
	myid, _ = os.ReadFile(filepath.Join(dir, "data", "myid"))
	assert.Equal(t, "2\n", string(myid))
}
