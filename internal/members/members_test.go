package members

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseLine(t *testing.T) {
	for _, tc := range []struct {
		key, value string
		want       Member
	}{
		{"server.1", "127.0.0.1:2888:3888", Member{ID: 1, Host: "127.0.0.1", QuorumPort: 2888, ElectionPort: 3888}},
		{"server.2", " h:1:2:Observer ", Member{ID: 2, Host: "h", QuorumPort: 1, ElectionPort: 2, Observer: true}},
		{"server.3", "h:1:2:participant;2181", Member{ID: 3, Host: "h", QuorumPort: 1, ElectionPort: 2, ClientAddr: "0.0.0.0:2181"}},
		{"server.4", "[::1]:1:2;[::1]:0", Member{ID: 4, Host: "::1", QuorumPort: 1, ElectionPort: 2, ClientAddr: "[::1]:0"}},
		{"server.5", "h:1:2;", Member{ID: 5, Host: "h", QuorumPort: 1, ElectionPort: 2}},
		{"server.0", "h:1:2;c:3", Member{ID: 0, Host: "h", QuorumPort: 1, ElectionPort: 2, ClientAddr: "c:3"}},
	} {
		t.Run(tc.key+"="+tc.value, func(t *testing.T) {
			m, err := ParseLine(tc.key, tc.value)
			require.NoError(t, err)
			require.Equal(t, tc.want, m)
			again, err := ParseLine(m.Key(), m.Value())
			require.NoError(t, err, "Format's line parses back")
			require.Equal(t, m, again)
		})
	}
}

func TestAddrs(t *testing.T) {
	m, err := ParseLine("server.1", "[::1]:2888:3888;2181")
	require.NoError(t, err)
	assert.Equal(t, "[::1]:2888", m.QuorumAddr())
	assert.Equal(t, "[::1]:3888", m.ElectionAddr())
	m, err = ParseLine("server.2", "h:1:2")
	require.NoError(t, err)
	assert.Equal(t, "h:1", m.QuorumAddr())
	assert.Equal(t, "h:2", m.ElectionAddr())
}

func TestParseLineRejects(t *testing.T) {
	for _, tc := range []struct{ key, value, says string }{
		{"server.x", "h:1:2", "non-negative number"},
		{"server.-1", "h:1:2", "non-negative number"},
		{"server.", "h:1:2", "non-negative number"},
		{"server.1", "", "want host:quorumPort"},
		{"server.1", "h:1", "want host:quorumPort"},
		{"server.1", "h:1:2:observer:x", "want host:quorumPort"},
		{"server.1", ":1:2", "bad host"},
		{"server.1", "[]:1:2", "bad host"},
		{"server.1", "a b:1:2", "bad host"},
		{"server.1", "h:x:2", "quorum port"},
		{"server.1", "h:0:2", "quorum port"},
		{"server.1", "h:65536:2", "quorum port"},
		{"server.1", "h:1:-2", "election port"},
		{"server.1", "h:1:1", "must differ"},
		{"server.1", "h:1:2:leader", "unknown role"},
		{"server.1", "h:1:2;x", "client port"},
		{"server.1", "h:1:2;70000", "client port"},
		{"server.1", "h:1:2;a:b:3", "client address"},
		{"server.1", "h:1:2;[]:3", "bad client host"},
		{"server.1", "h:1:2;3;4", "secure client"},
		{"server.1", "h:1:2|g:3:4", "multiple addresses"},
	} {
		t.Run(tc.key+"="+tc.value, func(t *testing.T) {
			_, err := ParseLine(tc.key, tc.value)
			require.ErrorIs(t, err, ErrBadLine)
			assert.Contains(t, err.Error(), tc.says)
		})
	}
}

func TestConfigTextIsJavas(t *testing.T) {
	// The text Java 3.8 shows in /zookeeper/config for a three-member
	// ensemble whose third line names a client port only.
	const java = "server.1=127.0.0.1:12881:13881:participant\n" +
		"server.2=127.0.0.1:12882:13882:participant\n" +
		"server.3=127.0.0.1:12883:13883:participant;0.0.0.0:12183\n" +
		"version=0"
	ms, v, err := ParseText("server.3=127.0.0.1:12883:13883;12183\nserver.1=127.0.0.1:12881:13881\n# c\nclientPort=1\nserver.2=127.0.0.1:12882:13882:participant\n")
	require.NoError(t, err)
	require.Equal(t, int64(0), v)
	require.Equal(t, java, string(ConfigText(ms, 0)))
	ms2, v2, err := ParseText(string(ConfigText(ms, 0x10000002b)))
	require.NoError(t, err)
	require.Equal(t, ms, ms2)
	require.Equal(t, int64(0x10000002b), v2)
}

func TestParseTextRejects(t *testing.T) {
	for _, text := range []string{
		"server.1=h:1:2\nserver.1=h:3:4",
		"server.1",
		"version=xyz",
		"server.1=h:1:2,server.2=h",
	} {
		_, _, err := ParseText(text)
		require.ErrorIs(t, err, ErrBadLine, text)
	}
}

func TestFileTexts(t *testing.T) {
	ms := []Member{
		{ID: 10, Host: "h", QuorumPort: 1, ElectionPort: 2},
		{ID: 2, Host: "h", QuorumPort: 3, ElectionPort: 4, Observer: true, ClientAddr: "0.0.0.0:5"},
	}
	// Sorted as strings: server.10 before server.2, the version among them.
	assert.Equal(t, "server.10=h:1:2:participant\nserver.2=h:3:4:observer;0.0.0.0:5", string(DynamicFileText(ms)))
	assert.Equal(t, "server.10=h:1:2:participant\nserver.2=h:3:4:observer;0.0.0.0:5\nversion=1f", string(NextFileText(ms, 0x1f)))
}

func TestQuorum(t *testing.T) {
	for n, want := range map[int]int{1: 1, 2: 2, 3: 2, 4: 3, 5: 3} {
		assert.Equal(t, want, Quorum(n), n)
	}
	voters := []int64{1, 2, 3}
	assert.True(t, IsQuorum(voters, map[int64]bool{1: true, 3: true}))
	assert.False(t, IsQuorum(voters, map[int64]bool{1: true, 4: true}))
}

func FuzzParseText(f *testing.F) {
	f.Add("server.1=127.0.0.1:1:2:participant;0.0.0.0:3\nversion=1a")
	f.Add("server.2=[::1]:1:2:observer,server.3=h:1:2")
	f.Fuzz(func(t *testing.T, s string) {
		ms, v, err := ParseText(s)
		if err != nil {
			return
		}
		// What parses prints back to text that parses to the same members.
		ms2, v2, err := ParseText(string(ConfigText(ms, v)))
		require.NoError(t, err)
		require.Equal(t, ms, ms2)
		require.Equal(t, v, v2)
	})
}
