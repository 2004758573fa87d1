package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// The official ZooKeeper Docker image configures itself from ZOO_*
// environment variables when /conf/zoo.cfg does not exist (its
// docker-entrypoint.sh). `zkit server -from-env -config <file>` does the
// same, so a zkit container takes the same settings: it writes <file> from
// the environment when it is missing, and dataDir/myid from ZOO_MY_ID when
// that is missing, then serves.

// envDefaults are the official image's defaults.
var envDefaults = map[string]string{
	"ZOO_DATA_DIR":                   "/data",
	"ZOO_DATA_LOG_DIR":               "/datalog",
	"ZOO_TICK_TIME":                  "2000",
	"ZOO_INIT_LIMIT":                 "5",
	"ZOO_SYNC_LIMIT":                 "2",
	"ZOO_AUTOPURGE_PURGEINTERVAL":    "0",
	"ZOO_AUTOPURGE_SNAPRETAINCOUNT":  "3",
	"ZOO_MAX_CLIENT_CNXNS":           "60",
	"ZOO_STANDALONE_ENABLED":         "true",
	"ZOO_ADMINSERVER_ENABLED":        "true",
	"ZOO_4LW_COMMANDS_WHITELIST":     "srvr,mntr,ruok",
	"ZOO_CLIENT_PORT":                "2181",
	"ZOO_METRICS_PROVIDER_HTTP_PORT": "",
}

// envNumbers must be non-negative integers.
var envNumbers = []string{
	"ZOO_TICK_TIME", "ZOO_INIT_LIMIT", "ZOO_SYNC_LIMIT", "ZOO_AUTOPURGE_PURGEINTERVAL",
	"ZOO_AUTOPURGE_SNAPRETAINCOUNT", "ZOO_MAX_CLIENT_CNXNS", "ZOO_CLIENT_PORT", "ZOO_MY_ID",
	"ZOO_METRICS_PROVIDER_HTTP_PORT",
}

// zooCfgFromEnv renders the zoo.cfg the official image would write for the
// environment getenv reads.
func zooCfgFromEnv(getenv func(string) string) (string, error) {
	get := func(k string) string {
		if v := strings.TrimSpace(getenv(k)); v != "" {
			return v
		}
		return envDefaults[k]
	}
	for _, k := range envNumbers {
		if v := get(k); v != "" {
			if n, err := strconv.Atoi(v); err != nil || n < 0 {
				return "", fmt.Errorf("%s=%q: want a non-negative integer", k, v)
			}
		}
	}
	for _, k := range []string{"ZOO_STANDALONE_ENABLED", "ZOO_ADMINSERVER_ENABLED"} {
		if v := get(k); v != "true" && v != "false" {
			return "", fmt.Errorf("%s=%q: want true or false", k, v)
		}
	}
	var b strings.Builder
	line := func(k, v string) { fmt.Fprintf(&b, "%s=%s\n", k, v) }
	line("dataDir", get("ZOO_DATA_DIR"))
	line("dataLogDir", get("ZOO_DATA_LOG_DIR"))
	line("tickTime", get("ZOO_TICK_TIME"))
	line("initLimit", get("ZOO_INIT_LIMIT"))
	line("syncLimit", get("ZOO_SYNC_LIMIT"))
	line("autopurge.snapRetainCount", get("ZOO_AUTOPURGE_SNAPRETAINCOUNT"))
	line("autopurge.purgeInterval", get("ZOO_AUTOPURGE_PURGEINTERVAL"))
	line("maxClientCnxns", get("ZOO_MAX_CLIENT_CNXNS"))
	line("standaloneEnabled", get("ZOO_STANDALONE_ENABLED"))
	line("admin.enableServer", get("ZOO_ADMINSERVER_ENABLED"))
	// The image's default server line (server.1=localhost:2888:3888;2181)
	// only names the client port; zkit says so directly.
	line("clientPort", get("ZOO_CLIENT_PORT"))
	line("4lw.commands.whitelist", get("ZOO_4LW_COMMANDS_WHITELIST"))
	if p := get("ZOO_METRICS_PROVIDER_HTTP_PORT"); p != "" {
		line("metricsProvider.className", "org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider")
		line("metricsProvider.httpPort", p)
	}
	for _, s := range strings.Fields(getenv("ZOO_SERVERS")) {
		if !strings.HasPrefix(s, "server.") || !strings.Contains(s, "=") {
			return "", fmt.Errorf("ZOO_SERVERS: %q is not a server.N=host:port:port[;clientPort] entry", s)
		}
		b.WriteString(s + "\n")
	}
	for _, s := range strings.Fields(getenv("ZOO_CFG_EXTRA")) {
		if !strings.Contains(s, "=") {
			return "", fmt.Errorf("ZOO_CFG_EXTRA: %q is not a key=value entry", s)
		}
		b.WriteString(s + "\n")
	}
	return b.String(), nil
}

// writeConfigFromEnv writes path from the environment unless it exists,
// and dataDir/myid from ZOO_MY_ID (default 1) unless that exists, as the
// official image's entrypoint does.
func writeConfigFromEnv(path string, getenv func(string) string) error {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		cfg, err := zooCfgFromEnv(getenv)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	dataDir := strings.TrimSpace(getenv("ZOO_DATA_DIR"))
	if dataDir == "" {
		dataDir = envDefaults["ZOO_DATA_DIR"]
	}
	myid := filepath.Join(dataDir, "myid")
	if _, err := os.Stat(myid); errors.Is(err, os.ErrNotExist) {
		id := strings.TrimSpace(getenv("ZOO_MY_ID"))
		if id == "" {
			id = "1"
		}
		if n, err := strconv.ParseInt(id, 10, 64); err != nil || n < 1 {
			return fmt.Errorf("ZOO_MY_ID=%q: want a positive integer", id)
		}
		if err := os.MkdirAll(dataDir, 0o755); err != nil {
			return err
		}
		return os.WriteFile(myid, []byte(id+"\n"), 0o644)
	}
	return nil
}
