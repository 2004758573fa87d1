package quorumnet

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/jute"
	"github.com/zkit-go/zkit/internal/proto"
	"github.com/zkit-go/zkit/internal/snapshot"
)

// Packet types used in tests (Leader.java).
const (
	typeProposal     = 2
	typeAck          = 3
	typeCommit       = 4
	typePing         = 5
	typeNewLeader    = 10
	typeFollowerInfo = 11
	typeUpToDate     = 12
	typeSnap         = 15
	typeLeaderInfo   = 17
	typeAckEpoch     = 18
)

// pair returns a leader-side and a learner-side PeerConn over loopback.
func pair(t *testing.T) (leader, learner *PeerConn) {
	t.Helper()
	ll, err := ListenLearners("127.0.0.1:0", nil)
	require.NoError(t, err)
	defer ll.Close()
	type res struct {
		pc  *PeerConn
		err error
	}
	ch := make(chan res, 1)
	go func() {
		pc, err := ll.Accept()
		ch <- res{pc, err}
	}()
	learner, err = DialLeader(ll.Addr().String(), nil, scale(5*time.Second))
	require.NoError(t, err)
	r := <-ch
	require.NoError(t, r.err)
	t.Cleanup(func() {
		learner.Close()
		r.pc.Close()
	})
	return r.pc, learner
}

func TestPeerConnExchange(t *testing.T) {
	leader, learner := pair(t)
	leader.SetReadTimeout(scale(10 * time.Second))
	learner.SetReadTimeout(scale(10 * time.Second))
	li := jute.Marshal(&proto.LearnerInfo{ServerID: 2, ProtocolVersion: 0x10000, ConfigVersion: 0})
	require.NoError(t, learner.Send(proto.QuorumPacket{Type: typeFollowerInfo, Zxid: 1 << 32, Data: li}))
	got, err := leader.Recv()
	require.NoError(t, err)
	assert.Equal(t, proto.QuorumPacket{Type: typeFollowerInfo, Zxid: 1 << 32, Data: li}, got)

	pkts := []proto.QuorumPacket{
		{Type: typeLeaderInfo, Zxid: 2 << 32, Data: []byte{0, 1, 0, 0}},
		{Type: typeProposal, Zxid: 2<<32 | 1, Data: bytes.Repeat([]byte("x"), 100_000)},
		{Type: typeCommit, Zxid: 2<<32 | 1},
		{Type: 1, Zxid: -1, Data: []byte{}, AuthInfo: []proto.ID{{Scheme: "digest", ID: "u:h"}, {Scheme: "ip", ID: "127.0.0.1"}}},
		{Type: typeUpToDate, Zxid: -1, AuthInfo: []proto.ID{}},
	}
	for _, p := range pkts {
		require.NoError(t, leader.Send(p))
	}
	require.NoError(t, leader.Flush())
	for _, want := range pkts {
		got, err := learner.Recv()
		require.NoError(t, err)
		assert.Equal(t, want, got)
	}
	// many small packets, batched by the writer
	for i := range 1000 {
		require.NoError(t, learner.Send(proto.QuorumPacket{Type: typeAck, Zxid: int64(i)}))
	}
	for i := range 1000 {
		got, err := leader.Recv()
		require.NoError(t, err)
		require.Equal(t, int64(i), got.Zxid)
	}
}

func TestPeerConnSnapshot(t *testing.T) {
	leader, learner := pair(t)
	tree := snapshot.NewMemTree()
	st := proto.StatPersisted{Czxid: 1, Mzxid: 2, Pzxid: 3, Ctime: 4, Mtime: 5}
	require.NoError(t, tree.AddNode("/", nil, -1, proto.StatPersisted{}))
	require.NoError(t, tree.AddNode("/zookeeper", []byte{}, -1, proto.StatPersisted{}))
	require.NoError(t, tree.SetACL(1, proto.ReadACLUnsafe))
	for i := range 2000 {
		require.NoError(t, tree.AddNode(fmt.Sprintf("/n%04d", i), bytes.Repeat([]byte{byte(i)}, i%300), 1, st))
	}
	tree.Sessions = map[int64]int32{0x1234: 30000}
	src := &snapshot.Source{Tree: tree, Sessions: tree.Sessions}

	require.NoError(t, leader.Send(proto.QuorumPacket{Type: typeSnap, Zxid: 0x100000007}))
	done := make(chan error, 1)
	go func() {
		if err := leader.SendSnapshot(src); err != nil {
			done <- err
			return
		}
		done <- leader.Send(proto.QuorumPacket{Type: typeNewLeader, Zxid: 0x100000000, Data: []byte("server.1=...")})
	}()

	learner.SetReadTimeout(scale(10 * time.Second))
	qp, err := learner.Recv()
	require.NoError(t, err)
	require.Equal(t, int32(typeSnap), qp.Type)
	got := snapshot.NewMemTree()
	require.NoError(t, learner.RecvSnapshot(got))
	require.NoError(t, <-done)
	assert.Equal(t, tree.Sessions, got.Sessions)
	assert.Equal(t, tree.ACL, got.ACL)
	require.Len(t, got.Nodes, len(tree.Nodes))
	for p, n := range tree.Nodes {
		require.Contains(t, got.Nodes, p)
		require.Equal(t, n.Data, got.Nodes[p].Data, p)
	}
	qp, err = learner.Recv()
	require.NoError(t, err)
	assert.Equal(t, int32(typeNewLeader), qp.Type)
}

// rawPair returns a PeerConn reading what the test writes to raw.
func rawPair(t *testing.T) (pc *PeerConn, raw net.Conn) {
	a, b := net.Pipe()
	pc = NewPeerConn(a)
	t.Cleanup(func() {
		pc.Close()
		b.Close()
	})
	return pc, b
}

func TestPeerConnBadInput(t *testing.T) {
	be := binary.BigEndian
	hdr := func() []byte { return be.AppendUint64(be.AppendUint32(nil, 5), 7) }
	body := snapshot.NewMemTree()
	require.NoError(t, body.AddNode("/", nil, -1, proto.StatPersisted{}))
	var bodyBuf bytes.Buffer
	require.NoError(t, snapshot.WriteBody(&bodyBuf, &snapshot.Source{Tree: body}))
	for _, tc := range []struct {
		name string
		in   []byte
		snap bool
		want error
	}{
		{"huge data", be.AppendUint32(hdr(), 0x7fffffff), false, ErrPacketSize},
		{"negative data", be.AppendUint32(hdr(), 0xfffffffe), false, ErrPacketSize},
		{"over max buffer", be.AppendUint32(hdr(), DefaultMaxBuffer+1), false, ErrPacketSize},
		{"huge auth count", be.AppendUint32(be.AppendUint32(hdr(), 0xffffffff), 0x7fffffff), false, ErrPacketSize},
		{"huge auth string", be.AppendUint32(be.AppendUint32(be.AppendUint32(hdr(), 0xffffffff), 1), 0x7ffffff0), false, ErrPacketSize},
		{"truncated", append(be.AppendUint32(hdr(), 10), 1, 2, 3), false, io.ErrUnexpectedEOF},
		{"bad signature", append(bytes.Clone(bodyBuf.Bytes()), 0, 0, 0, 3, 'B', 'e', 'n'), true, ErrBadSignature},
		{"snap garbage", []byte{0, 0, 0, 0, 0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff}, true, snapshot.ErrCorrupt},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pc, raw := rawPair(t)
			go func() {
				raw.Write(tc.in)
				raw.Close()
			}()
			var err error
			if tc.snap {
				err = pc.RecvSnapshot(snapshot.NewMemTree())
			} else {
				_, err = pc.Recv()
			}
			require.ErrorIs(t, err, tc.want)
			// sticky
			_, err2 := pc.Recv()
			require.Error(t, err2)
		})
	}
}

func TestPeerConnReadTimeout(t *testing.T) {
	pc, _ := rawPair(t)
	pc.SetReadTimeout(20 * time.Millisecond)
	_, err := pc.Recv()
	var ne net.Error
	require.True(t, errors.As(err, &ne) && ne.Timeout(), "%v", err)
}

func TestPeerConnClose(t *testing.T) {
	leader, learner := pair(t)
	recvErr := make(chan error, 1)
	go func() {
		_, err := learner.Recv()
		recvErr <- err
	}()
	require.NoError(t, learner.Close())
	require.NoError(t, learner.Close())
	require.ErrorIs(t, <-recvErr, ErrClosed)
	require.ErrorIs(t, learner.Send(proto.QuorumPacket{Type: typePing}), ErrClosed)
	require.ErrorIs(t, learner.Flush(), ErrClosed)
	require.ErrorIs(t, learner.SendSnapshot(&snapshot.Source{Tree: snapshot.NewMemTree()}), ErrClosed)
	// the leader sees EOF, then its writes fail
	leader.SetReadTimeout(scale(10 * time.Second))
	_, err := leader.Recv()
	require.ErrorIs(t, err, io.EOF)
	require.Eventually(t, func() bool {
		return leader.Send(proto.QuorumPacket{Type: typePing, Data: make([]byte, 64<<10)}) != nil
	}, scale(10*time.Second), time.Millisecond)
	require.Error(t, leader.Flush())
}

func TestListenerClose(t *testing.T) {
	ll, err := ListenLearners("127.0.0.1:0", nil)
	require.NoError(t, err)
	errc := make(chan error, 1)
	go func() {
		_, err := ll.Accept()
		errc <- err
	}()
	require.NoError(t, ll.Close())
	require.ErrorIs(t, <-errc, ErrClosed)
	_, err = ListenLearners("256.0.0.1:1", nil)
	require.Error(t, err)
	_, err = DialLeader(ll.Addr().String(), nil, time.Second)
	require.Error(t, err)
}

func TestPacketRoundTrip(t *testing.T) {
	for _, qp := range []proto.QuorumPacket{
		{},
		{Type: 1, Zxid: -1, Data: []byte{1, 2}, AuthInfo: []proto.ID{{Scheme: "a", ID: "b"}}},
		{Type: 17, Zxid: 5 << 32, Data: []byte{}, AuthInfo: []proto.ID{}},
	} {
		b := AppendPacket(nil, qp)
		assert.Equal(t, jute.Marshal(&qp), b)
		got, err := ReadPacket(bytes.NewReader(b), 0)
		require.NoError(t, err)
		assert.Equal(t, qp, got)
	}
}

func FuzzReadPacket(f *testing.F) {
	f.Add(AppendPacket(nil, proto.QuorumPacket{Type: 1, Zxid: -1, Data: []byte{1}, AuthInfo: []proto.ID{{Scheme: "x", ID: "y"}}}))
	f.Add(AppendPacket(nil, proto.QuorumPacket{Type: 5}))
	f.Fuzz(func(t *testing.T, b []byte) {
		qp, err := ReadPacket(bytes.NewReader(b), 1<<16)
		if err != nil {
			return
		}
		// what parsed survives a round trip (a null id string reads as
		// "", so bytes may differ)
		again, err := ReadPacket(bytes.NewReader(AppendPacket(nil, qp)), 1<<16)
		require.NoError(t, err)
		require.Equal(t, qp, again)
	})
}

func BenchmarkPeerConnSendRecv(b *testing.B) {
	ll, err := ListenLearners("127.0.0.1:0", nil)
	require.NoError(b, err)
	defer ll.Close()
	ch := make(chan *PeerConn, 1)
	go func() {
		pc, _ := ll.Accept()
		ch <- pc
	}()
	learner, err := DialLeader(ll.Addr().String(), nil, time.Second)
	require.NoError(b, err)
	defer learner.Close()
	leader := <-ch
	defer leader.Close()
	data := make([]byte, 128)
	b.ReportAllocs()
	b.SetBytes(int64(len(AppendPacket(nil, proto.QuorumPacket{Type: typeProposal, Data: data}))))
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < b.N; i++ {
			if _, err := learner.Recv(); err != nil {
				return
			}
		}
	}()
	for i := 0; i < b.N; i++ {
		if err := leader.Send(proto.QuorumPacket{Type: typeProposal, Zxid: int64(i), Data: data}); err != nil {
			b.Fatal(err)
		}
	}
	<-done
}

// TestPeerConnFlushWithin: packets need no Flush to leave (the writer
// writes whenever its queue is not empty); FlushWithin reports a written
// queue, and gives up on a peer that stopped reading instead of hanging.
func TestPeerConnFlushWithin(t *testing.T) {
	leader, learner := pair(t)
	learner.SetReadTimeout(scale(10 * time.Second))
	require.NoError(t, leader.Send(proto.QuorumPacket{Type: typeCommit, Zxid: 7}))
	got, err := learner.Recv() // no Flush: the writer sent it anyway
	require.NoError(t, err)
	assert.Equal(t, int64(7), got.Zxid)
	require.NoError(t, leader.FlushWithin(scale(10*time.Second)))

	// The learner reads nothing more: the socket buffers fill and the
	// writer blocks, so the flush cannot complete.
	big := make([]byte, 512<<10)
	for i := 0; i < 128; i++ {
		require.NoError(t, leader.Send(proto.QuorumPacket{Type: typeProposal, Zxid: int64(i), Data: big}))
	}
	require.ErrorIs(t, leader.FlushWithin(50*time.Millisecond), ErrFlushTimeout)
	require.NoError(t, leader.Close()) // does not wait for the stuck queue
	require.ErrorIs(t, leader.FlushWithin(time.Second), ErrClosed)
}
