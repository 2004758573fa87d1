package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The Docker image cannot be built here (no Docker engine); these tests
// check what the Dockerfile and the systemd unit refer to: the files and
// package the build copies exist, and the commands they run parse as the
// binary will parse them. docs/operations.md has the build/run/ruok
// commands.

const repoRoot = "../.."

// dockerInstructions returns the Dockerfile's instructions (continuation
// lines joined), keyed by keyword, in order.
func dockerInstructions(t *testing.T) [][2]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, "Dockerfile"))
	require.NoError(t, err)
	var out [][2]string
	var cur string
	for _, l := range strings.Split(string(b), "\n") {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "#") || (l == "" && cur == "") {
			continue
		}
		cur += l
		if strings.HasSuffix(cur, "\\") {
			cur = strings.TrimSuffix(cur, "\\") + " "
			continue
		}
		kw, rest, _ := strings.Cut(cur, " ")
		out = append(out, [2]string{strings.ToUpper(kw), strings.TrimSpace(rest)})
		cur = ""
	}
	return out
}

// execForm reads a JSON-array command, dropping the zkit binary itself.
func execForm(t *testing.T, s string) []string {
	t.Helper()
	var args []string
	require.NoError(t, json.Unmarshal([]byte(s), &args), s)
	require.NotEmpty(t, args)
	require.Equal(t, "/usr/local/bin/zkit", args[0])
	return args[1:]
}

func TestDockerfile(t *testing.T) {
	var entry, health []string
	var volumes []string
	var expose, env string
	for _, in := range dockerInstructions(t) {
		switch kw, arg := in[0], in[1]; kw {
		case "COPY":
			if strings.HasPrefix(arg, "--from") {
				continue
			}
			fs := strings.Fields(arg)
			for _, src := range fs[:len(fs)-1] {
				_, err := os.Stat(filepath.Join(repoRoot, src))
				assert.NoError(t, err, "COPY source %s", src)
			}
		case "RUN":
			if i := strings.Index(arg, "go build"); i >= 0 {
				fs := strings.Fields(arg[i:])
				for _, f := range fs {
					if strings.HasPrefix(f, "./") {
						_, err := os.Stat(filepath.Join(repoRoot, f, "main.go"))
						assert.NoError(t, err, "built package %s", f)
					}
				}
			}
		case "ENTRYPOINT":
			entry = execForm(t, arg)
		case "HEALTHCHECK":
			_, cmd, ok := strings.Cut(arg, "CMD ")
			require.True(t, ok, arg)
			health = execForm(t, cmd)
		case "VOLUME":
			require.NoError(t, json.Unmarshal([]byte(arg), &volumes))
		case "EXPOSE":
			expose = arg
		case "ENV":
			env = arg
		}
	}
	require.NotEmpty(t, entry, "ENTRYPOINT")
	require.Equal(t, "server", entry[0])
	o, err := parseServerArgs(entry[1:], &bytes.Buffer{})
	require.NoError(t, err, "ENTRYPOINT flags")
	assert.True(t, o.fromEnv)
	assert.Equal(t, "/conf/zoo.cfg", o.config)

	require.NotEmpty(t, health, "HEALTHCHECK")
	assert.Equal(t, "status", health[0])
	_, _, _, err = statusTarget(health[1], &bytes.Buffer{}, &bytes.Buffer{})
	assert.NoError(t, err, "HEALTHCHECK target")

	assert.Contains(t, volumes, envDefaults["ZOO_DATA_DIR"])
	assert.Contains(t, volumes, envDefaults["ZOO_DATA_LOG_DIR"])
	assert.Contains(t, env, "ZOO_DATA_DIR="+envDefaults["ZOO_DATA_DIR"])
	for _, p := range []string{envDefaults["ZOO_CLIENT_PORT"], "2888", "3888", "8080", "7000"} {
		assert.Contains(t, strings.Fields(expose), p)
	}
}

func TestSystemdUnit(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot, "deploy", "zkit.service"))
	require.NoError(t, err)
	var execs int
	for _, l := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(l, "=")
		if !ok || (k != "ExecStart" && k != "ExecStartPre") {
			continue
		}
		execs++
		args := strings.Fields(v)
		require.Equal(t, "/usr/local/bin/zkit", args[0], l)
		require.Equal(t, "server", args[1], l)
		o, err := parseServerArgs(args[2:], &bytes.Buffer{})
		require.NoError(t, err, l)
		assert.Equal(t, "/etc/zkit/zoo.cfg", o.config, l)
	}
	assert.Equal(t, 2, execs)
}

func TestLicense(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot, "LICENSE"))
	require.NoError(t, err)
	assert.Contains(t, string(b), "Apache License")
	assert.Contains(t, string(b), "Version 2.0, January 2004")
}
