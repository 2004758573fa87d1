package difftest

import (
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/zkit-go/zkit/internal/proto"
)

// Op names one kind of step. Most are ZooKeeper opcodes sent through
// package client; the rest drive sessions (open, close, drop, resume) or
// wait for the server (waitGone).
type Op string

// The step kinds.
const (
	OpOpen                 Op = "open"   // dial a new session for Step.S (Timeout)
	OpClose                Op = "close"  // closeSession
	OpDrop                 Op = "drop"   // close the socket, keep the session; remembers lastZxid
	OpResume               Op = "resume" // redial the dropped session with its id, password and lastZxid
	OpCreate               Op = "create"
	OpCreate2              Op = "create2"
	OpCreateContainer      Op = "createContainer"
	OpCreateTTL            Op = "createTTL"
	OpDelete               Op = "delete"
	OpExists               Op = "exists"
	OpGetData              Op = "getData"
	OpSetData              Op = "setData"
	OpGetACL               Op = "getACL"
	OpSetACL               Op = "setACL"
	OpGetChildren          Op = "getChildren"
	OpGetChildren2         Op = "getChildren2"
	OpSync                 Op = "sync"
	OpCheck                Op = "check" // only inside a multi: see doc.go on Java 3.8.0
	OpMulti                Op = "multi"
	OpMultiRead            Op = "multiRead"
	OpAddAuth              Op = "addAuth"
	OpWhoAmI               Op = "whoAmI"
	OpAddWatch             Op = "addWatch"
	OpCheckWatches         Op = "checkWatches"
	OpRemoveWatches        Op = "removeWatches"
	OpSetWatches2          Op = "setWatches2" // RelativeZxid: the lastZxid remembered at drop
	OpGetEphemerals        Op = "getEphemerals"
	OpGetAllChildrenNumber Op = "getAllChildrenNumber"
	OpWaitGone             Op = "waitGone" // poll (control session) until Path is gone
)

// Step is one request of a scenario. Fields unused by an Op are ignored.
type Step struct {
	S       int // session index
	Op      Op
	Path    string
	Data    []byte
	Flags   int32
	Version int32
	ACL     []proto.ACL
	TTL     time.Duration
	Watch   bool
	Mode    int32 // addWatch mode; WatcherType for checkWatches/removeWatches
	Sub     []Step
	Scheme  string // addAuth
	Auth    string
	Timeout time.Duration // open: requested session timeout (0: 10s)
	Watches proto.SetWatches2
}

func (s Step) String() string {
	var b strings.Builder
	if s.Op != OpWaitGone {
		fmt.Fprintf(&b, "S%d ", s.S)
	}
	b.WriteString(s.describe())
	return b.String()
}

func (s Step) describe() string {
	var b strings.Builder
	b.WriteString(string(s.Op))
	if s.Path != "" || pathOp(s.Op) {
		fmt.Fprintf(&b, " %q", s.Path)
	}
	switch s.Op {
	case OpCreate, OpCreate2, OpCreateContainer, OpCreateTTL:
		fmt.Fprintf(&b, " data=%q flags=%d acl=%s", s.Data, s.Flags, fmtACL(s.ACL))
		if s.Op == OpCreateTTL {
			fmt.Fprintf(&b, " ttl=%v", s.TTL)
		}
	case OpSetData:
		fmt.Fprintf(&b, " data=%q v=%d", s.Data, s.Version)
	case OpDelete, OpCheck:
		fmt.Fprintf(&b, " v=%d", s.Version)
	case OpSetACL:
		fmt.Fprintf(&b, " acl=%s v=%d", fmtACL(s.ACL), s.Version)
	case OpExists, OpGetData, OpGetChildren, OpGetChildren2:
		if s.Watch {
			b.WriteString(" watch")
		}
	case OpAddWatch, OpCheckWatches, OpRemoveWatches:
		fmt.Fprintf(&b, " mode=%d", s.Mode)
	case OpAddAuth:
		fmt.Fprintf(&b, " %s:%s", s.Scheme, s.Auth)
	case OpSetWatches2:
		w := s.Watches
		fmt.Fprintf(&b, " data=%v exist=%v child=%v persistent=%v recursive=%v",
			w.DataWatches, w.ExistWatches, w.ChildWatches, w.PersistentWatches, w.PersistentRecursiveWatches)
	case OpMulti, OpMultiRead:
		b.WriteString(" [")
		for i, sub := range s.Sub {
			if i > 0 {
				b.WriteString("; ")
			}
			b.WriteString(sub.describe())
		}
		b.WriteString("]")
	}
	return b.String()
}

func pathOp(op Op) bool {
	switch op {
	case OpOpen, OpClose, OpDrop, OpResume, OpMulti, OpMultiRead, OpAddAuth, OpWhoAmI, OpSetWatches2:
		return false
	}
	return true
}

// Step constructors, for readable scenarios.

// Open opens session s.
func Open(s int) Step { return Step{S: s, Op: OpOpen} }

// Close closes session s.
func Close(s int) Step { return Step{S: s, Op: OpClose} }

// Create is a create (opcode 1) with an open ACL.
func Create(s int, path, data string, flags int32) Step {
	return Step{S: s, Op: OpCreate, Path: path, Data: []byte(data), Flags: flags, ACL: proto.OpenACLUnsafe}
}

// Create2 is a create2 (opcode 15) with an open ACL.
func Create2(s int, path, data string, flags int32) Step {
	return Step{S: s, Op: OpCreate2, Path: path, Data: []byte(data), Flags: flags, ACL: proto.OpenACLUnsafe}
}

// CreateACL is a create2 with the given ACL.
func CreateACL(s int, path string, acl []proto.ACL) Step {
	return Step{S: s, Op: OpCreate2, Path: path, ACL: acl}
}

// Delete deletes path at version v.
func Delete(s int, path string, v int32) Step {
	return Step{S: s, Op: OpDelete, Path: path, Version: v}
}

// Exists is an exists, with a watch if watch.
func Exists(s int, path string, watch bool) Step {
	return Step{S: s, Op: OpExists, Path: path, Watch: watch}
}

// GetData is a getData, with a watch if watch.
func GetData(s int, path string, watch bool) Step {
	return Step{S: s, Op: OpGetData, Path: path, Watch: watch}
}

// SetData sets path's data at version v.
func SetData(s int, path, data string, v int32) Step {
	return Step{S: s, Op: OpSetData, Path: path, Data: []byte(data), Version: v}
}

// Children is a getChildren2 (children and the parent's Stat).
func Children(s int, path string, watch bool) Step {
	return Step{S: s, Op: OpGetChildren2, Path: path, Watch: watch}
}

// GetACL reads path's ACL.
func GetACL(s int, path string) Step { return Step{S: s, Op: OpGetACL, Path: path} }

// SetACL sets path's ACL at aversion v.
func SetACL(s int, path string, acl []proto.ACL, v int32) Step {
	return Step{S: s, Op: OpSetACL, Path: path, ACL: acl, Version: v}
}

// Multi runs sub-steps atomically.
func Multi(s int, sub ...Step) Step { return Step{S: s, Op: OpMulti, Sub: sub} }

// MultiRead runs getData/getChildren sub-steps.
func MultiRead(s int, sub ...Step) Step { return Step{S: s, Op: OpMultiRead, Sub: sub} }

// Sub-op constructors (session ignored).

// SubCreate is a create sub-op with an open ACL.
func SubCreate(path, data string, flags int32) Step { return Create(0, path, data, flags) }

// SubCreate2 is a create2 sub-op with an open ACL.
func SubCreate2(path, data string, flags int32) Step { return Create2(0, path, data, flags) }

// SubDelete is a delete sub-op.
func SubDelete(path string, v int32) Step { return Delete(0, path, v) }

// SubSetData is a setData sub-op.
func SubSetData(path, data string, v int32) Step { return SetData(0, path, data, v) }

// SubCheck is a check sub-op.
func SubCheck(path string, v int32) Step { return Step{Op: OpCheck, Path: path, Version: v} }

// SubGetData is a getData sub-op of a multiRead.
func SubGetData(path string) Step { return Step{Op: OpGetData, Path: path} }

// SubGetChildren is a getChildren sub-op of a multiRead.
func SubGetChildren(path string) Step { return Step{Op: OpGetChildren, Path: path} }

// ACL helpers.

// World is world:anyone with perms.
func World(perms int32) []proto.ACL { return []proto.ACL{{Perms: perms, ID: proto.AnyoneID}} }

// DigestID returns the digest scheme's id for user:password.
func DigestID(user, password string) string {
	h := sha1.Sum([]byte(user + ":" + password))
	return user + ":" + base64.StdEncoding.EncodeToString(h[:])
}

// DigestACL grants perms to user:password.
func DigestACL(user, password string, perms int32) proto.ACL {
	return proto.ACL{Perms: perms, ID: proto.ID{Scheme: "digest", ID: DigestID(user, password)}}
}

// AuthACL grants perms to every identity of the creating session.
func AuthACL(perms int32) proto.ACL { return proto.ACL{Perms: perms, ID: proto.AuthIDs} }

// IPACL grants perms to an address or CIDR range.
func IPACL(addr string, perms int32) proto.ACL {
	return proto.ACL{Perms: perms, ID: proto.ID{Scheme: "ip", ID: addr}}
}

func fmtACL(acl []proto.ACL) string {
	if acl == nil {
		return "nil"
	}
	parts := make([]string, len(acl))
	for i, a := range acl {
		parts[i] = fmt.Sprintf("%d:%s:%s", a.Perms, a.ID.Scheme, a.ID.ID)
	}
	return "[" + strings.Join(parts, ",") + "]"
}
