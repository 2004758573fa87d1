package difftest

import (
	"fmt"
	"math/rand/v2"

	"github.com/zkit-go/zkit/internal/proto"
)

// RandomSessions is the number of sessions a random scenario uses.
const RandomSessions = 3

// Random generates a seeded scenario of n random steps over a small path
// space under /rnd<seed>, spread over RandomSessions sessions. The steps
// are fixed before anything runs (they never depend on a reply), so both
// servers get exactly the same requests.
//
// It leaves out what cannot be compared step by step: containers and TTL
// nodes (deleted by a background task at times of its own), stand-alone
// check (Java 3.8.0 never answers it), session expiry, and checkWatches
// (Java's answer depends on other sessions' watches: see
// knownCheckWatchesAnySession). It never gives one session two watch modes
// on one path (a one-shot and a persistent watch, or persistent and
// persistent recursive), which Java 3.8 mishandles: see knownModeOverwrite.
func Random(seed uint64, n int) Scenario {
	g := &gen{
		rng:      rand.New(rand.NewPCG(seed, 0x5eed)),
		root:     fmt.Sprintf("/rnd%d", seed),
		oneShot:  make([]map[string]bool, RandomSessions),
		modes:    make([]map[string]int32, RandomSessions),
		authUser: make([]bool, RandomSessions),
	}
	for i := range RandomSessions {
		g.oneShot[i] = map[string]bool{}
		g.modes[i] = map[string]int32{}
	}
	r := g.root
	g.paths = []string{r, r + "/a", r + "/b", r + "/c", r + "/a/x", r + "/a/y", r + "/b/x", r + "/a/x/z", r + "/c/e"}
	for i := range 6 {
		g.paths = append(g.paths, fmt.Sprintf("%s/s-%010d", r, i), fmt.Sprintf("%s/a/q-%010d", r, i))
	}
	s := newScript(fmt.Sprintf("random-%d", seed))
	for i := range RandomSessions {
		s.add(Open(i))
	}
	s.add(Create(0, r, "", persistent))
	for _, p := range []string{"/a", "/b", "/c", "/a/x"} {
		s.add(Create(0, r+p, "", persistent))
	}
	for range n {
		s.add(g.step()...)
	}
	for i := range RandomSessions {
		s.add(Close(i))
	}
	return s.sc
}

type gen struct {
	rng      *rand.Rand
	root     string
	paths    []string
	oneShot  []map[string]bool  // per session: paths with one-shot watches used
	modes    []map[string]int32 // per session: addWatch mode per path
	authUser []bool             // per session: added digest alice
}

func (g *gen) path() string { return g.paths[g.rng.IntN(len(g.paths))] }

func (g *gen) version() int32 {
	if g.rng.IntN(3) == 0 {
		return -1
	}
	return int32(g.rng.IntN(3))
}

func (g *gen) data() string {
	return [...]string{"", "a", "bb", "hello", "x"}[g.rng.IntN(5)]
}

func (g *gen) flags() int32 {
	return [...]int32{persistent, persistent, persistent, ephemeral, pseq, eseq}[g.rng.IntN(6)]
}

// createPath picks a path, or a sequential prefix for sequential flags.
func (g *gen) createPath(flags int32) string {
	if flags == pseq || flags == eseq {
		return [...]string{g.root + "/s-", g.root + "/a/q-", g.root + "/b/"}[g.rng.IntN(3)]
	}
	return g.path()
}

func (g *gen) acl() []proto.ACL {
	switch g.rng.IntN(10) {
	case 0:
		return World(proto.PermRead)
	case 1:
		return []proto.ACL{DigestACL("alice", "pw", proto.PermAll), {Perms: proto.PermRead, ID: proto.AnyoneID}}
	case 2:
		return []proto.ACL{AuthACL(proto.PermAll)}
	case 3:
		return World(proto.PermAll &^ proto.PermDelete)
	}
	return proto.OpenACLUnsafe
}

// watch reports whether session s may set a one-shot watch on p.
func (g *gen) watch(s int, p string) bool {
	if _, ok := g.modes[s][p]; ok || g.rng.IntN(2) == 0 {
		return false
	}
	g.oneShot[s][p] = true
	return true
}

func (g *gen) subWrite() Step {
	switch g.rng.IntN(5) {
	case 0:
		f := g.flags()
		st := SubCreate(g.createPath(f), g.data(), f)
		st.ACL = g.acl()
		return st
	case 1:
		return SubCreate2(g.path(), g.data(), persistent)
	case 2:
		return SubDelete(g.path(), g.version())
	case 3:
		return SubSetData(g.path(), g.data(), g.version())
	}
	return SubCheck(g.path(), g.version())
}

func (g *gen) step() []Step {
	s := g.rng.IntN(RandomSessions)
	p := g.path()
	switch k := g.rng.IntN(100); {
	case k < 22:
		f := g.flags()
		op := OpCreate
		if g.rng.IntN(2) == 0 {
			op = OpCreate2
		}
		return []Step{{S: s, Op: op, Path: g.createPath(f), Data: []byte(g.data()), Flags: f, ACL: g.acl()}}
	case k < 27:
		return []Step{Delete(s, p, g.version())}
	case k < 36:
		return []Step{SetData(s, p, g.data(), g.version())}
	case k < 44:
		return []Step{GetData(s, p, g.watch(s, p))}
	case k < 50:
		// No watch: Java 3.8.0 sets one even where zkit (3.8.4+) answers
		// NoAuth (knownExistsACL), and the events would then differ.
		return []Step{Exists(s, p, false)}
	case k < 56:
		return []Step{Children(s, p, g.watch(s, p))}
	case k < 59:
		return []Step{{S: s, Op: OpGetChildren, Path: p, Watch: g.watch(s, p)}}
	case k < 68:
		sub := make([]Step, 1+g.rng.IntN(4))
		for i := range sub {
			sub[i] = g.subWrite()
		}
		return []Step{Multi(s, sub...)}
	case k < 71:
		sub := make([]Step, 1+g.rng.IntN(3))
		for i := range sub {
			if g.rng.IntN(2) == 0 {
				sub[i] = SubGetData(g.path())
			} else {
				sub[i] = SubGetChildren(g.path())
			}
		}
		return []Step{MultiRead(s, sub...)}
	case k < 74:
		return []Step{GetACL(s, p)}
	case k < 77:
		return []Step{SetACL(s, p, g.acl(), g.version())}
	case k < 81:
		mode := proto.AddWatchPersistent
		if g.rng.IntN(2) == 0 {
			mode = proto.AddWatchPersistentRecursive
		}
		if m, ok := g.modes[s][p]; (ok && m != mode) || g.oneShot[s][p] {
			return []Step{Exists(s, p, false)}
		}
		g.modes[s][p] = mode
		return []Step{{S: s, Op: OpAddWatch, Path: p, Mode: mode}}
	case k < 84:
		// Only paths without persistent watches: Java 3.8 removes a
		// persistent watch from one of its two tables at a time.
		if _, ok := g.modes[s][p]; ok {
			return []Step{Exists(s, p, false)}
		}
		return []Step{{S: s, Op: OpRemoveWatches, Path: p, Mode: int32(1 + g.rng.IntN(3))}}
	case k < 86:
		return []Step{{S: s, Op: OpGetEphemerals, Path: [...]string{"/", g.root, p}[g.rng.IntN(3)]}}
	case k < 88:
		return []Step{{S: s, Op: OpGetAllChildrenNumber, Path: p}}
	case k < 90:
		return []Step{{S: s, Op: OpSync, Path: p}}
	case k < 93:
		if g.authUser[s] {
			return []Step{{S: s, Op: OpWhoAmI}}
		}
		g.authUser[s] = true
		return []Step{{S: s, Op: OpAddAuth, Scheme: "digest", Auth: "alice:pw"}}
	case k < 96:
		// A new session in place of s: its ephemerals and watches go.
		g.oneShot[s] = map[string]bool{}
		g.modes[s] = map[string]int32{}
		g.authUser[s] = false
		return []Step{Close(s), Open(s)}
	default:
		return []Step{Delete(s, p, -1), Delete(s, g.path(), -1)}
	}
}
