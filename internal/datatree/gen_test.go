package datatree

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/jute"
	"github.com/zkit-go/zkit/internal/proto"
)

// txn is one generated transaction.
type txn struct {
	hdr proto.TxnHeader
	rec jute.Record
}

var (
	aclA = []proto.ACL{{Perms: proto.PermRead | proto.PermWrite, ID: proto.ID{Scheme: "digest", ID: "u:x"}}}
	aclB = []proto.ACL{{Perms: proto.PermAll, ID: proto.ID{Scheme: "ip", ID: "10.0.0.1"}}, {Perms: proto.PermRead, ID: proto.AnyoneID}}
)

// gen builds a deterministic, varied txn sequence the way a prep stage
// would (reading a scratch tree to decide), including the odd cases replay
// meets: creates of existing nodes, deletes of missing ones, failed multis.
type gen struct {
	t    *testing.T
	rnd  *rand.Rand
	tree *Tree
	zxid int64
	txns []txn
	// valid restricts the sequence to txns a prep stage would make (no
	// create of an existing node, no delete of a missing one), for which
	// replay over a fuzzy snapshot is promised to converge.
	valid bool
}

func newGen(t *testing.T, seed uint64, opts ...Option) *gen {
	return &gen{t: t, rnd: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), tree: New(opts...), zxid: 0x100000000}
}

func (g *gen) emit(session int64, typ proto.OpCode, rec jute.Record) Result {
	g.zxid++
	hdr := proto.TxnHeader{ClientID: session, Cxid: int32(g.zxid), Zxid: g.zxid, Time: 1_700_000_000_000 + g.zxid*7, Type: typ}
	g.txns = append(g.txns, txn{hdr: hdr, rec: rec})
	return g.tree.ProcessTxn(&hdr, rec)
}

func (g *gen) paths() []string {
	var out []string
	require.NoError(g.t, g.tree.Walk(func(p string, _ []byte, _ int64, _ proto.StatPersisted) error {
		if p != "" && !strings.HasPrefix(p, "/zookeeper") {
			out = append(out, p)
		}
		return nil
	}))
	return out
}

func (g *gen) pick(ps []string) string {
	if len(ps) == 0 {
		return ""
	}
	return ps[g.rnd.IntN(len(ps))]
}

func (g *gen) acl() []proto.ACL {
	switch g.rnd.IntN(4) {
	case 0:
		return aclA
	case 1:
		return aclB
	case 2:
		// Empty, not nil: jute writes nil as an empty vector, and Java
		// never puts a null ACL in a txn.
		return []proto.ACL{}
	}
	return proto.OpenACLUnsafe
}

func (g *gen) data() []byte {
	if g.rnd.IntN(5) == 0 {
		return nil
	}
	b := make([]byte, g.rnd.IntN(12))
	for i := range b {
		b[i] = byte(g.rnd.IntN(256))
	}
	return b
}

// parentFor picks a node that may have children ("" for the root).
func (g *gen) parentFor() string {
	var ok []string
	for _, p := range g.paths() {
		if info, _ := g.tree.Lookup(p); info.Type != Ephemeral && strings.Count(p, "/") < 4 {
			ok = append(ok, p)
		}
	}
	if len(ok) == 0 || g.rnd.IntN(4) == 0 {
		return ""
	}
	return g.pick(ok)
}

func (g *gen) createRec(kind int) (proto.OpCode, jute.Record, string, bool) {
	parent := g.parentFor()
	pp := parent
	if pp == "" {
		pp = "/"
	}
	info, _ := g.tree.Lookup(pp)
	name := fmt.Sprintf("n%d", g.rnd.IntN(6))
	if g.rnd.IntN(3) == 0 {
		name = fmt.Sprintf("seq%010d", info.Persisted.Cversion)
	}
	path := parent + "/" + name
	acl := g.acl()
	if _, exists := g.tree.Lookup(path); exists && g.valid {
		return 0, nil, "", false
	} else if exists {
		// NODEEXISTS. 3.8.6 gives the existing node the txn's ACL,
		// Debian's 3.8.0 oracle does not: keep the ACL the same.
		acl, _, _ = g.tree.GetACL(path)
	}
	cv := info.Persisted.Cversion + 1
	if g.rnd.IntN(10) == 0 && !g.valid {
		cv = -1 // CreateTxnV0: "one more than now", not replay-safe
	}
	switch kind {
	case 0:
		return proto.OpCreate, &proto.CreateTxn{Path: path, Data: g.data(), ACL: acl, Ephemeral: g.rnd.IntN(3) == 0, ParentCVersion: cv}, path, true
	case 1:
		return proto.OpCreate2, &proto.CreateTxn{Path: path, Data: g.data(), ACL: acl, Ephemeral: g.rnd.IntN(3) == 0, ParentCVersion: cv}, path, true
	case 2:
		return proto.OpCreateContainer, &proto.CreateContainerTxn{Path: path, Data: g.data(), ACL: acl, ParentCVersion: cv}, path, true
	default:
		return proto.OpCreateTTL, &proto.CreateTTLTxn{Path: path, Data: g.data(), ACL: acl, ParentCVersion: cv, TTL: int64(1 + g.rnd.IntN(100000))}, path, true
	}
}

func (g *gen) sub(typ proto.OpCode, rec jute.Record) proto.Txn {
	return proto.Txn{Type: typ, Data: jute.Marshal(rec)}
}

func (g *gen) step() {
	session := int64(0x1000 + g.rnd.IntN(4))
	ps := g.paths()
	switch op := g.rnd.IntN(20); {
	case op < 6:
		if typ, rec, _, ok := g.createRec(g.rnd.IntN(4)); ok {
			g.emit(session, typ, rec)
		}
	case op < 8:
		p := g.pick(ps)
		if g.valid {
			if info, ok := g.tree.Lookup(p); !ok || info.NumChildren > 0 {
				return
			}
		}
		if p == "" || g.rnd.IntN(6) == 0 {
			p = "/missing/x" // NONODE; the parent is missing too
			if g.rnd.IntN(2) == 0 {
				p = "/nothere" // NONODE but the root's pzxid moves
			}
		}
		if info, ok := g.tree.Lookup(p); ok && info.NumChildren > 0 {
			p += "/nothere"
		}
		typ := proto.OpDelete
		if g.rnd.IntN(4) == 0 {
			typ = proto.OpDeleteContainer
		}
		g.emit(session, typ, &proto.DeleteTxn{Path: p})
	case op < 11:
		p := g.pick(ps)
		if p == "" {
			p = "/"
		}
		info, _ := g.tree.Lookup(p)
		typ := proto.OpSetData
		if g.rnd.IntN(8) == 0 {
			typ, p, info.Persisted.Version = proto.OpReconfig, ConfigPath, int32(g.rnd.IntN(5))
		}
		g.emit(session, typ, &proto.SetDataTxn{Path: p, Data: g.data(), Version: info.Persisted.Version + 1})
	case op < 12:
		p := g.pick(ps)
		if p == "" {
			p = "/"
		}
		info, _ := g.tree.Lookup(p)
		g.emit(session, proto.OpSetACL, &proto.SetACLTxn{Path: p, ACL: g.acl(), Version: info.Persisted.Aversion + 1})
	case op < 13:
		listed := g.tree.Ephemerals(session)
		if len(listed) > 1 && g.rnd.IntN(2) == 0 {
			listed = listed[:len(listed)-1] // the rest is found by the tree
		}
		g.emit(session, proto.OpCloseSession, &proto.CloseSessionTxn{Paths2Delete: listed})
	case op < 14:
		g.emit(session, proto.OpCreateSession, &proto.CreateSessionTxn{TimeOut: 30000})
		g.emit(session, proto.OpError, &proto.ErrorTxn{Err: proto.ErrBadVersion})
	case op < 15 && !g.valid:
		// Replay oddity: create of an existing node (type create only
		// moves the parent).
		if p := g.pick(ps); p != "" {
			parentInfo, _ := g.tree.Lookup(watchPath(parentOf(p)))
			// The same ACL: 3.8.0 does not give the existing node the
			// txn's ACL, 3.8.6 does.
			acl, _, _ := g.tree.GetACL(p)
			g.emit(session, proto.OpCreate, &proto.CreateTxn{Path: p, Data: []byte("x"), ACL: acl, ParentCVersion: parentInfo.Persisted.Cversion + 3})
		}
	case op < 18:
		// A multi: creates, a setData and a check; sometimes failed.
		var subs []proto.Txn
		seen := map[string]bool{}
		for i := 0; i < 1+g.rnd.IntN(3); i++ {
			// Debian's Java oracle is 3.8.0, which rejects create2 inside a
			// multi (ZOOKEEPER-4026 came in 3.8.2); unit tests cover it.
			typ, rec, path, ok := g.createRec([]int{0, 2, 3}[g.rnd.IntN(3)])
			if !ok || seen[path] {
				continue // a second create would differ between 3.8.0 and 3.8.6
			}
			seen[path] = true
			subs = append(subs, g.sub(typ, rec))
		}
		if p := g.pick(ps); p != "" {
			info, _ := g.tree.Lookup(p)
			subs = append(subs, g.sub(proto.OpCheck, &proto.CheckVersionTxn{Path: p, Version: info.Persisted.Version}))
			subs = append(subs, g.sub(proto.OpSetData, &proto.SetDataTxn{Path: p, Data: g.data(), Version: info.Persisted.Version + 1}))
		}
		if g.rnd.IntN(3) == 0 {
			at := g.rnd.IntN(len(subs))
			subs[at] = g.sub(proto.OpError, &proto.ErrorTxn{Err: proto.ErrNodeExists})
			for i := at + 1; i < len(subs); i++ {
				if g.rnd.IntN(2) == 0 {
					subs[i] = g.sub(proto.OpError, &proto.ErrorTxn{Err: proto.ErrRuntimeInconsistency})
				}
			}
		}
		if len(subs) > 0 {
			g.emit(session, proto.OpMulti, &proto.MultiTxn{Txns: subs})
		}
	case op < 15:
	default:
		// Quota bookkeeping on a top-level node.
		if p := g.pick(ps); p != "" && strings.Count(p, "/") == 1 {
			for _, q := range []string{QuotaPath + p} {
				if _, ok := g.tree.Lookup(q); !ok {
					qi, _ := g.tree.Lookup(QuotaPath)
					g.emit(session, proto.OpCreate, &proto.CreateTxn{Path: q, Data: nil, ACL: proto.OpenACLUnsafe, ParentCVersion: qi.Persisted.Cversion + 1})
					g.emit(session, proto.OpCreate, &proto.CreateTxn{Path: q + "/" + quotaLimitNode, Data: []byte("count=10,bytes=-1"), ACL: proto.OpenACLUnsafe, ParentCVersion: 1})
					g.emit(session, proto.OpCreate, &proto.CreateTxn{Path: q + "/" + quotaStatNode, Data: []byte("count=0,bytes=0"), ACL: proto.OpenACLUnsafe, ParentCVersion: 2})
				}
			}
		}
	}
}

func genTxns(t *testing.T, seed uint64, n int, opts ...Option) ([]txn, *Tree) {
	return genTxnsMode(t, seed, n, false, opts...)
}

func genTxnsMode(t *testing.T, seed uint64, n int, valid bool, opts ...Option) ([]txn, *Tree) {
	g := newGen(t, seed, opts...)
	g.valid = valid
	for len(g.txns) < n {
		g.step()
	}
	return g.txns, g.tree
}

// dump renders everything observable about a tree, one line per item, in a
// form the Java oracle prints too.
func dump(t *testing.T, tr *Tree) []string {
	var out []string
	require.NoError(t, tr.Walk(func(p string, data []byte, _ int64, s proto.StatPersisted) error {
		lp := p
		if lp == "" {
			lp = "/"
		}
		info, ok := tr.Lookup(lp)
		require.True(t, ok)
		acl, _, err := tr.GetACL(lp)
		require.NoError(t, err)
		out = append(out, fmt.Sprintf("node %q %d %d %d %d %d %d %d %d %d data=%x nil=%v acl=%s client=%d/%d/%d/%d",
			p, s.Czxid, s.Mzxid, s.Ctime, s.Mtime, s.Version, s.Cversion, s.Aversion, s.EphemeralOwner, s.Pzxid,
			data, data == nil, aclString(acl), info.Stat.Cversion, info.Stat.EphemeralOwner, info.Stat.DataLength, info.Stat.NumChildren))
		return nil
	}))
	eph := tr.AllEphemerals()
	ids := make([]int64, 0, len(eph))
	for id := range eph {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		out = append(out, fmt.Sprintf("ephemerals %d %s", id, strings.Join(eph[id], ",")))
	}
	out = append(out, fmt.Sprintf("count %d size %d digest %d", tr.NodeCount(), tr.ApproximateDataSize(), tr.Digest()))
	return out
}

func aclString(acl []proto.ACL) string {
	var parts []string
	for _, a := range acl {
		parts = append(parts, fmt.Sprintf("%d:%s:%s", a.Perms, a.ID.Scheme, a.ID.ID))
	}
	return "[" + strings.Join(parts, ",") + "]"
}

func resultString(r Result) string {
	s := fmt.Sprintf("%d", int32(r.Err))
	if r.Multi != nil {
		var parts []string
		for _, m := range r.Multi {
			parts = append(parts, fmt.Sprintf("%d:%d", int32(m.Type), int32(m.Err)))
		}
		s += " [" + strings.Join(parts, ",") + "]"
	}
	return s
}
