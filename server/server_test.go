package server_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/server"
	zktesting "github.com/zkit-go/zkit/testing"
)

type nopLogger struct{}

func (nopLogger) Printf(string, ...interface{}) {}

func connect(t *testing.T, srv *zktesting.Server) (*zk.Conn, <-chan zk.Event) {
	t.Helper()
	c, ev, err := zk.Connect(srv.Servers(), 10*time.Second, zk.WithLogger(nopLogger{}))
	require.NoError(t, err)
	t.Cleanup(c.Close)
	waitState(t, ev, zk.StateHasSession)
	return c, ev
}

func waitState(t *testing.T, ev <-chan zk.Event, want zk.State) {
	t.Helper()
	deadline := time.After(zktesting.Scale(10 * time.Second))
	for {
		select {
		case e := <-ev:
			if e.Type == zk.EventSession && e.State == want {
				return
			}
		case <-deadline:
			t.Fatalf("no %v session event", want)
		}
	}
}

func waitEvent(t *testing.T, ch <-chan zk.Event) zk.Event {
	t.Helper()
	select {
	case e := <-ch:
		return e
	case <-time.After(zktesting.Scale(10 * time.Second)):
		t.Fatal("no watch event")
	}
	return zk.Event{}
}

var openACL = zk.WorldACL(zk.PermAll)

func TestCreateGetSetDelete(t *testing.T) {
	srv := zktesting.StartServer(t)
	c, _ := connect(t, srv)

	p, err := c.Create("/a", []byte("one"), 0, openACL)
	require.NoError(t, err)
	assert.Equal(t, "/a", p)

	data, st, err := c.Get("/a")
	require.NoError(t, err)
	assert.Equal(t, []byte("one"), data)
	assert.Equal(t, int32(0), st.Version)
	assert.Equal(t, int32(3), st.DataLength)
	assert.Equal(t, st.Czxid, st.Mzxid)
	assert.Equal(t, st.Czxid, st.Pzxid)
	assert.Equal(t, int64(0), st.EphemeralOwner)

	st2, err := c.Set("/a", []byte("two!"), 0)
	require.NoError(t, err)
	assert.Equal(t, int32(1), st2.Version)
	assert.Greater(t, st2.Mzxid, st.Mzxid)
	assert.Equal(t, st.Czxid, st2.Czxid)

	_, err = c.Set("/a", []byte("x"), 0)
	assert.ErrorIs(t, err, zk.ErrBadVersion)

	_, err = c.Create("/a", nil, 0, openACL)
	assert.ErrorIs(t, err, zk.ErrNodeExists)
	_, err = c.Create("/missing/child", nil, 0, openACL)
	assert.ErrorIs(t, err, zk.ErrNoNode)

	_, err = c.Create("/a/b", nil, 0, openACL)
	require.NoError(t, err)
	assert.ErrorIs(t, c.Delete("/a", -1), zk.ErrNotEmpty)
	assert.ErrorIs(t, c.Delete("/a/b", 5), zk.ErrBadVersion)
	require.NoError(t, c.Delete("/a/b", 0))
	require.NoError(t, c.Delete("/a", -1))
	ok, _, err := c.Exists("/a")
	require.NoError(t, err)
	assert.False(t, ok)
	_, _, err = c.Get("/a")
	assert.ErrorIs(t, err, zk.ErrNoNode)
	assert.ErrorIs(t, c.Delete("/a", -1), zk.ErrNoNode)
}

func TestChildrenAndCversion(t *testing.T) {
	srv := zktesting.StartServer(t)
	c, _ := connect(t, srv)
	_, err := c.Create("/p", nil, 0, openACL)
	require.NoError(t, err)
	for _, n := range []string{"c", "a", "b"} {
		_, err := c.Create("/p/"+n, nil, 0, openACL)
		require.NoError(t, err)
	}
	children, st, err := c.Children("/p")
	require.NoError(t, err)
	sort.Strings(children)
	assert.Equal(t, []string{"a", "b", "c"}, children)
	assert.Equal(t, int32(3), st.NumChildren)
	assert.Equal(t, int32(3), st.Cversion)
	require.NoError(t, c.Delete("/p/a", -1))
	_, st, err = c.Exists("/p")
	require.NoError(t, err)
	// Client cversion counts creates and deletes: 2*creates - children.
	assert.Equal(t, int32(4), st.Cversion)
	assert.Equal(t, int32(2), st.NumChildren)
}

func TestSequentialNames(t *testing.T) {
	srv := zktesting.StartServer(t)
	c, _ := connect(t, srv)
	_, err := c.Create("/q", nil, 0, openACL)
	require.NoError(t, err)
	_, err = c.Create("/q/plain", nil, 0, openACL)
	require.NoError(t, err)
	p1, err := c.Create("/q/item-", nil, zk.FlagSequence, openACL)
	require.NoError(t, err)
	assert.Equal(t, "/q/item-0000000001", p1)
	require.NoError(t, c.Delete(p1, -1))
	p2, err := c.Create("/q/item-", nil, zk.FlagSequence|zk.FlagEphemeral, openACL)
	require.NoError(t, err)
	// The counter counts creates under the parent, deletes do not lower it.
	assert.Equal(t, "/q/item-0000000002", p2)
}

func TestEphemeralsGoWithTheirSession(t *testing.T) {
	srv := zktesting.StartServer(t)
	c1, _ := connect(t, srv)
	c2, _ := connect(t, srv)
	_, err := c1.Create("/e", nil, zk.FlagEphemeral, openACL)
	require.NoError(t, err)
	_, st, err := c2.Exists("/e")
	require.NoError(t, err)
	assert.Equal(t, c1.SessionID(), st.EphemeralOwner)
	_, err = c1.Create("/e/child", nil, 0, openACL)
	assert.ErrorIs(t, err, zk.ErrNoChildrenForEphemerals)

	ok, _, ch, err := c2.ExistsW("/e")
	require.NoError(t, err)
	require.True(t, ok)
	c1.Close()
	ev := waitEvent(t, ch)
	assert.Equal(t, zk.EventNodeDeleted, ev.Type)
	assert.Equal(t, "/e", ev.Path)
}

func TestSessionExpiry(t *testing.T) {
	srv := zktesting.StartServer(t)
	c1, ev1 := connect(t, srv)
	c2, _ := connect(t, srv)
	_, err := c1.Create("/eph", nil, zk.FlagEphemeral, openACL)
	require.NoError(t, err)
	_, _, ch, err := c2.ExistsW("/eph")
	require.NoError(t, err)
	srv.ExpireSession(c1.SessionID())
	assert.Equal(t, zk.EventNodeDeleted, waitEvent(t, ch).Type)
	waitState(t, ev1, zk.StateExpired)
}

func TestSessionTimesOutWithoutPings(t *testing.T) {
	srv := zktesting.StartServer(t, zktesting.WithTickTime(100*time.Millisecond))
	// A raw connection that never pings: its session must expire within
	// about its negotiated timeout (clamped to 2..20 ticks).
	nc, err := net.Dial("tcp", srv.Addr())
	require.NoError(t, err)
	defer nc.Close()
	req := make([]byte, 0, 64)
	req = binary.BigEndian.AppendUint32(req, 0)  // protocolVersion
	req = binary.BigEndian.AppendUint64(req, 0)  // lastZxidSeen
	req = binary.BigEndian.AppendUint32(req, 1)  // timeOut (clamped up to 200ms)
	req = binary.BigEndian.AppendUint64(req, 0)  // sessionId
	req = binary.BigEndian.AppendUint32(req, 16) // passwd length
	req = append(req, make([]byte, 16)...)       // passwd
	req = append(req, 0)                         // readOnly
	frame := binary.BigEndian.AppendUint32(nil, uint32(len(req)))
	_, err = nc.Write(append(frame, req...))
	require.NoError(t, err)
	resp := readFrame(t, nc)
	require.Len(t, resp, 4+4+8+4+16+1)
	timeout := int32(binary.BigEndian.Uint32(resp[4:8]))
	assert.Equal(t, int32(200), timeout)
	sid := int64(binary.BigEndian.Uint64(resp[8:16]))
	assert.NotZero(t, sid)

	c, _ := connect(t, srv)
	zktesting.Eventually(t, 10*time.Second, func() bool {
		out := srv.Server().FourLetterWord("dump")
		return !strings.Contains(out, fmt.Sprintf("0x%x", sid))
	}, "session gone from dump")
	_ = c
}

func readFrame(t *testing.T, nc net.Conn) []byte {
	t.Helper()
	nc.SetReadDeadline(time.Now().Add(zktesting.Scale(10 * time.Second)))
	var l [4]byte
	_, err := io.ReadFull(nc, l[:])
	require.NoError(t, err)
	b := make([]byte, binary.BigEndian.Uint32(l[:]))
	_, err = io.ReadFull(nc, b)
	require.NoError(t, err)
	return b
}

func TestWatchesFireOnceInOrder(t *testing.T) {
	srv := zktesting.StartServer(t)
	c, _ := connect(t, srv)
	w, _ := connect(t, srv)

	_, _, existsCh, err := w.ExistsW("/w")
	require.NoError(t, err)
	_, err = c.Create("/w", []byte("1"), 0, openACL)
	require.NoError(t, err)
	e := waitEvent(t, existsCh)
	assert.Equal(t, zk.EventNodeCreated, e.Type)

	_, _, dataCh, err := w.GetW("/w")
	require.NoError(t, err)
	_, _, childCh, err := w.ChildrenW("/w")
	require.NoError(t, err)
	_, err = c.Set("/w", []byte("2"), -1)
	require.NoError(t, err)
	assert.Equal(t, zk.EventNodeDataChanged, waitEvent(t, dataCh).Type)

	_, err = c.Create("/w/kid", nil, 0, openACL)
	require.NoError(t, err)
	e = waitEvent(t, childCh)
	assert.Equal(t, zk.EventNodeChildrenChanged, e.Type)
	assert.Equal(t, "/w", e.Path)

	// One-shot: a second change fires nothing on the old channels (they
	// are closed after their event).
	_, ok := <-dataCh
	assert.False(t, ok)

	// The event precedes any read reply that shows the change.
	_, _, dataCh, err = w.GetW("/w")
	require.NoError(t, err)
	_, err = c.Set("/w", []byte("3"), -1)
	require.NoError(t, err)
	data, _, err := w.Get("/w")
	require.NoError(t, err)
	if bytes.Equal(data, []byte("3")) {
		select {
		case e := <-dataCh:
			assert.Equal(t, zk.EventNodeDataChanged, e.Type)
		default:
			t.Fatal("read saw new data before the watch event arrived")
		}
	}
}

func TestMulti(t *testing.T) {
	srv := zktesting.StartServer(t)
	c, _ := connect(t, srv)
	res, err := c.Multi(
		&zk.CreateRequest{Path: "/m", Data: []byte("x"), Acl: openACL},
		&zk.CreateRequest{Path: "/m/1", Acl: openACL},
		&zk.SetDataRequest{Path: "/m", Data: []byte("y"), Version: 0},
		&zk.CheckVersionRequest{Path: "/m", Version: 1},
	)
	require.NoError(t, err)
	require.Len(t, res, 4)
	assert.Equal(t, "/m", res[0].String)
	assert.Equal(t, int32(1), res[2].Stat.Version)

	res, err = c.Multi(
		&zk.CreateRequest{Path: "/m/2", Acl: openACL},
		&zk.DeleteRequest{Path: "/nope", Version: -1},
		&zk.SetDataRequest{Path: "/m", Data: []byte("z"), Version: -1},
	)
	assert.ErrorIs(t, err, zk.ErrNoNode)
	require.Len(t, res, 3)
	assert.NoError(t, res[0].Error)
	assert.ErrorIs(t, res[1].Error, zk.ErrNoNode)
	require.Error(t, res[2].Error) // RUNTIMEINCONSISTENCY, which go-zk reports as an unknown error
	ok, _, err := c.Exists("/m/2")
	require.NoError(t, err)
	assert.False(t, ok, "a failed multi changes nothing")
	data, _, err := c.Get("/m")
	require.NoError(t, err)
	assert.Equal(t, []byte("y"), data)
}

func TestACLs(t *testing.T) {
	srv := zktesting.StartServer(t, zktesting.WithConfig(func(c *server.Config) {
		c.SuperDigest = "super:D/InIHSb7yEEbrWz8b9l71RjZJU=" // password "test"
	}))
	owner, _ := connect(t, srv)
	require.NoError(t, owner.AddAuth("digest", []byte("alice:secret")))
	_, err := owner.Create("/secure", []byte("s"), 0, zk.DigestACL(zk.PermAll, "alice", "secret"))
	require.NoError(t, err)
	_, err = owner.Create("/auth", nil, 0, []zk.ACL{{Perms: zk.PermAll, Scheme: "auth", ID: ""}})
	require.NoError(t, err)
	acl, _, err := owner.GetACL("/auth")
	require.NoError(t, err)
	require.Len(t, acl, 1)
	assert.Equal(t, "digest", acl[0].Scheme)
	assert.True(t, strings.HasPrefix(acl[0].ID, "alice:"))

	other, _ := connect(t, srv)
	_, _, err = other.Get("/secure")
	assert.ErrorIs(t, err, zk.ErrNoAuth)
	_, err = other.Set("/secure", nil, -1)
	assert.ErrorIs(t, err, zk.ErrNoAuth)
	_, err = other.Create("/auth2", nil, 0, []zk.ACL{{Perms: zk.PermAll, Scheme: "auth", ID: ""}})
	assert.ErrorIs(t, err, zk.ErrInvalidACL)
	_, err = other.Create("/bad", nil, 0, []zk.ACL{})
	assert.ErrorIs(t, err, zk.ErrInvalidACL)

	super, _ := connect(t, srv)
	require.NoError(t, super.AddAuth("digest", []byte("super:test")))
	data, _, err := super.Get("/secure")
	require.NoError(t, err)
	assert.Equal(t, []byte("s"), data)

	ipOnly, _ := connect(t, srv)
	_, err = owner.Create("/local", nil, 0, []zk.ACL{{Perms: zk.PermRead, Scheme: "ip", ID: "127.0.0.0/8"}})
	require.NoError(t, err)
	_, _, err = ipOnly.Get("/local")
	assert.NoError(t, err)
	_, err = ipOnly.Set("/local", nil, -1)
	assert.ErrorIs(t, err, zk.ErrNoAuth)
}

func TestBadAuthClosesConnection(t *testing.T) {
	srv := zktesting.StartServer(t)
	c, ev := connect(t, srv)
	err := c.AddAuth("nosuchscheme", []byte("x"))
	assert.ErrorIs(t, err, zk.ErrAuthFailed)
	// ZooKeeper closes the connection after an authentication failure.
	waitState(t, ev, zk.StateDisconnected)
}

func TestInvalidPaths(t *testing.T) {
	srv := zktesting.StartServer(t)
	c, _ := connect(t, srv)
	// go-zk checks paths itself before sending; the server-side checks are
	// covered with the raw client in the engine tests.
	assert.ErrorIs(t, c.Delete("/zookeeper", -1), zk.ErrBadArguments)
	assert.ErrorIs(t, c.Delete("/", -1), zk.ErrBadArguments)
}

func TestTTLAndContainers(t *testing.T) {
	srv := zktesting.StartServer(t, zktesting.WithConfig(func(c *server.Config) {
		c.ContainerCheckInterval = 50 * time.Millisecond
	}))
	c, _ := connect(t, srv)
	_, err := c.CreateContainer("/box", nil, zk.FlagContainer, openACL)
	require.NoError(t, err)
	_, st, err := c.Exists("/box")
	require.NoError(t, err)
	assert.Equal(t, int64(0), st.EphemeralOwner, "containers show no owner")
	_, err = c.Create("/box/item", nil, 0, openACL)
	require.NoError(t, err)
	require.NoError(t, c.Delete("/box/item", -1))
	zktesting.Eventually(t, 10*time.Second, func() bool {
		ok, _, err := c.Exists("/box")
		return err == nil && !ok
	}, "empty container removed")

	_, err = c.CreateTTL("/ttl", nil, zk.FlagTTL, openACL, 100*time.Millisecond)
	require.NoError(t, err)
	zktesting.Eventually(t, 10*time.Second, func() bool {
		ok, _, err := c.Exists("/ttl")
		return err == nil && !ok
	}, "expired TTL node removed")
}

func TestOversizedPacketClosesOnlyThatConnection(t *testing.T) {
	srv := zktesting.StartServer(t)
	c, _ := connect(t, srv)
	bystander, _ := connect(t, srv)
	_, err := c.Create("/big", nil, 0, openACL)
	require.NoError(t, err)
	_, err = c.Set("/big", make([]byte, 1<<20), -1)
	assert.Error(t, err)
	_, _, err = bystander.Get("/big")
	assert.NoError(t, err)
}

func TestGarbageClosesConnection(t *testing.T) {
	srv := zktesting.StartServer(t)
	other, _ := connect(t, srv)
	for _, garbage := range [][]byte{
		{0xff, 0xff, 0xff, 0xff},                  // negative length
		{0x7f, 0, 0, 0},                           // huge length
		{0, 0, 0, 3, 1, 2, 3},                     // truncated connect request
		bytes.Repeat([]byte{0, 0, 0, 1, 9}, 1000), // nonsense frames
	} {
		nc, err := net.Dial("tcp", srv.Addr())
		require.NoError(t, err)
		_, _ = nc.Write(garbage)
		nc.SetReadDeadline(time.Now().Add(zktesting.Scale(10 * time.Second)))
		_, err = io.ReadAll(nc)
		var ne net.Error
		assert.False(t, errors.As(err, &ne) && ne.Timeout(), "server must close a garbage connection")
		nc.Close()
	}
	_, err := other.Create("/still-fine", nil, 0, openACL)
	require.NoError(t, err)
}

func TestFourLetterWords(t *testing.T) {
	srv := zktesting.StartServer(t)
	send := func(cmd string) string {
		nc, err := net.Dial("tcp", srv.Addr())
		require.NoError(t, err)
		defer nc.Close()
		_, err = nc.Write([]byte(cmd))
		require.NoError(t, err)
		nc.SetReadDeadline(time.Now().Add(zktesting.Scale(10 * time.Second)))
		out, err := io.ReadAll(nc)
		require.NoError(t, err)
		return string(out)
	}
	assert.Equal(t, "imok", send("ruok"))
	srvr := send("srvr")
	assert.Contains(t, srvr, "Mode: standalone\n")
	assert.Contains(t, srvr, "Zookeeper version: ")
	assert.Contains(t, send("mntr"), "zk_server_state\tstandalone\n")
	assert.Equal(t, "rw", send("isro"))

	restricted := zktesting.StartServer(t, zktesting.WithConfig(func(c *server.Config) { c.FourLetterWords = nil }))
	nc, err := net.Dial("tcp", restricted.Addr())
	require.NoError(t, err)
	defer nc.Close()
	_, err = nc.Write([]byte("ruok"))
	require.NoError(t, err)
	out, err := io.ReadAll(nc)
	require.NoError(t, err)
	assert.Equal(t, "ruok is not executed because it is not in the whitelist.\n", string(out))
}

func TestPipelinedRequestsKeepOrder(t *testing.T) {
	srv := zktesting.StartServer(t)
	c, _ := connect(t, srv)
	_, err := c.Create("/order", nil, 0, openACL)
	require.NoError(t, err)
	var wg sync.WaitGroup
	const n = 200
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_, err := c.Create(fmt.Sprintf("/order/n%03d", i), nil, 0, openACL)
			errs <- err
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	kids, st, err := c.Children("/order")
	require.NoError(t, err)
	assert.Len(t, kids, n)
	assert.Equal(t, int32(n), st.NumChildren)
}
