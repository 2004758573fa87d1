package server_test

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/server"
	zktesting "github.com/zkit-go/zkit/testing"
)

// TestReconfigRewritesStaticConfig runs three members from zoo.cfg files
// with reconfig enabled, as an operator would: at the first leader each
// keeps zoo.cfg.bak, writes zoo.cfg.dynamic.100000000 and points its
// zoo.cfg at it (what Java 3.8 does); after a reconfig removes member 3,
// members 1 and 2 restarted from their zoo.cfg come back as a two-member
// ensemble with the committed configuration and every write.
func TestReconfigRewritesStaticConfig(t *testing.T) {
	base := t.TempDir()
	type member struct {
		id                       int64
		dir, cfg                 string
		client, quorum, election int
		srv                      *server.Server
	}
	port := func() int {
		p, err := zktesting.FreePort()
		require.NoError(t, err)
		return p
	}
	ms := make([]*member, 3)
	var serverLines []string
	for i := range ms {
		m := &member{id: int64(i + 1), dir: filepath.Join(base, fmt.Sprint(i+1)), client: port(), quorum: port(), election: port()}
		m.cfg = filepath.Join(m.dir, "zoo.cfg")
		ms[i] = m
		// Member 1's line names its client address; the others take
		// clientPort from the static keys.
		line := fmt.Sprintf("server.%d=127.0.0.1:%d:%d", m.id, m.quorum, m.election)
		if m.id == 1 {
			line += fmt.Sprintf(";127.0.0.1:%d", m.client)
		}
		serverLines = append(serverLines, line)
	}
	for _, m := range ms {
		data := filepath.Join(m.dir, "data")
		require.NoError(t, os.MkdirAll(data, 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(data, "myid"), []byte(fmt.Sprintf("%d\n", m.id)), 0o644))
		text := fmt.Sprintf("tickTime=200\ninitLimit=10\nsyncLimit=5\ndataDir=%s\nclientPort=%d\nclientPortAddress=127.0.0.1\n"+
			"admin.enableServer=false\nreconfigEnabled=true\nDigestAuthenticationProvider.superDigest=super:D/InIHSb7yEEbrWz8b9l71RjZJU=\n%s\n",
			data, m.client, strings.Join(serverLines, "\n"))
		require.NoError(t, os.WriteFile(m.cfg, []byte(text), 0o644))
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	start := func(m *member) {
		cfg, err := server.ParseConfig(m.cfg)
		require.NoError(t, err, "member %d", m.id)
		cfg.Logger = logger
		m.srv, err = server.New(cfg)
		require.NoError(t, err)
		require.NoError(t, m.srv.Start())
		t.Cleanup(func() { m.srv.Close() })
	}
	waitServing := func(ms ...*member) {
		for _, m := range ms {
			select {
			case <-m.srv.Ready():
			case <-time.After(zktesting.Scale(30 * time.Second)):
				t.Fatalf("member %d did not start serving", m.id)
			}
		}
	}
	for _, m := range ms {
		start(m)
	}
	waitServing(ms...)

	const v0 = "100000000"
	dynamic0 := strings.Join([]string{
		fmt.Sprintf("server.1=127.0.0.1:%d:%d:participant;127.0.0.1:%d", ms[0].quorum, ms[0].election, ms[0].client),
		fmt.Sprintf("server.2=127.0.0.1:%d:%d:participant", ms[1].quorum, ms[1].election),
		fmt.Sprintf("server.3=127.0.0.1:%d:%d:participant", ms[2].quorum, ms[2].election),
	}, "\n")
	// dynamicFile waits for m's zoo.cfg to point at its dynamic file of
	// version v and returns that file's text.
	dynamicFile := func(m *member, v string) string {
		dyn := m.cfg + ".dynamic." + v
		zktesting.Eventually(t, 30*time.Second, func() bool {
			b, err := os.ReadFile(m.cfg)
			return err == nil && strings.Contains(string(b), "dynamicConfigFile="+dyn+"\n")
		}, fmt.Sprintf("member %d's zoo.cfg to point at %s", m.id, dyn))
		b, err := os.ReadFile(dyn)
		require.NoError(t, err)
		return string(b)
	}
	for _, m := range ms {
		assert.Equal(t, dynamic0, dynamicFile(m, v0), "member %d", m.id)
		static, err := os.ReadFile(m.cfg)
		require.NoError(t, err)
		assert.NotContains(t, string(static), "server.")
		assert.Equal(t, m.id != 1, strings.Contains(string(static), "clientPort="),
			"member %d: the client port stays only where the server line does not name it", m.id)
		bak, err := os.ReadFile(m.cfg + ".bak")
		require.NoError(t, err)
		assert.Contains(t, string(bak), "server.3=")
	}

	addrs := make([]string, len(ms))
	for i, m := range ms {
		addrs[i] = fmt.Sprintf("127.0.0.1:%d", m.client)
	}
	c, ev, err := zk.Connect(addrs[:2], 10*time.Second, zk.WithLogger(nopLogger{}))
	require.NoError(t, err)
	defer c.Close()
	waitState(t, ev, zk.StateHasSession)
	require.NoError(t, c.AddAuth("digest", []byte("super:test")))
	_, err = c.Create("/kept", []byte("v"), 0, zk.WorldACL(zk.PermAll))
	require.NoError(t, err)
	zktesting.Eventually(t, 30*time.Second, func() bool {
		// The reply is lost when member 3 led: every role ends at the commit.
		_, err = c.IncrementalReconfig(nil, []string{"3"}, -1)
		return err == nil || err == zk.ErrBadVersion
	}, "the reconfig to commit")
	var v1 string
	zktesting.Eventually(t, 30*time.Second, func() bool {
		data, _, err := c.Get("/zookeeper/config")
		if err != nil || strings.Contains(string(data), "server.3=") {
			return false
		}
		v1 = string(data[strings.LastIndex(string(data), "version=")+len("version="):])
		return true
	}, "the removal to show in /zookeeper/config")
	committed := strings.Join(strings.Split(dynamic0, "\n")[:2], "\n")
	for _, m := range ms {
		assert.Equal(t, committed, dynamicFile(m, v1), "member %d", m.id)
	}

	c.Close()
	for _, m := range ms {
		require.NoError(t, m.srv.Close())
	}
	start(ms[0])
	start(ms[1])
	waitServing(ms[0], ms[1])
	c2, ev2, err := zk.Connect(addrs[:2], 10*time.Second, zk.WithLogger(nopLogger{}))
	require.NoError(t, err)
	defer c2.Close()
	waitState(t, ev2, zk.StateHasSession)
	_, err = c2.Sync("/")
	require.NoError(t, err)
	data, _, err := c2.Get("/zookeeper/config")
	require.NoError(t, err)
	assert.Equal(t, committed+"\nversion="+v1, string(data))
	got, _, err := c2.Get("/kept")
	require.NoError(t, err)
	assert.Equal(t, "v", string(got))
}
