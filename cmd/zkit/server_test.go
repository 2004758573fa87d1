package main

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseServerArgs(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want serverOptions
		err  string // "" for success; "usage" when the flag package reports it
	}{
		{"none", nil, serverOptions{logLevel: "info", logFormat: "text"}, ""},
		{"file", []string{"zoo.cfg"}, serverOptions{config: "zoo.cfg", logLevel: "info", logFormat: "text"}, ""},
		{"flags after file", []string{"zoo.cfg", "-port", "2182", "-data-dir", "/d"},
			serverOptions{config: "zoo.cfg", port: 2182, dataDir: "/d", logLevel: "info", logFormat: "text"}, ""},
		{"config flag", []string{"-config", "a.cfg", "-log-level", "debug", "-log-format", "json"},
			serverOptions{config: "a.cfg", logLevel: "debug", logFormat: "json"}, ""},
		{"same file twice", []string{"-config", "a.cfg", "a.cfg"}, serverOptions{config: "a.cfg", logLevel: "info", logFormat: "text"}, ""},
		{"check", []string{"-check", "zoo.cfg"}, serverOptions{config: "zoo.cfg", check: true, logLevel: "info", logFormat: "text"}, ""},
		{"from env", []string{"-from-env", "-config", "/conf/zoo.cfg"}, serverOptions{config: "/conf/zoo.cfg", fromEnv: true, logLevel: "info", logFormat: "text"}, ""},
		{"two files", []string{"a.cfg", "b.cfg"}, serverOptions{}, "at most one zoo.cfg"},
		{"conflicting files", []string{"-config", "a.cfg", "b.cfg"}, serverOptions{}, "zoo.cfg given twice"},
		{"port not a number", []string{"-port", "abc"}, serverOptions{}, "usage"},
		{"port zero", []string{"-port", "0"}, serverOptions{}, "usage"},
		{"port too big", []string{"-port", "65536"}, serverOptions{}, "usage"},
		{"unknown flag", []string{"-prot", "1"}, serverOptions{}, "usage"},
		{"bad level", []string{"-log-level", "loud"}, serverOptions{}, `unknown log level "loud"`},
		{"bad format", []string{"-log-format", "xml"}, serverOptions{}, `"xml" is not text or json`},
		{"check without file", []string{"-check"}, serverOptions{}, "-check needs a zoo.cfg"},
		{"from-env without file", []string{"-from-env"}, serverOptions{}, "-from-env needs -config"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			got, err := parseServerArgs(tc.args, &stderr)
			switch tc.err {
			case "":
				require.NoError(t, err)
				assert.Equal(t, tc.want, got)
			case "usage":
				assert.ErrorIs(t, err, errReported)
				assert.Contains(t, stderr.String(), "usage: zkit server", "the flag package printed the error and usage")
				assert.Contains(t, stderr.String(), tc.args[1])
			default:
				assert.ErrorContains(t, err, tc.err)
			}
		})
	}
}

func TestRunExitCodes(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.cfg")
	require.NoError(t, os.WriteFile(good, []byte("tickTime=2000\ndataDir="+dir+"/data\nclientPort=2181\n"), 0o644))
	bad := filepath.Join(dir, "bad.cfg")
	require.NoError(t, os.WriteFile(bad, []byte("tickTime=2000\ndataDir="+dir+"/data\nclientPort=2181\n"+
		"minSessionTimeout=50000\nmaxSessionTimeout=4000\n"), 0o644))
	for _, tc := range []struct {
		args           []string
		code           int
		stdout, stderr string
	}{
		{nil, 2, "", "usage: zkit <command>"},
		{[]string{"-h"}, 0, "usage: zkit <command>", ""},
		{[]string{"help"}, 0, "commands:", ""},
		{[]string{"nope"}, 2, "", `unknown command "nope"`},
		{[]string{"version"}, 0, "zkit ", ""},
		{[]string{"--version"}, 0, "ZooKeeper 3.8.0 protocol", ""},
		{[]string{"version", "extra"}, 2, "", "usage: zkit version"},
		{[]string{"server", "-h"}, 0, "", "-data-dir"},
		{[]string{"server", "--help"}, 0, "", "-log-format"},
		{[]string{"server", "-port", "x"}, 2, "", `invalid value "x" for flag -port`},
		{[]string{"server", "-check", good}, 0, good + ": OK", ""},
		{[]string{"server", "-check", bad}, 1, "", "minSessionTimeout"},
		{[]string{"server", "-check", filepath.Join(dir, "missing.cfg")}, 1, "", "no such file"},
		{[]string{"status", "-h"}, 0, "usage: zkit status", ""},
		{[]string{"cli", "-h"}, 0, "usage: zkit cli", ""},
		{[]string{"bench", "-h"}, 0, "", "-workload"},
		{[]string{"log", "-h"}, 0, "usage: zkit log", ""},
		{[]string{"snap", "--help"}, 0, "usage: zkit snap", ""},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(tc.args, strings.NewReader(""), &stdout, &stderr)
			assert.Equal(t, tc.code, code, "stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
			assert.Contains(t, stdout.String(), tc.stdout)
			assert.Contains(t, stderr.String(), tc.stderr)
		})
	}
}

func TestEveryCommandHasHelp(t *testing.T) {
	for name := range commands {
		var stdout, stderr bytes.Buffer
		code := run([]string{name, "-h"}, strings.NewReader(""), &stdout, &stderr)
		assert.Equal(t, 0, code, "%s -h", name)
		assert.Contains(t, stdout.String()+stderr.String(), "usage: zkit "+name, "%s -h", name)
	}
}

func TestServerConfigFlagsOverrideFile(t *testing.T) {
	dir := t.TempDir()
	other := filepath.Join(dir, "other")
	require.NoError(t, os.MkdirAll(other, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(other, "myid"), []byte("3\n"), 0o644))
	cfgPath := filepath.Join(dir, "zoo.cfg")
	require.NoError(t, os.WriteFile(cfgPath, []byte("tickTime=2000\ndataDir="+dir+"/data\nclientPort=2181\n"), 0o644))

	cfg, err := serverConfig(serverOptions{config: cfgPath, port: 3000, dataDir: other})
	require.NoError(t, err)
	assert.Equal(t, 3000, cfg.ClientPort)
	assert.Equal(t, other, cfg.DataDir)
	assert.Equal(t, int64(3), cfg.ServerID, "myid is read from the overriding data dir")

	member := filepath.Join(dir, "member.cfg")
	require.NoError(t, os.WriteFile(member, []byte("tickTime=2000\ndataDir="+other+"\n"+
		"server.1=127.0.0.1:2888:3888;2181\nserver.2=127.0.0.1:2889:3889;2182\nserver.3=127.0.0.1:2890:3890;2183\n"), 0o644))
	_, err = serverConfig(serverOptions{config: member, port: 3000})
	assert.ErrorContains(t, err, "server.3's line sets the client address")

	def, err := serverConfig(serverOptions{})
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1", def.ClientPortAddress, "no file: the README's zero-config default")
	assert.Equal(t, 2181, def.ClientPort)
	assert.Equal(t, "data", def.DataDir)
}

func TestHelpIsNotAnError(t *testing.T) {
	_, err := parseServerArgs([]string{"-h"}, io.Discard)
	assert.True(t, errors.Is(err, flag.ErrHelp))
}

// TestCheckReportsServerWarnings: what the server would only log at start
// (here SASL configured without a JAAS file, so nobody can log in) is part
// of -check's report, on stdout beside the verdict, not a stray log line.
func TestCheckReportsServerWarnings(t *testing.T) {
	t.Setenv("SERVER_JVMFLAGS", "")
	t.Setenv("JVMFLAGS", "")
	cfg := filepath.Join(t.TempDir(), "zoo.cfg")
	require.NoError(t, os.WriteFile(cfg, []byte("dataDir="+t.TempDir()+"\nclientPort=2181\n"+
		"authProvider.1=org.apache.zookeeper.server.auth.SASLAuthenticationProvider\n"), 0o644))
	var out, errb bytes.Buffer
	require.Equal(t, 0, run([]string{"server", "-check", cfg}, strings.NewReader(""), &out, &errb), "%s%s", out.String(), errb.String())
	assert.Empty(t, errb.String())
	assert.Contains(t, out.String(), cfg+": warning: SASL is configured for the client port but there is no JAAS file")
	assert.Contains(t, out.String(), "setting=java.security.auth.login.config\n")
	assert.True(t, strings.HasSuffix(out.String(), cfg+": OK\n"), out.String())
}
