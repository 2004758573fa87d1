package quorum

import (
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/election"
	"github.com/zkit-go/zkit/internal/jute"
	"github.com/zkit-go/zkit/internal/members"
	"github.com/zkit-go/zkit/internal/proto"
	"github.com/zkit-go/zkit/internal/quorumnet"
	"github.com/zkit-go/zkit/internal/zab"
)

func TestConfigTextIsJavas(t *testing.T) {
	// The peer prints /zookeeper/config, NEWLEADER's and a reconfig's
	// text with members.ConfigText; these are the bytes the peer's own
	// printer gave before it was dropped for it (QuorumMaj.toString's
	// form: lines by id, the role always named, IPv6 in brackets, a client
	// address only when the line has one, the version in hex, no final
	// newline).
	for _, tc := range []struct{ text, want string }{
		{"server.1=127.0.0.1:12881:13881\nserver.2=[::1]:12882:13882:observer\nserver.3=127.0.0.1:12883:13883;12183\nversion=10000002b",
			"server.1=127.0.0.1:12881:13881:participant\nserver.2=[::1]:12882:13882:observer\nserver.3=127.0.0.1:12883:13883:participant;0.0.0.0:12183\nversion=10000002b"},
		{"server.3=h:1:2:observer;[::1]:5\nserver.1=[fe80::1]:3:4;c:0\nserver.10=h:7:8:PARTICIPANT;",
			"server.1=[fe80::1]:3:4:participant;c:0\nserver.3=h:1:2:observer;[::1]:5\nserver.10=h:7:8:participant\nversion=0"},
		{"server.0=h:1:2", "server.0=h:1:2:participant\nversion=0"},
	} {
		ms, v, err := members.ParseText(tc.text)
		require.NoError(t, err)
		require.Equal(t, tc.want, string(members.ConfigText(ms, v)))
	}
}

func TestNextMembers(t *testing.T) {
	cur, _, err := members.ParseText("server.1=h:1:2;3\nserver.2=h:4:5;6\nserver.3=h:7:8:observer;9")
	require.NoError(t, err)
	ids := func(ms []members.Member) []int64 {
		var out []int64
		for _, m := range ms {
			out = append(out, m.ID)
		}
		return out
	}
	for _, tc := range []struct {
		name string
		req  proto.ReconfigRequest
		want []int64
		err  error
	}{
		{"add", proto.ReconfigRequest{JoiningServers: "server.4=h:10:11:participant;12"}, []int64{1, 2, 3, 4}, nil},
		{"remove", proto.ReconfigRequest{LeavingServers: "2,3"}, []int64{1}, nil},
		{"both", proto.ReconfigRequest{JoiningServers: "server.5=h:1:2;3", LeavingServers: "1"}, []int64{2, 3, 5}, nil},
		{"members", proto.ReconfigRequest{NewMembers: "server.7=h:1:2;3,server.8=h:4:5;6"}, []int64{7, 8}, nil},
		{"joiner without client port", proto.ReconfigRequest{JoiningServers: "server.4=h:10:11"}, nil, proto.ErrBadArguments},
		{"bad leaving id", proto.ReconfigRequest{LeavingServers: "x"}, nil, proto.ErrBadArguments},
		{"bad members", proto.ReconfigRequest{NewMembers: "server.1=h"}, nil, proto.ErrBadArguments},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ms, err := nextMembers(cur, &tc.req)
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, ids(ms))
		})
	}
}

// TestLoggedConfigNextFile: a logged reconfig newer than the active
// configuration is recorded and written to <prefix>.dynamic.next in the
// form QuorumPeerConfig reads back (every line, the version's included,
// sorted); an older one is ignored; activating it removes the file.
func TestLoggedConfigNextFile(t *testing.T) {
	prefix := filepath.Join(t.TempDir(), "zoo.cfg")
	p := &Peer{
		cfg:     Config{ID: 1, ReconfigEnabled: true, DynamicConfigPrefix: prefix},
		log:     slog.New(slog.DiscardHandler),
		elecNet: quorumnet.NewElectionNet(quorumnet.ElectionConfig{MyID: 1}),
		elec:    mustElection(t),
		members: map[int64]members.Member{},
	}
	p.cfgVersion = 0x100000000
	entry := func(zxid int64, text string) zab.Entry {
		hdr := proto.TxnHeader{Zxid: zxid, Type: proto.OpReconfig}
		e := jute.NewEncoder(nil)
		proto.EncodeTxnEntry(e, &hdr, &proto.SetDataTxn{Path: "/zookeeper/config", Data: []byte(text), Version: -1}, nil)
		return zab.Entry{Zxid: zxid, Data: e.Bytes()}
	}
	const old = "server.1=h:1:2:participant;h:3\nserver.2=h:4:5:participant;h:6\nversion=ff"
	const next = "server.2=h:4:5:participant;h:6\nserver.1=h:1:2:participant;h:3\nversion=100000007"
	p.noteLogged([]zab.Entry{entry(0xff, old)})
	require.Nil(t, p.logged, "older than the active configuration")
	require.NoFileExists(t, prefix+".dynamic.next")

	p.noteLogged([]zab.Entry{entry(0x100000007, next)})
	require.NotNil(t, p.logged)
	require.Equal(t, int64(0x100000007), p.logged.version)
	b, err := os.ReadFile(prefix + ".dynamic.next")
	require.NoError(t, err)
	require.Equal(t, "server.1=h:1:2:participant;h:3\nserver.2=h:4:5:participant;h:6\nversion=100000007", string(b))

	p.activateConfig(p.logged.members, p.logged.version, 1)
	require.Nil(t, p.logged)
	require.NoFileExists(t, prefix+".dynamic.next")
	require.FileExists(t, prefix+".dynamic.100000007")
}

func mustElection(t *testing.T) *election.Election {
	e, err := election.New(election.Config{ID: 1, Voters: []int64{1, 2}})
	require.NoError(t, err)
	return e
}
