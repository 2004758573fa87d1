package statemachine

import (
	"maps"
	"sync"

	"github.com/zkit-go/zkit/internal/datatree"
	"github.com/zkit-go/zkit/internal/jute"
	"github.com/zkit-go/zkit/internal/proto"
)

// Machine is a server's committed state: the data tree and the sessions
// whose createSession txn is applied and whose closeSession is not (what a
// snapshot records, ZKDatabase's sessionsWithTimeouts). Apply is the one
// place a committed txn changes either. An ensemble member's peer owns one
// for its lifetime and lends it to each role's engine; a standalone
// engine builds its own.
type Machine struct {
	// mu orders Apply against readers: Apply holds it for writing around
	// one txn; readers that must not see a txn half applied (the engine's
	// reads, snapshots) hold it for reading.
	mu       sync.RWMutex
	tree     *datatree.Tree
	sessions map[int64]int32
}

// New returns the state of tree and sessions (copied).
func New(tree *datatree.Tree, sessions map[int64]int32) *Machine {
	m := &Machine{}
	m.Reset(tree, sessions)
	return m
}

// Reset replaces the state (a snapshot from the leader, a truncated log
// reloaded). No engine may be applying meanwhile.
func (m *Machine) Reset(tree *datatree.Tree, sessions map[int64]int32) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tree = tree
	m.sessions = maps.Clone(sessions)
	if m.sessions == nil {
		m.sessions = make(map[int64]int32)
	}
}

// Apply applies a committed txn to the tree and the committed sessions.
// Callers apply in zxid order, one at a time. The tree's watch events are
// fired inside the write lock, so a watcher's event is queued before any
// read that sees the change can answer.
func (m *Machine) Apply(t *Txn) datatree.Result {
	m.mu.Lock()
	defer m.mu.Unlock()
	res := m.tree.ProcessTxn(&t.Hdr, t.Record)
	TrackSession(m.sessions, &t.Hdr, t.Record)
	return res
}

// TrackSession records in sessions (id → timeout) what a committed txn
// does to the set of sessions: a createSession adds one, a closeSession
// removes one. A log replay (package zkdb) keeps its set with it too.
func TrackSession(sessions map[int64]int32, hdr *proto.TxnHeader, rec jute.Record) {
	switch hdr.Type {
	case proto.OpCreateSession:
		if cs, ok := rec.(*proto.CreateSessionTxn); ok {
			sessions[hdr.ClientID] = cs.TimeOut
		}
	case proto.OpCloseSession:
		delete(sessions, hdr.ClientID)
	}
}

// Lock is the lock Apply takes: readers hold it for reading.
func (m *Machine) Lock() *sync.RWMutex { return &m.mu }

// Tree returns the data tree.
func (m *Machine) Tree() *datatree.Tree {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.tree
}

// Snapshot returns a copy of the committed sessions and the zxid of the
// last applied txn, consistently, and the tree: a snapshot records the
// first two, then walks the tree (fuzzily) while writes go on.
func (m *Machine) Snapshot() (sessions map[int64]int32, zxid int64, tree *datatree.Tree) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return maps.Clone(m.sessions), m.tree.LastProcessedZxid(), m.tree
}
