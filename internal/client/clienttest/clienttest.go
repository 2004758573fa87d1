// Package clienttest holds client-port conformance scenarios, written once
// against Java ZooKeeper 3.8's behaviour and run against any server
// address: package client's tests run them against Java ZooKeeper, and the
// zkit server's tests run the same ones against zkit.
//
// Each scenario is a func(t *testing.T, addr string) that dials its own
// connections (through package client), works under its own unique root
// node and removes it afterwards, so scenarios may share one server.
// RunAll runs every scenario as a subtest. The server must run with
// tickTime 2000 (session timeouts 4s–40s) and extendedTypesEnabled=true, as
// StartJavaServer does.
//
// The Java oracles, built on package javatest (the one place that knows
// how to launch Java): StartJavaServer runs one standalone Java ZooKeeper
// 3.8; StartJavaEnsemble runs n members on loopback (zoo.cfg server.N
// lines, myid, extra zoo.cfg lines and JVM flags), each of which can be
// stopped and started again on its data; StartJavaMember and
// StartJavaJoiner run one member of a mixed or growing ensemble. Both return ErrNoJava when
// /usr/share/java/zookeeper.jar is absent, and use ports below the
// kernel's ephemeral range (package testport) so a member can bind its
// ports again after a restart.
//
// Timeouts scale with the environment variable ZKIT_TEST_TIMEOUT_SCALE.
package clienttest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/client"
	"github.com/zkit-go/zkit/internal/proto"
)

// Scale multiplies d by ZKIT_TEST_TIMEOUT_SCALE (default 1).
func Scale(d time.Duration) time.Duration {
	if s, err := strconv.ParseFloat(os.Getenv("ZKIT_TEST_TIMEOUT_SCALE"), 64); err == nil && s > 0 {
		return time.Duration(float64(d) * s)
	}
	return d
}

// Ctx returns a context that ends with the test or after a scaled 30s.
func Ctx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), Scale(30*time.Second))
	t.Cleanup(cancel)
	return ctx
}

// Dial connects a client and closes it when the test ends.
func Dial(t testing.TB, addr string, opts ...client.Option) *client.Conn {
	t.Helper()
	c, err := client.Dial(Ctx(t), addr, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

var rootSeq atomic.Int64

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// Root creates a fresh persistent node for the test and deletes its
// subtree when the test ends.
func Root(t testing.TB, c *client.Conn) string {
	t.Helper()
	name := unsafeChars.ReplaceAllString(t.Name(), "_")
	p := fmt.Sprintf("/clienttest-%s-%d-%d", name, time.Now().UnixNano()%1e6, rootSeq.Add(1))
	_, err := c.Create(Ctx(t), p, nil, proto.FlagPersistent, proto.OpenACLUnsafe)
	require.NoError(t, err)
	t.Cleanup(func() {
		cc, err := client.Dial(context.Background(), c.RemoteAddr())
		if err != nil {
			return
		}
		defer cc.Close()
		_ = DeleteAll(context.Background(), cc, p)
	})
	return p
}

// DeleteAll deletes path and everything under it.
func DeleteAll(ctx context.Context, c *client.Conn, path string) error {
	kids, err := c.GetChildren(ctx, path, false)
	if errors.Is(err, proto.ErrNoNode) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, k := range kids {
		if err := DeleteAll(ctx, c, path+"/"+k); err != nil {
			return err
		}
	}
	err = c.Delete(ctx, path, -1)
	if errors.Is(err, proto.ErrNoNode) {
		return nil
	}
	return err
}

// NextEvent waits for the next notification on c.
func NextEvent(t testing.TB, c *client.Conn) client.Event {
	t.Helper()
	select {
	case ev, ok := <-c.Events():
		require.True(t, ok, "events closed")
		return ev
	case <-time.After(Scale(10 * time.Second)):
		require.FailNow(t, "no event")
	}
	return client.Event{}
}

// NoEvent requires that no notification is queued. Call it after a
// request whose reply the server sends after any event it would cause: the
// reader queues an event before it completes later calls.
func NoEvent(t testing.TB, c *client.Conn) {
	t.Helper()
	select {
	case ev := <-c.Events():
		require.Failf(t, "unexpected event", "%+v", ev)
	default:
	}
}

// Scenario is one named conformance scenario.
type Scenario struct {
	Name string
	Run  func(t *testing.T, addr string)
}

// Scenarios lists every scenario.
func Scenarios() []Scenario {
	return []Scenario{
		{"Connect", Connect},
		{"CreateModes", CreateModes},
		{"CreateErrors", CreateErrors},
		{"DataAndStat", DataAndStat},
		{"Children", Children},
		{"Delete", Delete},
		{"ACL", ACL},
		{"Auth", Auth},
		{"DataWatches", DataWatches},
		{"ChildWatches", ChildWatches},
		{"PersistentWatches", PersistentWatches},
		{"CheckAndRemoveWatches", CheckAndRemoveWatches},
		{"Multi", Multi},
		{"MultiRead", MultiRead},
		{"Ephemerals", Ephemerals},
		{"SyncAndConfig", SyncAndConfig},
		{"Reconnect", Reconnect},
		{"BadSession", BadSession},
		{"Pipelining", Pipelining},
		{"MalformedPacket", MalformedPacket},
		{"OldHandshake", OldHandshake},
		{"ClientZxidAhead", ClientZxidAhead},
	}
}

// RunAll runs every scenario against addr as a subtest.
func RunAll(t *testing.T, addr string) {
	for _, s := range Scenarios() {
		t.Run(s.Name, func(t *testing.T) { s.Run(t, addr) })
	}
}
