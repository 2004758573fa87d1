package zab

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/jute"
	"github.com/zkit-go/zkit/internal/proto"
)

func ents(zs ...int64) []Entry {
	var out []Entry
	for _, z := range zs {
		out = append(out, Entry{Zxid: z})
	}
	return out
}

func zxids(es []Entry) []int64 {
	var out []int64
	for _, e := range es {
		out = append(out, e.Zxid)
	}
	return out
}

type reader []Entry

func (r reader) From(z int64) []Entry {
	i := 0
	for i+1 < len(r) && r[i+1].Zxid <= z {
		i++
	}
	return r[i:]
}

func TestPlanSync(t *testing.T) {
	z := MakeZxid
	committed := ents(z(2, 1), z(2, 2), z(2, 3), z(2, 4))
	cases := []struct {
		name      string
		peer      int64
		last      int64
		committed []Entry
		older     HistoryReader
		force     bool
		mode      SyncMode
		op        int64
		props     []int64
	}{
		{"force snap", z(2, 4), z(2, 4), committed, nil, true, ModeSnap, z(2, 4), nil},
		{"in sync: empty diff", z(2, 4), z(2, 4), committed, nil, false, ModeDiff, z(2, 4), nil},
		{"ahead: trunc", z(2, 6), z(2, 4), committed, nil, false, ModeTrunc, z(2, 4), nil},
		{"ahead in old epoch beyond max: trunc", z(3, 1), z(2, 4), committed, nil, false, ModeTrunc, z(2, 4), nil},
		{"diff from inside", z(2, 2), z(2, 4), committed, nil, false, ModeDiff, z(2, 4), []int64{z(2, 3), z(2, 4)}},
		{"trunc+diff: missing zxid in same epoch", z(2, 2),
			z(2, 5), ents(z(2, 1), z(2, 3), z(2, 5)), nil, false, ModeTrunc, z(2, 1), []int64{z(2, 3), z(2, 5)}},
		{"different epoch after peer: snap", z(1, 7), z(2, 4), ents(z(1, 5), z(2, 1), z(2, 4)), nil, false, ModeSnap, z(2, 4), nil},
		{"new-epoch zxid below the committed log: snap", z(2, 0), z(2, 4), committed, nil, false, ModeSnap, z(2, 4), nil},
		{"new-epoch zxid inside: diff", z(2, 0), z(2, 4), ents(z(1, 9), z(2, 1), z(2, 4)), nil, false, ModeDiff, z(2, 4), []int64{z(2, 1), z(2, 4)}},
		{"behind, no disk sync: snap", z(1, 1), z(2, 4), committed, nil, false, ModeSnap, z(2, 4), nil},
		{"behind, disk sync: diff", z(1, 2), z(2, 4), committed,
			reader(ents(z(1, 1), z(1, 2), z(1, 3), z(2, 1), z(2, 2), z(2, 3), z(2, 4))), false, ModeDiff, z(2, 4),
			[]int64{z(1, 3), z(2, 1), z(2, 2), z(2, 3), z(2, 4)}},
		{"behind, disk log has a gap: snap", z(1, 2), z(2, 4), committed, reader(ents(z(1, 1), z(1, 2), z(1, 3))), false, ModeSnap, z(2, 4), nil},
		{"empty committed log, peer behind: snap", z(1, 1), z(1, 5), nil, nil, false, ModeSnap, z(1, 5), nil},
		{"empty committed log, peer ahead: trunc", z(1, 7), z(1, 5), nil, nil, false, ModeTrunc, z(1, 5), nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := PlanSync(c.peer, c.last, c.committed, c.older, c.force)
			assert.Equal(t, c.mode, p.Mode)
			assert.Equal(t, c.op, p.OpZxid)
			assert.Equal(t, c.props, zxids(p.Proposals))
		})
	}
}

func TestTouches(t *testing.T) {
	ts := []Touch{{1, 100}, {-5, 30000}}
	got, err := DecodeTouches(EncodeTouches(ts))
	require.NoError(t, err)
	assert.Equal(t, ts, got)
	_, err = DecodeTouches([]byte{1, 2})
	assert.ErrorIs(t, err, ErrMalformed)
}

func FuzzDecodeTouches(f *testing.F) {
	f.Add(EncodeTouches([]Touch{{1, 2}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		ts, err := DecodeTouches(b)
		if err == nil {
			assert.True(t, bytes.Equal(b, EncodeTouches(ts)), "round trip")
		}
	})
}

// FuzzLeaderStep feeds arbitrary packets to a leader in every phase: it must
// never panic.
func FuzzLeaderStep(f *testing.F) {
	li := jute.Marshal(&proto.LearnerInfo{ServerID: 2, ProtocolVersion: ProtocolVersion})
	f.Add(int32(FollowerInfo), int64(0), li)
	f.Add(int32(AckEpoch), int64(5), []byte{0, 0, 0, 1})
	f.Add(int32(Ping), int64(5), []byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, typ int32, zxid int64, data []byte) {
		l, err := NewLeader(LeaderConfig{ID: 1, Voters: []int64{1, 2, 3}})
		require.NoError(t, err)
		l.Step(2, proto.QuorumPacket{Type: FollowerInfo, Data: li})
		l.Step(2, proto.QuorumPacket{Type: typ, Zxid: zxid, Data: data})
		l.Advance()
		l.Step(2, proto.QuorumPacket{Type: AckEpoch, Zxid: 0, Data: []byte{0, 0, 0, 0}})
		l.Advance()
		l.Step(2, proto.QuorumPacket{Type: typ, Zxid: zxid, Data: data})
		l.Tick()
		ln := NewLearner(LearnerConfig{ID: 2, Leader: 1})
		ln.Step(proto.QuorumPacket{Type: typ, Zxid: zxid, Data: data})
		ln.Step(proto.QuorumPacket{Type: typ, Zxid: zxid, Data: data})
	})
}

// TestLearnerPingBodyNeverNull: a learner answers every PING with a body,
// empty when it has no sessions to touch, never a null buffer (jute
// length -1), which a Java 3.8 leader cannot read: its LearnerHandler
// failed with a NullPointerException and dropped the zkit follower.
func TestLearnerPingBodyNeverNull(t *testing.T) {
	pings := func(rd Ready) [][]byte {
		var out [][]byte
		for _, m := range rd.Messages {
			if m.Packet.Type == Ping {
				out = append(out, m.Packet.Data)
			}
		}
		return out
	}
	ln := NewLearner(LearnerConfig{ID: 2, Leader: 1})
	ln.Advance()
	ln.Step(proto.QuorumPacket{Type: LeaderInfo, Zxid: MakeZxid(1, 0), Data: []byte{0, 0, 0, 1}})
	ln.Step(proto.QuorumPacket{Type: Diff})
	ln.Advance()
	ln.Step(proto.QuorumPacket{Type: Ping, Zxid: 1}) // during sync
	got := pings(ln.Ready())
	require.Len(t, got, 1)
	assert.NotNil(t, got[0])
	ln.Step(proto.QuorumPacket{Type: NewLeaderPacket, Zxid: MakeZxid(1, 0)})
	ln.Step(proto.QuorumPacket{Type: UpToDate})
	require.True(t, ln.Established())
	ln.Advance()
	ln.Step(proto.QuorumPacket{Type: Ping, Zxid: 2}) // broadcast, nothing touched
	got = pings(ln.Ready())
	require.Len(t, got, 1)
	assert.NotNil(t, got[0])
	wire := jute.Marshal(&proto.QuorumPacket{Type: Ping, Zxid: 2, Data: got[0]})
	assert.Equal(t, []byte{0, 0, 0, 0}, wire[4+8:4+8+4], "the body's jute length is 0, not -1")
}
