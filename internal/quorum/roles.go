package quorum

import (
	"github.com/zkit-go/zkit/internal/datatree"
	"github.com/zkit-go/zkit/internal/proto"
	"github.com/zkit-go/zkit/internal/quorumnet"
	"github.com/zkit-go/zkit/internal/snapshot"
)

// The roles' shared pieces: leader.go runs leaderRole, learner.go
// learnerRole; both batch with maxBatch and take their connections'
// packets as inbound events.

// maxBatch bounds how many queued packets and engine requests the peer
// loop takes before doing the cores' work.
const maxBatch = 1000

// flushLast waits, at most a tick, for a connection's queued packets to
// be written: the last packets of a role, before Close drops the queue.
// Nothing else waits for the network; a learner that stopped reading
// does not hold the role's end.
func (p *Peer) flushLast(c *quorumnet.PeerConn) {
	_ = c.FlushWithin(p.cfg.TickTime)
}

// inbound is a quorum packet (or a connection event) for the peer loop.
type inbound struct {
	from     int64
	conn     *quorumnet.PeerConn
	register bool // the first packet of a learner connection
	pkt      proto.QuorumPacket
	err      error
	snap     *receivedSnapshot
}

// receivedSnapshot is a SNAP's stream, read by the connection's reader.
type receivedSnapshot struct {
	tree     *datatree.Tree
	sessions map[int64]int32
}

// treeSink loads a snapshot stream into a new tree.
type treeSink struct {
	opts     []datatree.Option
	loader   *datatree.Loader
	acls     map[int64][]proto.ACL
	sessions map[int64]int32
}

func newTreeSink(extended bool) *treeSink {
	s := &treeSink{opts: []datatree.Option{datatree.WithExtendedTypes(extended)}}
	s.Reset()
	return s
}

func (s *treeSink) Reset() {
	s.loader = datatree.NewLoader(s.opts...)
	s.acls = make(map[int64][]proto.ACL)
	s.sessions = make(map[int64]int32)
}

func (s *treeSink) AddSession(id int64, timeout int32) error {
	s.sessions[id] = timeout
	return nil
}

func (s *treeSink) SetACL(ref int64, acl []proto.ACL) error {
	s.acls[ref] = acl
	return nil
}

func (s *treeSink) AddNode(path string, data []byte, aclRef int64, stat proto.StatPersisted) error {
	if path == "/" {
		path = ""
	}
	return s.loader.AddNode(path, data, aclRef, stat)
}

func (s *treeSink) finish() (*datatree.Tree, error) {
	s.loader.SetACLCache(s.acls)
	return s.loader.Finish()
}

var _ snapshot.Sink = (*treeSink)(nil)
