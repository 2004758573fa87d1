package server_test

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/client"
	"github.com/zkit-go/zkit/internal/proto"
	"github.com/zkit-go/zkit/internal/txnlog"
	"github.com/zkit-go/zkit/internal/vfs"
	"github.com/zkit-go/zkit/server"
	zktesting "github.com/zkit-go/zkit/testing"
)

// A check sent on its own, outside a multi, is answered as ZooKeeper
// 3.9.3+ answers it (UNIMPLEMENTED, then the connection closes) and logs
// nothing recovery cannot replay: the server restarts with its data.
func TestTopLevelCheckIsNotLogged(t *testing.T) {
	srv := zktesting.StartServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), zktesting.Scale(20*time.Second))
	defer cancel()
	c, err := client.Dial(ctx, srv.Addr())
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Create(ctx, "/checked", []byte("v"), 0, proto.OpenACLUnsafe)
	require.NoError(t, err)

	_, err = c.Do(ctx, proto.OpCheck, &proto.CheckVersionRequest{Path: "/checked", Version: 0}, nil)
	require.ErrorIs(t, err, proto.ErrUnimplemented)
	select {
	case <-c.Done():
	case <-ctx.Done():
		t.Fatal("the connection stayed open after the UNIMPLEMENTED reply")
	}

	// A check inside a multi still works.
	c2, err := client.Dial(ctx, srv.Addr())
	require.NoError(t, err)
	defer c2.Close()
	var resp proto.MultiResponse
	_, err = c2.Do(ctx, proto.OpMulti, &proto.MultiRequest{Ops: []proto.MultiOp{
		{Type: proto.OpCheck, Record: &proto.CheckVersionRequest{Path: "/checked", Version: 0}},
	}}, &resp)
	require.NoError(t, err)
	c2.Close()

	srv.Restart()
	c3, err := client.Dial(ctx, srv.Addr())
	require.NoError(t, err)
	defer c3.Close()
	data, _, err := c3.GetData(ctx, "/checked", false)
	require.NoError(t, err)
	assert.Equal(t, []byte("v"), data)
}

// Connections that never send a ConnectRequest are closed after
// zookeeper.nio.sessionlessCnxnTimeout, even with maxClientCnxns=0, while
// a connection with a session stays.
func TestSessionlessConnectionsAreClosed(t *testing.T) {
	srv := zktesting.StartServer(t, zktesting.WithConfig(func(c *server.Config) {
		c.MaxClientCnxns = 0
		c.Properties["zookeeper.nio.sessionlessCnxnTimeout"] = "300"
	}))
	ctx, cancel := context.WithTimeout(context.Background(), zktesting.Scale(30*time.Second))
	defer cancel()
	withSession, err := client.Dial(ctx, srv.Addr())
	require.NoError(t, err)
	defer withSession.Close()

	const idle = 200
	conns := make([]net.Conn, 0, idle)
	defer func() {
		for _, nc := range conns {
			nc.Close()
		}
	}()
	for range idle {
		nc, err := net.Dial("tcp", srv.Addr())
		require.NoError(t, err)
		conns = append(conns, nc)
	}
	deadline := time.Now().Add(zktesting.Scale(20 * time.Second))
	for i, nc := range conns {
		require.NoError(t, nc.SetReadDeadline(deadline))
		_, err := nc.Read(make([]byte, 1))
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatalf("idle connection %d still open at the deadline", i)
		}
		require.Error(t, err, "connection %d: the server sent bytes to a connection without a request", i)
	}

	// The session's connection outlived the sessionless timeout.
	_, err = withSession.Exists(ctx, "/", false)
	require.NoError(t, err)
	select {
	case <-withSession.Done():
		t.Fatal("the connection with a session was closed")
	default:
	}
}

// A data directory whose log holds a txn recovery cannot apply stops the
// server with an error naming the txn and what to do.
func TestRecoveryNamesUnreplayableTxn(t *testing.T) {
	dir := t.TempDir()
	cfg := server.DefaultConfig()
	cfg.DataDir = dir
	cfg.ClientPort = 0 // an ephemeral port on 127.0.0.1
	cfg.Logger = discardLogger()
	s, err := server.New(cfg)
	require.NoError(t, err)
	require.NoError(t, s.Start())
	<-s.Ready()
	ctx, cancel := context.WithTimeout(context.Background(), zktesting.Scale(20*time.Second))
	defer cancel()
	c, err := client.Dial(ctx, s.Addr().String())
	require.NoError(t, err)
	_, err = c.Create(ctx, "/a", nil, 0, proto.OpenACLUnsafe)
	require.NoError(t, err)
	c.Close()
	require.NoError(t, s.Close())

	// A later log file holding a top-level check txn, as Java 3.8 logs one.
	logDir := filepath.Join(dir, "version-2")
	it, err := txnlog.NewIterator(vfs.OS{}, logDir, 0)
	require.NoError(t, err)
	var last int64
	for it.Next() {
		last = it.Entry().Header.Zxid
	}
	require.NoError(t, it.Err())
	require.NoError(t, it.Close())
	require.Positive(t, last)
	w := txnlog.NewWriter(txnlog.Options{FS: vfs.OS{}, Dir: logDir, PreAllocSize: -1})
	hdr := proto.TxnHeader{ClientID: 1, Cxid: 9, Zxid: last + 1, Time: time.Now().UnixMilli(), Type: proto.OpCheck}
	require.NoError(t, w.Append(&hdr, &proto.CheckVersionTxn{Path: "/a", Version: 0}, nil))
	require.NoError(t, w.Sync())
	require.NoError(t, w.Close())

	_, err = server.New(cfg)
	require.Error(t, err)
	for _, want := range []string{"type check", "cannot be applied", "truncate the log before zxid"} {
		assert.Contains(t, err.Error(), want)
	}
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
