package snapshot

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/zkit-go/zkit/internal/proto"
	"github.com/zkit-go/zkit/internal/vfs"
)

// MemTree is a plain in-memory tree: a Sink that keeps everything and a
// Tree that walks it in sorted pre-order. It backs Dump and tests; the
// server's data tree is its own type.
type MemTree struct {
	Nodes    map[string]*MemNode
	ACL      map[int64][]proto.ACL
	Sessions map[int64]int32
}

// MemNode is one MemTree node.
type MemNode struct {
	Data     []byte
	ACLRef   int64
	Stat     proto.StatPersisted
	Children []string // names, kept sorted by Walk
}

// NewMemTree returns an empty tree.
func NewMemTree() *MemTree {
	t := &MemTree{}
	t.Reset()
	return t
}

// Reset implements Sink.
func (t *MemTree) Reset() {
	t.Nodes = map[string]*MemNode{}
	t.ACL = map[int64][]proto.ACL{}
	t.Sessions = map[int64]int32{}
}

// AddSession implements Sink.
func (t *MemTree) AddSession(id int64, timeout int32) error {
	t.Sessions[id] = timeout
	return nil
}

// SetACL implements Sink.
func (t *MemTree) SetACL(ref int64, acl []proto.ACL) error {
	t.ACL[ref] = acl
	return nil
}

// AddNode implements Sink; it needs the parent to exist (DataTree's
// "Invalid Datatree, unable to find parent").
func (t *MemTree) AddNode(path string, data []byte, aclRef int64, stat proto.StatPersisted) error {
	if path != "/" {
		i := strings.LastIndexByte(path, '/')
		if i < 0 {
			return fmt.Errorf("%w: bad path %q", ErrCorrupt, path)
		}
		pp := path[:i]
		if pp == "" {
			pp = "/"
		}
		p, ok := t.Nodes[pp]
		if !ok {
			return fmt.Errorf("%w: unable to find parent %s of path %s", ErrCorrupt, pp, path)
		}
		p.Children = append(p.Children, path[i+1:])
	}
	t.Nodes[path] = &MemNode{Data: data, ACLRef: aclRef, Stat: stat}
	return nil
}

// ACLs implements Tree.
func (t *MemTree) ACLs() map[int64][]proto.ACL { return t.ACL }

// Walk implements Tree, children in sorted order.
func (t *MemTree) Walk(fn func(path string, data []byte, aclRef int64, stat proto.StatPersisted) error) error {
	if _, ok := t.Nodes["/"]; !ok {
		return nil
	}
	return t.walk("/", fn)
}

func (t *MemTree) walk(path string, fn func(string, []byte, int64, proto.StatPersisted) error) error {
	n, ok := t.Nodes[path]
	if !ok {
		return fmt.Errorf("snapshot: MemTree lists missing child %s", path)
	}
	if err := fn(path, n.Data, n.ACLRef, n.Stat); err != nil {
		return err
	}
	slices.Sort(n.Children)
	for _, c := range n.Children {
		if err := t.walk(childPath(path, c), fn); err != nil {
			return err
		}
	}
	return nil
}

func childPath(parent, name string) string {
	if parent == "/" {
		return "/" + name
	}
	return parent + "/" + name
}

// DumpOptions tune Dump.
type DumpOptions struct {
	Data     bool           // print data as base64 instead of its length (-d)
	Location *time.Location // for ctime/mtime; nil means time.Local
}

// Dump reads a snapshot file and prints it as ZooKeeper's SnapshotFormatter
// does: every node with its stat, then the sessions with their ephemeral
// counts, then the last zxid. Children and sessions come in sorted order
// (Java prints them in hash order). Unlike the formatter it checks the
// seals, so a damaged snapshot is an error rather than a partial listing.
func Dump(w io.Writer, fs vfs.FS, dir string, fi FileInfo, opts DumpOptions) error {
	loc := opts.Location
	if loc == nil {
		loc = time.Local
	}
	t := NewMemTree()
	if _, err := ReadFile(fs, dir, fi, t, ReadOptions{}); err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	// DataTree counts the root twice ("" and "/").
	fmt.Fprintf(bw, "ZNode Details (count=%d):\n", len(t.Nodes)+1)
	var maxZxid int64
	if _, ok := t.Nodes["/"]; ok {
		maxZxid = dumpNode(bw, t, "/", opts.Data, loc)
	}
	bw.WriteString("----\n")
	bw.WriteString("Session Details (sid, timeout, ephemeralCount):\n")
	eph := map[int64]int{}
	for _, n := range t.Nodes {
		if n.Stat.EphemeralOwner != 0 {
			eph[n.Stat.EphemeralOwner]++
		}
	}
	ids := make([]int64, 0, len(t.Sessions))
	for id := range t.Sessions {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		fmt.Fprintf(bw, "%s, %d, %d\n", javaHex(id), t.Sessions[id], eph[id])
	}
	fmt.Fprintf(bw, "----\nLast zxid: 0x%x\n", uint64(max(fi.Zxid, maxZxid)))
	return bw.Flush()
}

func dumpNode(bw *bufio.Writer, t *MemTree, path string, data bool, loc *time.Location) int64 {
	n := t.Nodes[path]
	s := &n.Stat
	bw.WriteString("----\n")
	bw.WriteString(path + "\n")
	fmt.Fprintf(bw, "  cZxid = %s\n", javaHex(s.Czxid))
	fmt.Fprintf(bw, "  ctime = %s\n", javaDate(s.Ctime, loc))
	fmt.Fprintf(bw, "  mZxid = %s\n", javaHex(s.Mzxid))
	fmt.Fprintf(bw, "  mtime = %s\n", javaDate(s.Mtime, loc))
	fmt.Fprintf(bw, "  pZxid = %s\n", javaHex(s.Pzxid))
	fmt.Fprintf(bw, "  cversion = %d\n", s.Cversion)
	fmt.Fprintf(bw, "  dataVersion = %d\n", s.Version)
	fmt.Fprintf(bw, "  aclVersion = %d\n", s.Aversion)
	fmt.Fprintf(bw, "  ephemeralOwner = %s\n", javaHex(s.EphemeralOwner))
	if data {
		fmt.Fprintf(bw, "  data = %s\n", base64.StdEncoding.EncodeToString(n.Data))
	} else {
		fmt.Fprintf(bw, "  dataLength = %d\n", len(n.Data))
	}
	z := max(s.Mzxid, s.Pzxid)
	slices.Sort(n.Children)
	for _, c := range n.Children {
		z = max(z, dumpNode(bw, t, childPath(path, c), data, loc))
	}
	return z
}

// javaHex is Java's String.format("%#016x", v): "0x" then at least 14
// hex digits.
func javaHex(v int64) string {
	h := strconv.FormatUint(uint64(v), 16)
	if len(h) < 14 {
		h = strings.Repeat("0", 14-len(h)) + h
	}
	return "0x" + h
}

// javaDate is java.util.Date.toString.
func javaDate(ms int64, loc *time.Location) string {
	return time.UnixMilli(ms).In(loc).Format("Mon Jan 02 15:04:05 MST 2006")
}
