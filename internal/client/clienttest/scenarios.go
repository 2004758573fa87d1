package clienttest

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/client"
	"github.com/zkit-go/zkit/internal/proto"
)

var open = proto.OpenACLUnsafe

// Connect: a new session gets an id, a 16-byte password and the requested
// timeout within the server's bounds; the server is read-write.
func Connect(t *testing.T, addr string) {
	c := Dial(t, addr, client.WithSessionTimeout(10*time.Second))
	assert.NotZero(t, c.SessionID())
	assert.Len(t, c.Passwd(), 16)
	assert.Equal(t, 10*time.Second, c.Timeout())
	assert.False(t, c.ReadOnly())
	require.NoError(t, c.Ping(Ctx(t)))

	// Timeouts are clamped to [2, 20] ticks.
	short := Dial(t, addr, client.WithSessionTimeout(100*time.Millisecond))
	assert.Equal(t, 4*time.Second, short.Timeout())
	long := Dial(t, addr, client.WithSessionTimeout(time.Hour))
	assert.Equal(t, 40*time.Second, long.Timeout())
	assert.NotEqual(t, short.SessionID(), long.SessionID())
}

// CreateModes: every CreateMode and create opcode.
func CreateModes(t *testing.T, addr string) {
	c := Dial(t, addr)
	ctx := Ctx(t)
	root := Root(t, c)

	p, err := c.Create(ctx, root+"/plain", []byte("d"), proto.FlagPersistent, open)
	require.NoError(t, err)
	assert.Equal(t, root+"/plain", p)

	p, st, err := c.Create2(ctx, root+"/two", []byte("dd"), proto.FlagPersistent, open)
	require.NoError(t, err)
	assert.Equal(t, root+"/two", p)
	assert.Equal(t, int32(2), st.DataLength)
	assert.Equal(t, st.Czxid, st.Mzxid)
	assert.Equal(t, st.Czxid, st.Pzxid)
	assert.Equal(t, c.LastZxid(), st.Czxid)
	assert.Zero(t, st.EphemeralOwner)

	// Sequence numbers count creates under the parent: two so far.
	p, err = c.Create(ctx, root+"/seq-", nil, proto.FlagPersistentSequential, open)
	require.NoError(t, err)
	assert.Equal(t, root+"/seq-0000000002", p)

	p, st, err = c.Create2(ctx, root+"/eseq-", nil, proto.FlagEphemeralSequential, open)
	require.NoError(t, err)
	assert.Equal(t, root+"/eseq-0000000003", p)
	assert.Equal(t, c.SessionID(), st.EphemeralOwner)

	p, st, err = c.CreateContainer(ctx, root+"/cont", []byte("c"), open)
	require.NoError(t, err)
	assert.Equal(t, root+"/cont", p)
	assert.Zero(t, st.EphemeralOwner, "clients see ephemeralOwner 0 for containers")

	p, st, err = c.CreateTTL(ctx, root+"/ttl", nil, proto.FlagPersistentWithTTL, open, time.Minute)
	require.NoError(t, err)
	assert.Equal(t, root+"/ttl", p)
	assert.Zero(t, st.EphemeralOwner, "clients see ephemeralOwner 0 for TTL nodes")

	p, _, err = c.CreateTTL(ctx, root+"/ttlseq-", nil, proto.FlagPersistentSequentialWithTTL, open, time.Minute)
	require.NoError(t, err)
	assert.Equal(t, root+"/ttlseq-0000000006", p)

	// The parent's cversion counts the creates.
	_, st, err = c.GetChildren2(ctx, root, false)
	require.NoError(t, err)
	assert.Equal(t, int32(7), st.Cversion)
	assert.Equal(t, int32(7), st.NumChildren)

	// Null data (what kazoo sends for empty) reads back as empty.
	data, st, err := c.GetData(ctx, root+"/seq-0000000002", false)
	require.NoError(t, err)
	assert.Empty(t, data)
	assert.Zero(t, st.DataLength)
}

// CreateErrors: the errors of create, in ZooKeeper's order of checks.
func CreateErrors(t *testing.T, addr string) {
	c := Dial(t, addr)
	ctx := Ctx(t)
	root := Root(t, c)
	_, err := c.Create(ctx, root+"/a", nil, 0, open)
	require.NoError(t, err)

	tests := []struct {
		name  string
		path  string
		flags int32
		acl   []proto.ACL
		want  proto.Code
	}{
		{"exists", root + "/a", 0, open, proto.ErrNodeExists},
		{"no parent", root + "/missing/x", 0, open, proto.ErrNoNode},
		{"relative path", "relative", 0, open, proto.ErrBadArguments},
		// The parent is looked up before the full path is validated.
		{"trailing slash", root + "/a/", 0, open, proto.ErrBadArguments},
		{"dot component", root + "/a/.", 0, open, proto.ErrBadArguments},
		{"dot component, missing parent", root + "/./b", 0, open, proto.ErrNoNode},
		{"bad flags", root + "/b", 42, open, proto.ErrBadArguments},
		{"empty acl", root + "/b", 0, []proto.ACL{}, proto.ErrInvalidACL},
		{"auth acl without identity", root + "/b", 0, proto.CreatorAllACL, proto.ErrInvalidACL},
		{"unknown scheme", root + "/b", 0, []proto.ACL{{Perms: proto.PermAll, ID: proto.ID{Scheme: "nope", ID: "x"}}}, proto.ErrInvalidACL},
	}
	for _, tt := range tests {
		_, err := c.Create(ctx, tt.path, nil, tt.flags, tt.acl)
		assert.ErrorIs(t, err, tt.want, tt.name)
	}

	_, err = c.Create(ctx, root+"/eph", nil, proto.FlagEphemeral, open)
	require.NoError(t, err)
	_, err = c.Create(ctx, root+"/eph/kid", nil, 0, open)
	assert.ErrorIs(t, err, proto.ErrNoChildrenForEphemerals)

	// A TTL create with a non-TTL mode or a bad ttl is BadArguments.
	_, _, err = c.CreateTTL(ctx, root+"/t1", nil, proto.FlagPersistent, open, time.Minute)
	assert.ErrorIs(t, err, proto.ErrBadArguments)
	_, _, err = c.CreateTTL(ctx, root+"/t2", nil, proto.FlagPersistentWithTTL, open, 0)
	assert.ErrorIs(t, err, proto.ErrBadArguments)

	// The session is still usable after errors.
	require.NoError(t, c.Ping(ctx))
}

// DataAndStat: getData, setData, exists and their versions.
func DataAndStat(t *testing.T, addr string) {
	c := Dial(t, addr)
	ctx := Ctx(t)
	root := Root(t, c)
	p := root + "/n"
	_, created, err := c.Create2(ctx, p, []byte("v0"), 0, open)
	require.NoError(t, err)

	st, err := c.SetData(ctx, p, []byte("v1"), 0)
	require.NoError(t, err)
	assert.Equal(t, int32(1), st.Version)
	assert.Equal(t, created.Czxid, st.Czxid)
	assert.Greater(t, st.Mzxid, created.Mzxid)
	assert.GreaterOrEqual(t, st.Mtime, created.Mtime)
	assert.Equal(t, c.LastZxid(), st.Mzxid)

	_, err = c.SetData(ctx, p, []byte("v2"), 0)
	require.ErrorIs(t, err, proto.ErrBadVersion)
	st, err = c.SetData(ctx, p, []byte("v2"), -1)
	require.NoError(t, err)
	assert.Equal(t, int32(2), st.Version)

	data, st2, err := c.GetData(ctx, p, false)
	require.NoError(t, err)
	assert.Equal(t, []byte("v2"), data)
	assert.Equal(t, st, st2)

	ex, err := c.Exists(ctx, p, false)
	require.NoError(t, err)
	assert.Equal(t, st, ex)

	_, err = c.Exists(ctx, root+"/none", false)
	require.ErrorIs(t, err, proto.ErrNoNode)
	_, _, err = c.GetData(ctx, root+"/none", false)
	require.ErrorIs(t, err, proto.ErrNoNode)
	_, err = c.SetData(ctx, root+"/none", nil, -1)
	require.ErrorIs(t, err, proto.ErrNoNode)

	// Empty and null data are both length 0.
	st, err = c.SetData(ctx, p, []byte{}, -1)
	require.NoError(t, err)
	assert.Zero(t, st.DataLength)
	// No stand-alone check (opcode 13) here: Java 3.8 fails to serialise
	// its reply (a null Stat) and never answers it.
}

// Children: getChildren, getChildren2, getAllChildrenNumber.
func Children(t *testing.T, addr string) {
	c := Dial(t, addr)
	ctx := Ctx(t)
	root := Root(t, c)
	for _, n := range []string{"b", "a", "c"} {
		_, err := c.Create(ctx, root+"/"+n, nil, 0, open)
		require.NoError(t, err)
	}
	_, err := c.Create(ctx, root+"/a/x", nil, 0, open)
	require.NoError(t, err)

	kids, err := c.GetChildren(ctx, root, false)
	require.NoError(t, err)
	sort.Strings(kids)
	assert.Equal(t, []string{"a", "b", "c"}, kids)

	kids, st, err := c.GetChildren2(ctx, root, false)
	require.NoError(t, err)
	assert.Len(t, kids, 3)
	assert.Equal(t, int32(3), st.NumChildren)
	assert.Equal(t, int32(3), st.Cversion)

	kids, err = c.GetChildren(ctx, root+"/b", false)
	require.NoError(t, err)
	assert.NotNil(t, kids)
	assert.Empty(t, kids)

	n, err := c.GetAllChildrenNumber(ctx, root)
	require.NoError(t, err)
	assert.Equal(t, int32(4), n)

	_, err = c.GetChildren(ctx, root+"/none", false)
	require.ErrorIs(t, err, proto.ErrNoNode)
	_, err = c.GetAllChildrenNumber(ctx, root+"/none")
	require.ErrorIs(t, err, proto.ErrNoNode)
}

// Delete: versions, NotEmpty, NoNode, and the cversion/pzxid rules.
func Delete(t *testing.T, addr string) {
	c := Dial(t, addr)
	ctx := Ctx(t)
	root := Root(t, c)
	_, err := c.Create(ctx, root+"/p", nil, 0, open)
	require.NoError(t, err)
	_, err = c.Create(ctx, root+"/p/k", nil, 0, open)
	require.NoError(t, err)

	require.ErrorIs(t, c.Delete(ctx, root+"/p", -1), proto.ErrNotEmpty)
	require.ErrorIs(t, c.Delete(ctx, root+"/p/k", 3), proto.ErrBadVersion)
	require.ErrorIs(t, c.Delete(ctx, root+"/none", -1), proto.ErrNoNode)
	require.NoError(t, c.Delete(ctx, root+"/p/k", 0))
	_, st, err := c.GetChildren2(ctx, root+"/p", false)
	require.NoError(t, err)
	assert.Equal(t, c.LastZxid(), st.Pzxid, "a delete moves the parent's pzxid")
	// Stored cversion stays 1, so the exposed one is 2*1-0.
	assert.Equal(t, int32(2), st.Cversion)
	require.NoError(t, c.Delete(ctx, root+"/p", -1))
	require.ErrorIs(t, c.Delete(ctx, "/zookeeper", -1), proto.ErrBadArguments)
}

func digest(user, pass string) string {
	h := sha1.Sum([]byte(user + ":" + pass))
	return user + ":" + base64.StdEncoding.EncodeToString(h[:])
}

// ACL: getACL/setACL with world, ip, digest and auth ids; NoAuth from a
// session without the identity.
func ACL(t *testing.T, addr string) {
	c := Dial(t, addr)
	ctx := Ctx(t)
	root := Root(t, c)
	p := root + "/n"
	_, err := c.Create(ctx, p, []byte("secret"), 0, open)
	require.NoError(t, err)

	acl, st, err := c.GetACL(ctx, p)
	require.NoError(t, err)
	assert.Equal(t, open, acl)
	assert.Zero(t, st.Aversion)

	_, err = c.SetACL(ctx, p, proto.ReadACLUnsafe, 5)
	require.ErrorIs(t, err, proto.ErrBadVersion)

	ip := []proto.ACL{{Perms: proto.PermAll, ID: proto.ID{Scheme: "ip", ID: "127.0.0.1"}}}
	st, err = c.SetACL(ctx, p, ip, 0)
	require.NoError(t, err)
	assert.Equal(t, int32(1), st.Aversion)
	acl, _, err = c.GetACL(ctx, p)
	require.NoError(t, err)
	assert.Equal(t, ip, acl)

	// digest id and "auth" expansion.
	require.NoError(t, c.AddAuth(ctx, "digest", []byte("u1:p1")))
	st, err = c.SetACL(ctx, p, proto.CreatorAllACL, -1)
	require.NoError(t, err)
	assert.Equal(t, int32(2), st.Aversion)
	acl, _, err = c.GetACL(ctx, p)
	require.NoError(t, err)
	assert.Equal(t, []proto.ACL{{Perms: proto.PermAll, ID: proto.ID{Scheme: "digest", ID: digest("u1", "p1")}}}, acl)

	other := Dial(t, addr)
	_, _, err = other.GetData(ctx, p, false)
	require.ErrorIs(t, err, proto.ErrNoAuth)
	_, err = other.SetData(ctx, p, nil, -1)
	require.ErrorIs(t, err, proto.ErrNoAuth)
	_, _, err = other.GetACL(ctx, p)
	require.ErrorIs(t, err, proto.ErrNoAuth)
	_, err = other.Create(ctx, p+"/kid", nil, 0, open)
	require.ErrorIs(t, err, proto.ErrNoAuth)
	// A wrong password still adds an identity, just not the right one.
	require.NoError(t, other.AddAuth(ctx, "digest", []byte("u1:wrong")))
	_, _, err = other.GetData(ctx, p, false)
	require.ErrorIs(t, err, proto.ErrNoAuth)
	require.NoError(t, other.AddAuth(ctx, "digest", []byte("u1:p1")))
	data, _, err := other.GetData(ctx, p, false)
	require.NoError(t, err)
	assert.Equal(t, []byte("secret"), data)

	// Read-only ACL: reads pass, writes fail.
	ro := root + "/ro"
	_, err = c.Create(ctx, ro, nil, 0, proto.ReadACLUnsafe)
	require.NoError(t, err)
	third := Dial(t, addr)
	_, _, err = third.GetData(ctx, ro, false)
	require.NoError(t, err)
	_, err = third.SetData(ctx, ro, []byte("x"), -1)
	require.ErrorIs(t, err, proto.ErrNoAuth)
	require.NoError(t, third.Delete(ctx, ro, -1), "delete needs DELETE on the parent, which is open")
}

// Auth: whoAmI before and after addauth; a failed auth closes the
// connection.
func Auth(t *testing.T, addr string) {
	c := Dial(t, addr)
	ctx := Ctx(t)
	who, err := c.WhoAmI(ctx)
	require.NoError(t, err)
	assert.Equal(t, []proto.ClientInfo{{AuthScheme: "ip", User: "127.0.0.1"}}, who)

	require.NoError(t, c.AddAuth(ctx, "digest", []byte("alice:pw")))
	who, err = c.WhoAmI(ctx)
	require.NoError(t, err)
	assert.ElementsMatch(t, []proto.ClientInfo{{AuthScheme: "ip", User: "127.0.0.1"}, {AuthScheme: "digest", User: "alice"}}, who)

	bad := Dial(t, addr)
	err = bad.AddAuth(ctx, "nosuchscheme", []byte("x"))
	require.ErrorIs(t, err, proto.ErrAuthFailed)
	select {
	case <-bad.Done():
	case <-time.After(Scale(10 * time.Second)):
		require.FailNow(t, "server kept the connection after a failed auth")
	}
	_, err = bad.WhoAmI(ctx)
	require.ErrorIs(t, err, client.ErrClosed)
	require.ErrorIs(t, err, proto.ErrConnectionLoss)
}

// DataWatches: exists and getData watches fire once, with zxid -1 headers
// and state SyncConnected, before the reply of the change that fired them.
func DataWatches(t *testing.T, addr string) {
	c := Dial(t, addr)
	w := Dial(t, addr)
	ctx := Ctx(t)
	root := Root(t, c)
	p := root + "/n"

	_, err := w.Exists(ctx, p, true)
	require.ErrorIs(t, err, proto.ErrNoNode)
	_, err = c.Create(ctx, p, nil, 0, open)
	require.NoError(t, err)
	assert.Equal(t, client.Event{Type: proto.EventNodeCreated, State: proto.StateSyncConnected, Path: p}, NextEvent(t, w))

	_, _, err = w.GetData(ctx, p, true)
	require.NoError(t, err)
	_, err = c.SetData(ctx, p, []byte("x"), -1)
	require.NoError(t, err)
	assert.Equal(t, client.Event{Type: proto.EventNodeDataChanged, State: proto.StateSyncConnected, Path: p}, NextEvent(t, w))

	// One-shot: a second change fires nothing.
	_, err = c.SetData(ctx, p, []byte("y"), -1)
	require.NoError(t, err)
	require.NoError(t, w.Ping(ctx))
	NoEvent(t, w)

	// The session that makes the change gets its own event before the reply.
	_, err = c.Exists(ctx, p, true)
	require.NoError(t, err)
	require.NoError(t, c.Delete(ctx, p, -1))
	NoEventExcept(t, c, client.Event{Type: proto.EventNodeDeleted, State: proto.StateSyncConnected, Path: p})
}

// NoEventExcept requires that exactly want is queued on c.
func NoEventExcept(t testing.TB, c *client.Conn, want client.Event) {
	t.Helper()
	select {
	case ev := <-c.Events():
		assert.Equal(t, want, ev)
	default:
		require.Failf(t, "event not queued before the reply", "%+v", want)
	}
	NoEvent(t, c)
}

// ChildWatches: getChildren watches fire NodeChildrenChanged on create
// and delete of a child, and NodeDeleted when the node itself goes.
func ChildWatches(t *testing.T, addr string) {
	c := Dial(t, addr)
	ctx := Ctx(t)
	root := Root(t, c)
	p := root + "/p"
	_, err := c.Create(ctx, p, nil, 0, open)
	require.NoError(t, err)

	_, err = c.GetChildren(ctx, p, true)
	require.NoError(t, err)
	_, err = c.Create(ctx, p+"/k", nil, 0, open)
	require.NoError(t, err)
	NoEventExcept(t, c, client.Event{Type: proto.EventNodeChildrenChanged, State: proto.StateSyncConnected, Path: p})

	_, _, err = c.GetChildren2(ctx, p, true)
	require.NoError(t, err)
	// A data change of the node does not fire a child watch.
	_, err = c.SetData(ctx, p, []byte("x"), -1)
	require.NoError(t, err)
	NoEvent(t, c)
	require.NoError(t, c.Delete(ctx, p+"/k", -1))
	NoEventExcept(t, c, client.Event{Type: proto.EventNodeChildrenChanged, State: proto.StateSyncConnected, Path: p})

	_, err = c.GetChildren(ctx, p, true)
	require.NoError(t, err)
	require.NoError(t, c.Delete(ctx, p, -1))
	NoEventExcept(t, c, client.Event{Type: proto.EventNodeDeleted, State: proto.StateSyncConnected, Path: p})
}

// PersistentWatches: addWatch in both modes fires on every change and
// stays; recursive covers descendants.
func PersistentWatches(t *testing.T, addr string) {
	c := Dial(t, addr)
	ctx := Ctx(t)
	root := Root(t, c)
	p := root + "/p"
	_, err := c.Create(ctx, p, nil, 0, open)
	require.NoError(t, err)

	require.NoError(t, c.AddWatch(ctx, p, proto.AddWatchPersistent))
	for i := 0; i < 2; i++ {
		_, err = c.SetData(ctx, p, []byte{byte(i)}, -1)
		require.NoError(t, err)
		NoEventExcept(t, c, client.Event{Type: proto.EventNodeDataChanged, State: proto.StateSyncConnected, Path: p})
	}
	_, err = c.Create(ctx, p+"/k", nil, 0, open)
	require.NoError(t, err)
	NoEventExcept(t, c, client.Event{Type: proto.EventNodeChildrenChanged, State: proto.StateSyncConnected, Path: p})
	require.NoError(t, c.CheckWatches(ctx, p, proto.WatcherAny))
	require.NoError(t, c.RemoveWatches(ctx, p, proto.WatcherAny))
	_, err = c.SetData(ctx, p, nil, -1)
	require.NoError(t, err)
	NoEvent(t, c)

	require.NoError(t, c.AddWatch(ctx, root, proto.AddWatchPersistentRecursive))
	_, err = c.Create(ctx, p+"/k/deep", nil, 0, open)
	require.NoError(t, err)
	NoEventExcept(t, c, client.Event{Type: proto.EventNodeCreated, State: proto.StateSyncConnected, Path: p + "/k/deep"})
	_, err = c.SetData(ctx, p+"/k", []byte("x"), -1)
	require.NoError(t, err)
	NoEventExcept(t, c, client.Event{Type: proto.EventNodeDataChanged, State: proto.StateSyncConnected, Path: p + "/k"})
	require.NoError(t, c.Delete(ctx, p+"/k/deep", -1))
	// Recursive watches do not report child-list changes, only the node.
	NoEventExcept(t, c, client.Event{Type: proto.EventNodeDeleted, State: proto.StateSyncConnected, Path: p + "/k/deep"})
	require.NoError(t, c.RemoveWatches(ctx, root, proto.WatcherAny))
}

// CheckAndRemoveWatches: checkWatches/removeWatches by type, NoWatcher
// when there is none.
func CheckAndRemoveWatches(t *testing.T, addr string) {
	c := Dial(t, addr)
	ctx := Ctx(t)
	root := Root(t, c)
	p := root + "/n"
	_, err := c.Create(ctx, p, nil, 0, open)
	require.NoError(t, err)

	require.ErrorIs(t, c.CheckWatches(ctx, p, proto.WatcherData), proto.ErrNoWatcher)
	require.ErrorIs(t, c.RemoveWatches(ctx, p, proto.WatcherAny), proto.ErrNoWatcher)

	_, _, err = c.GetData(ctx, p, true)
	require.NoError(t, err)
	require.NoError(t, c.CheckWatches(ctx, p, proto.WatcherData))
	require.NoError(t, c.CheckWatches(ctx, p, proto.WatcherAny))
	require.ErrorIs(t, c.CheckWatches(ctx, p, proto.WatcherChildren), proto.ErrNoWatcher)

	_, err = c.GetChildren(ctx, p, true)
	require.NoError(t, err)
	require.NoError(t, c.RemoveWatches(ctx, p, proto.WatcherChildren))
	require.ErrorIs(t, c.CheckWatches(ctx, p, proto.WatcherChildren), proto.ErrNoWatcher)
	require.NoError(t, c.CheckWatches(ctx, p, proto.WatcherData))
	require.NoError(t, c.RemoveWatches(ctx, p, proto.WatcherData))
	require.ErrorIs(t, c.CheckWatches(ctx, p, proto.WatcherAny), proto.ErrNoWatcher)

	// A removed watch does not fire.
	_, err = c.SetData(ctx, p, []byte("x"), -1)
	require.NoError(t, err)
	NoEvent(t, c)
}

// Multi: atomic success with per-op results; failure as ZooKeeper
// reports it (header OK, all results errors) with nothing applied.
func Multi(t *testing.T, addr string) {
	c := Dial(t, addr)
	ctx := Ctx(t)
	root := Root(t, c)

	res, err := c.Multi(ctx,
		client.CreateOp(root+"/a", []byte("a"), 0, open),
		client.Create2Op(root+"/b", nil, proto.FlagPersistentSequential, open),
		proto.MultiOp{Type: proto.OpCreateContainer, Record: &proto.CreateRequest{Path: root + "/c", ACL: open, Flags: proto.FlagContainer}},
		proto.MultiOp{Type: proto.OpCreateTTL, Record: &proto.CreateTTLRequest{Path: root + "/t", ACL: open, Flags: proto.FlagPersistentWithTTL, TTL: 60000}},
		client.SetDataOp(root+"/a", []byte("a2"), 0),
		client.CheckOp(root+"/a", 1),
		client.DeleteOp(root+"/a", 1),
	)
	require.NoError(t, err)
	require.Len(t, res, 7)
	assert.Equal(t, proto.MultiResult{Type: proto.OpCreate, Record: &proto.CreateResponse{Path: root + "/a"}}, res[0])
	// createContainer and createTTL answer as create2 with a Stat. A
	// create2 sub-op answers as create2 since ZOOKEEPER-4026 (3.8.1);
	// Debian's 3.8.0 answers it as a plain create.
	switch r := res[1]; r.Type {
	case proto.OpCreate:
		assert.Equal(t, root+"/b0000000001", r.Record.(*proto.CreateResponse).Path)
	case proto.OpCreate2:
		assert.Equal(t, root+"/b0000000001", r.Record.(*proto.Create2Response).Path)
	default:
		assert.Failf(t, "create2 result", "type %v", r.Type)
	}
	for i, want := range []string{root + "/c", root + "/t"} {
		r := res[2+i]
		require.Equal(t, proto.OpCreate2, r.Type, "result %d", 2+i)
		assert.Equal(t, want, r.Record.(*proto.Create2Response).Path)
		assert.NotZero(t, r.Record.(*proto.Create2Response).Stat.Czxid)
	}
	assert.Equal(t, proto.OpSetData, res[4].Type)
	assert.Equal(t, int32(1), res[4].Record.(*proto.SetDataResponse).Stat.Version)
	assert.Equal(t, proto.MultiResult{Type: proto.OpCheck}, res[5])
	assert.Equal(t, proto.MultiResult{Type: proto.OpDelete}, res[6])
	zxid := c.LastZxid()

	// One failing op fails the whole multi.
	res, err = c.Multi(ctx,
		client.CreateOp(root+"/x", nil, 0, open),
		client.CheckOp(root+"/b0000000001", 7),
		client.DeleteOp(root+"/c", -1),
	)
	var me *client.MultiError
	require.ErrorAs(t, err, &me)
	assert.Equal(t, 1, me.Index)
	require.ErrorIs(t, err, proto.ErrBadVersion)
	assert.Equal(t, []proto.MultiResult{
		{Type: proto.OpError, Err: proto.OK},
		{Type: proto.OpError, Err: proto.ErrBadVersion},
		{Type: proto.OpError, Err: proto.ErrRuntimeInconsistency},
	}, res)
	assert.Greater(t, c.LastZxid(), zxid, "a failed multi still takes a zxid")
	_, err = c.Exists(ctx, root+"/x", false)
	require.ErrorIs(t, err, proto.ErrNoNode)
	_, err = c.Exists(ctx, root+"/c", false)
	require.NoError(t, err)

	// An empty multi succeeds with no results.
	res, err = c.Multi(ctx)
	require.NoError(t, err)
	assert.Empty(t, res)
}

// MultiRead: reads together; a failing read is its own error result.
func MultiRead(t *testing.T, addr string) {
	c := Dial(t, addr)
	ctx := Ctx(t)
	root := Root(t, c)
	_, err := c.Create(ctx, root+"/a", []byte("A"), 0, open)
	require.NoError(t, err)

	res, err := c.MultiRead(ctx, client.GetDataOp(root+"/a"), client.GetChildrenOp(root), client.GetDataOp(root+"/none"))
	require.NoError(t, err)
	require.Len(t, res, 3)
	require.Equal(t, proto.OpGetData, res[0].Type)
	assert.Equal(t, []byte("A"), res[0].Record.(*proto.GetDataResponse).Data)
	require.Equal(t, proto.OpGetChildren, res[1].Type)
	assert.Equal(t, []string{"a"}, res[1].Record.(*proto.GetChildrenResponse).Strings)
	assert.Equal(t, proto.MultiResult{Type: proto.OpError, Err: proto.ErrNoNode}, res[2])
}

// Ephemerals: getEphemerals lists this session's ephemerals by prefix;
// closeSession deletes them before its reply.
func Ephemerals(t *testing.T, addr string) {
	c := Dial(t, addr)
	ctx := Ctx(t)
	root := Root(t, c)
	other := Dial(t, addr)

	e1, err := c.Create(ctx, root+"/e1", nil, proto.FlagEphemeral, open)
	require.NoError(t, err)
	e2, err := c.Create(ctx, root+"/e-", nil, proto.FlagEphemeralSequential, open)
	require.NoError(t, err)
	_, err = other.Create(ctx, root+"/theirs", nil, proto.FlagEphemeral, open)
	require.NoError(t, err)

	got, err := c.GetEphemerals(ctx, root)
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{e1, e2}, got)
	got, err = c.GetEphemerals(ctx, root+"/e1")
	require.NoError(t, err)
	assert.Equal(t, []string{e1}, got)
	got, err = c.GetEphemerals(ctx, "/")
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{e1, e2}, got)

	require.NoError(t, c.Close())
	_, err = other.Exists(ctx, e1, false)
	require.ErrorIs(t, err, proto.ErrNoNode, "ephemerals are gone once closeSession is answered")
	_, _, err = c.GetData(ctx, e1, false)
	require.ErrorIs(t, err, client.ErrClosed)
}

// SyncAndConfig: sync echoes its path; the config node is readable.
func SyncAndConfig(t *testing.T, addr string) {
	c := Dial(t, addr)
	ctx := Ctx(t)
	p, err := c.Sync(ctx, "/")
	require.NoError(t, err)
	assert.Equal(t, "/", p)
	p, err = c.Sync(ctx, "/no/such/node")
	require.NoError(t, err, "sync does not check the path exists")
	assert.Equal(t, "/no/such/node", p)

	_, st, err := c.GetConfig(ctx, false)
	require.NoError(t, err)
	_, err = c.Exists(ctx, client.ConfigPath, false)
	require.NoError(t, err)
	acl, _, err := c.GetACL(ctx, client.ConfigPath)
	require.NoError(t, err)
	assert.Equal(t, proto.ReadACLUnsafe, acl)
	assert.Zero(t, st.EphemeralOwner)
}

// Reconnect: Drop the connection, resume the session with its id,
// password and lastZxid, and restore watches with SetWatches2; changes
// made meanwhile fire at once, the rest stay registered.
func Reconnect(t *testing.T, addr string) {
	c := Dial(t, addr)
	ctx := Ctx(t)
	root := Root(t, c)
	changed, same, missing := root+"/changed", root+"/same", root+"/missing"
	for _, p := range []string{changed, same} {
		_, err := c.Create(ctx, p, nil, 0, open)
		require.NoError(t, err)
	}
	eph, err := c.Create(ctx, root+"/eph", nil, proto.FlagEphemeral, open)
	require.NoError(t, err)
	zxid := c.LastZxid()
	id, pw := c.SessionID(), c.Passwd()
	c.Drop()

	other := Dial(t, addr)
	_, err = other.SetData(ctx, changed, []byte("x"), -1)
	require.NoError(t, err)

	r := Dial(t, addr, client.WithSession(id, pw), client.WithLastZxid(zxid))
	assert.Equal(t, id, r.SessionID())
	_, err = r.Exists(ctx, eph, false)
	require.NoError(t, err, "the ephemeral survives the reconnect")

	require.NoError(t, r.SetWatches2(ctx, proto.SetWatches2{
		RelativeZxid:               zxid,
		DataWatches:                []string{changed, same},
		ExistWatches:               []string{missing},
		ChildWatches:               []string{same},
		PersistentWatches:          []string{},
		PersistentRecursiveWatches: []string{root + "/rec"},
	}))
	NoEventExcept(t, r, client.Event{Type: proto.EventNodeDataChanged, State: proto.StateSyncConnected, Path: changed})

	_, err = other.Create(ctx, missing, nil, 0, open)
	require.NoError(t, err)
	assert.Equal(t, client.Event{Type: proto.EventNodeCreated, State: proto.StateSyncConnected, Path: missing}, NextEvent(t, r))
	_, err = other.Create(ctx, same+"/k", nil, 0, open)
	require.NoError(t, err)
	assert.Equal(t, client.Event{Type: proto.EventNodeChildrenChanged, State: proto.StateSyncConnected, Path: same}, NextEvent(t, r))
	_, err = other.Create(ctx, root+"/rec", nil, 0, open)
	require.NoError(t, err)
	assert.Equal(t, client.Event{Type: proto.EventNodeCreated, State: proto.StateSyncConnected, Path: root + "/rec"}, NextEvent(t, r))

	// Old-style SetWatches with the C client's xid -8 is echoed back.
	hdr, err := r.DoXid(ctx, proto.XidSetWatches, proto.OpSetWatches, &proto.SetWatches{
		RelativeZxid: r.LastZxid(), DataWatches: []string{same}, ExistWatches: []string{}, ChildWatches: []string{},
	}, nil)
	require.NoError(t, err)
	assert.Equal(t, proto.XidSetWatches, hdr.Xid)
	_, err = other.SetData(ctx, same, []byte("y"), -1)
	require.NoError(t, err)
	assert.Equal(t, client.Event{Type: proto.EventNodeDataChanged, State: proto.StateSyncConnected, Path: same}, NextEvent(t, r))
}

// BadSession: resuming with a wrong password or an unknown id is refused
// with a zero timeout, which Dial reports as SessionExpired. The server
// closes the session's current connection before it checks the password,
// but the session itself lives on.
func BadSession(t *testing.T, addr string) {
	c := Dial(t, addr)
	ctx := Ctx(t)
	eph, err := c.Create(ctx, Root(t, c)+"/eph", nil, proto.FlagEphemeral, open)
	require.NoError(t, err)
	_, err = client.Dial(ctx, addr, client.WithSession(c.SessionID()+1000, c.Passwd()))
	require.ErrorIs(t, err, proto.ErrSessionExpired)
	require.NoError(t, c.Ping(ctx), "an unknown id leaves other sessions alone")

	wrong := c.Passwd()
	wrong[0] ^= 0xff
	_, err = client.Dial(ctx, addr, client.WithSession(c.SessionID(), wrong))
	require.ErrorIs(t, err, proto.ErrSessionExpired)
	select {
	case <-c.Done():
	case <-time.After(Scale(10 * time.Second)):
		require.FailNow(t, "the session's old connection was kept")
	}
	r := Dial(t, addr, client.WithSession(c.SessionID(), c.Passwd()), client.WithLastZxid(c.LastZxid()))
	_, err = r.Exists(ctx, eph, false)
	require.NoError(t, err, "the session and its ephemeral survive")
}

// Pipelining: many concurrent requests on one connection all complete,
// matched in order.
func Pipelining(t *testing.T, addr string) {
	c := Dial(t, addr)
	ctx := Ctx(t)
	root := Root(t, c)
	const n = 200
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := fmt.Sprintf("%s/n%03d", root, i)
			if _, err := c.Create(ctx, p, []byte(p), 0, open); err != nil {
				errs <- err
				return
			}
			data, _, err := c.GetData(ctx, p, false)
			if err == nil && string(data) != p {
				err = fmt.Errorf("got %q for %s", data, p)
			}
			if err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	num, err := c.GetAllChildrenNumber(ctx, root)
	require.NoError(t, err)
	assert.Equal(t, int32(n), num)
}

// MalformedPacket: a frame length beyond jute.maxbuffer, or an
// undecodable request, makes the server close the connection.
func MalformedPacket(t *testing.T, addr string) {
	tests := map[string][]byte{
		"oversized length": binary.BigEndian.AppendUint32(nil, 0x7fffffff),
		"negative length":  binary.BigEndian.AppendUint32(nil, 0xffffff00),
		// A create whose path length runs past the end of the frame.
		"truncated record": {0, 0, 0, 12, 0, 0, 0, 9, 0, 0, 0, 1, 0, 0, 0x10, 0},
	}
	for name, raw := range tests {
		t.Run(name, func(t *testing.T) {
			c := Dial(t, addr)
			require.NoError(t, c.Raw(Ctx(t), raw))
			select {
			case <-c.Done():
			case <-time.After(Scale(10 * time.Second)):
				require.FailNow(t, "server kept the connection")
			}
			require.ErrorIs(t, c.Err(), client.ErrClosed)
		})
	}
}

// OldHandshake: a client without the readOnly byte is served, and gets
// no readOnly byte back.
func OldHandshake(t *testing.T, addr string) {
	c := Dial(t, addr, client.WithOldHandshake())
	assert.NotZero(t, c.SessionID())
	_, err := c.Exists(Ctx(t), "/", false)
	require.NoError(t, err)
}

// ClientZxidAhead: a client claiming to have seen a zxid the server has
// not is refused (the connection is closed without a response).
func ClientZxidAhead(t *testing.T, addr string) {
	_, err := client.Dial(Ctx(t), addr, client.WithLastZxid(1<<62))
	require.Error(t, err)
	assert.False(t, errors.Is(err, proto.ErrSessionExpired))
}
