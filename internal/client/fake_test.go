package client_test

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/client"
	"github.com/zkit-go/zkit/internal/client/clienttest"
	"github.com/zkit-go/zkit/internal/jute"
	"github.com/zkit-go/zkit/internal/proto"
)

// fakeServer accepts one connection, answers the handshake and hands the
// connection to the test, which plays the server from there.
type fakeServer struct {
	ln    net.Listener
	conns chan net.Conn
	resp  proto.ConnectResponse
}

func newFake(t *testing.T) *fakeServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	f := &fakeServer{ln: ln, conns: make(chan net.Conn, 1), resp: proto.ConnectResponse{
		TimeOut: 30000, SessionID: 0x77, Passwd: make([]byte, 16), HasReadOnly: true,
	}}
	done := make(chan struct{})
	go func() {
		defer close(done)
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		if _, err := readFrame(nc); err != nil {
			nc.Close()
			return
		}
		_ = writeFrame(nc, jute.Marshal(&f.resp))
		f.conns <- nc
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		select {
		case nc := <-f.conns:
			nc.Close()
		default:
		}
	})
	return f
}

func (f *fakeServer) addr() string { return f.ln.Addr().String() }

func (f *fakeServer) accept(t *testing.T) net.Conn {
	t.Helper()
	select {
	case nc := <-f.conns:
		t.Cleanup(func() { nc.Close() })
		return nc
	case <-time.After(clienttest.Scale(10 * time.Second)):
		require.FailNow(t, "no connection")
	}
	return nil
}

func readFrame(r io.Reader) ([]byte, error) {
	var lb [4]byte
	if _, err := io.ReadFull(r, lb[:]); err != nil {
		return nil, err
	}
	b := make([]byte, binary.BigEndian.Uint32(lb[:]))
	_, err := io.ReadFull(r, b)
	return b, err
}

func writeFrame(w io.Writer, b []byte) error {
	_, err := w.Write(append(binary.BigEndian.AppendUint32(nil, uint32(len(b))), b...))
	return err
}

// readRequest reads one request, skipping pings.
func readRequest(t *testing.T, nc net.Conn) (proto.RequestHeader, *jute.Decoder) {
	t.Helper()
	for {
		b, err := readFrame(nc)
		require.NoError(t, err)
		d := jute.NewDecoder(b)
		var h proto.RequestHeader
		h.Decode(d)
		require.NoError(t, d.Err())
		if h.Xid != proto.XidPing {
			return h, d
		}
	}
}

func reply(t *testing.T, nc net.Conn, hdr proto.ReplyHeader, body jute.Record) {
	t.Helper()
	e := jute.NewEncoder(nil)
	hdr.Encode(e)
	if body != nil {
		body.Encode(e)
	}
	require.NoError(t, writeFrame(nc, e.Bytes()))
}

func ctx(t *testing.T) context.Context { return clienttest.Ctx(t) }

func TestHandshakeFields(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	got := make(chan proto.ConnectRequest, 1)
	go func() {
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		defer nc.Close()
		b, err := readFrame(nc)
		if err != nil {
			return
		}
		var req proto.ConnectRequest
		_ = jute.Unmarshal(b, &req)
		got <- req
		_ = writeFrame(nc, jute.Marshal(&proto.ConnectResponse{TimeOut: 6000, SessionID: 5, Passwd: []byte("0123456789abcdef"), ReadOnly: true, HasReadOnly: true}))
		_, _ = readFrame(nc) // closeSession
	}()
	c, err := client.Dial(ctx(t), ln.Addr().String(), client.WithSessionTimeout(6*time.Second),
		client.WithSession(9, []byte("pw")), client.WithLastZxid(0x500), client.WithReadOnly(true))
	require.NoError(t, err)
	req := <-got
	assert.Equal(t, proto.ConnectRequest{LastZxidSeen: 0x500, TimeOut: 6000, SessionID: 9, Passwd: []byte("pw"), ReadOnly: true, HasReadOnly: true}, req)
	assert.Equal(t, int64(5), c.SessionID())
	assert.Equal(t, []byte("0123456789abcdef"), c.Passwd())
	assert.Equal(t, 6*time.Second, c.Timeout())
	assert.True(t, c.ReadOnly())
	assert.Equal(t, int64(0x500), c.LastZxid())
	c.Drop()
}

func TestHandshakeExpired(t *testing.T) {
	f := newFake(t)
	f.resp = proto.ConnectResponse{Passwd: make([]byte, 16), HasReadOnly: true}
	_, err := client.Dial(ctx(t), f.addr())
	require.ErrorIs(t, err, proto.ErrSessionExpired)
}

func TestHandshakeContextCancel(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		nc, err := ln.Accept()
		if err == nil {
			accepted <- nc // never answers
		}
	}()
	cctx, cancel := context.WithCancel(context.Background())
	go func() {
		nc := <-accepted
		defer nc.Close()
		cancel()
	}()
	_, err = client.Dial(cctx, ln.Addr().String())
	require.ErrorIs(t, err, context.Canceled)
}

func TestRepliesMatchedInOrder(t *testing.T) {
	f := newFake(t)
	c, err := client.Dial(ctx(t), f.addr())
	require.NoError(t, err)
	defer c.Drop()
	nc := f.accept(t)

	type res struct {
		data []byte
		err  error
	}
	out := make([]chan res, 3)
	for i := range out {
		out[i] = make(chan res, 1)
		go func() {
			d, _, err := c.GetData(ctx(t), "/n", false)
			out[i] <- res{d, err}
		}()
		// Wait for this request so the xids are in a known order.
		h, d := readRequest(t, nc)
		var r proto.GetDataRequest
		r.Decode(d)
		assert.Equal(t, int32(i+1), h.Xid)
		assert.Equal(t, proto.OpGetData, h.Type)
		assert.Equal(t, "/n", r.Path)
	}
	reply(t, nc, proto.ReplyHeader{Xid: 1, Zxid: 10}, &proto.GetDataResponse{Data: []byte("one")})
	reply(t, nc, proto.ReplyHeader{Xid: -1, Zxid: -1}, &proto.WatcherEvent{Type: proto.EventNodeDeleted, State: 3, Path: "/w"})
	reply(t, nc, proto.ReplyHeader{Xid: 2, Zxid: 12, Err: proto.ErrNoNode}, nil)
	r := <-out[0]
	require.NoError(t, r.err)
	assert.Equal(t, []byte("one"), r.data)
	r = <-out[1]
	require.ErrorIs(t, r.err, proto.ErrNoNode)
	assert.Equal(t, int64(12), c.LastZxid(), "error replies carry zxids too")
	assert.Equal(t, client.Event{Type: proto.EventNodeDeleted, State: 3, Path: "/w"}, <-c.Events())

	// Xid 4 before 3 is a protocol error: the connection closes.
	reply(t, nc, proto.ReplyHeader{Xid: 4, Zxid: 13}, &proto.GetDataResponse{})
	r = <-out[2]
	require.ErrorIs(t, r.err, client.ErrClosed)
	require.ErrorIs(t, r.err, proto.ErrConnectionLoss)
	<-c.Done()
	require.ErrorIs(t, c.Err(), client.ErrProtocol)
	assert.Equal(t, int64(12), c.LastZxid())
	assert.Equal(t, client.Event{Type: proto.EventNone, State: proto.StateDisconnected}, <-c.Events())
}

func TestOversizedReplyCloses(t *testing.T) {
	f := newFake(t)
	c, err := client.Dial(ctx(t), f.addr(), client.WithMaxBuffer(1024))
	require.NoError(t, err)
	defer c.Drop()
	nc := f.accept(t)
	_, err = nc.Write(binary.BigEndian.AppendUint32(nil, 1025))
	require.NoError(t, err)
	<-c.Done()
	require.ErrorIs(t, c.Err(), client.ErrProtocol)
	_, err = c.GetChildren(ctx(t), "/", false)
	require.ErrorIs(t, err, client.ErrClosed)
}

func TestPingLoopAndSpecialXids(t *testing.T) {
	f := newFake(t)
	f.resp.TimeOut = 300 // pings every 100ms
	c, err := client.Dial(ctx(t), f.addr())
	require.NoError(t, err)
	defer c.Drop()
	nc := f.accept(t)

	b, err := readFrame(nc)
	require.NoError(t, err)
	assert.Equal(t, []byte{0xff, 0xff, 0xff, 0xfe, 0, 0, 0, 11}, b, "a ping is a bare RequestHeader{-2, 11}")
	reply(t, nc, proto.ReplyHeader{Xid: proto.XidPing, Zxid: 99}, nil)

	// auth uses xid -4 and may be answered ahead of normal replies.
	authDone := make(chan error, 1)
	go func() { authDone <- c.AddAuth(ctx(t), "digest", []byte("u:p")) }()
	h, d := readRequest(t, nc)
	require.Equal(t, proto.XidAuth, h.Xid)
	var ap proto.AuthPacket
	ap.Decode(d)
	assert.Equal(t, proto.AuthPacket{Scheme: "digest", Auth: []byte("u:p")}, ap)
	reply(t, nc, proto.ReplyHeader{Xid: proto.XidAuth}, nil)
	require.NoError(t, <-authDone)
	assert.Zero(t, c.LastZxid(), "ping replies do not move lastZxid")
}

func TestContextCancelAbandonsCall(t *testing.T) {
	f := newFake(t)
	c, err := client.Dial(ctx(t), f.addr())
	require.NoError(t, err)
	defer c.Drop()
	nc := f.accept(t)

	cctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, _, err := c.GetData(cctx, "/slow", false)
		errc <- err
	}()
	readRequest(t, nc)
	cancel()
	require.ErrorIs(t, <-errc, context.Canceled)

	// The late reply is read and dropped; the next call works.
	go func() {
		_, err := c.Exists(ctx(t), "/x", false)
		errc <- err
	}()
	readRequest(t, nc)
	reply(t, nc, proto.ReplyHeader{Xid: 1, Zxid: 5}, &proto.GetDataResponse{Data: []byte("late")})
	reply(t, nc, proto.ReplyHeader{Xid: 2, Zxid: 6}, &proto.ExistsResponse{})
	require.NoError(t, <-errc)
}

func TestCloseSendsCloseSession(t *testing.T) {
	f := newFake(t)
	c, err := client.Dial(ctx(t), f.addr())
	require.NoError(t, err)
	nc := f.accept(t)
	done := make(chan error, 1)
	go func() { done <- c.Close() }()
	h, d := readRequest(t, nc)
	assert.Equal(t, proto.OpCloseSession, h.Type)
	assert.Zero(t, d.Remaining())
	reply(t, nc, proto.ReplyHeader{Xid: h.Xid, Zxid: 7}, nil)
	nc.Close()
	require.NoError(t, <-done)
	require.NoError(t, c.Close(), "Close is idempotent")
	assert.Equal(t, client.Event{Type: proto.EventNone, State: proto.StateClosed}, <-c.Events())
	_, ok := <-c.Events()
	assert.False(t, ok, "events channel closed")
}

func TestRawAndDoXid(t *testing.T) {
	f := newFake(t)
	c, err := client.Dial(ctx(t), f.addr())
	require.NoError(t, err)
	defer c.Drop()
	nc := f.accept(t)

	require.NoError(t, c.Raw(ctx(t), []byte{0, 0, 0, 2, 0xab, 0xcd}))
	b, err := readFrame(nc)
	require.NoError(t, err)
	assert.Equal(t, []byte{0xab, 0xcd}, b)

	errc := make(chan error, 1)
	go func() {
		hdr, err := c.DoXid(ctx(t), -8, proto.OpSetWatches, &proto.SetWatches{RelativeZxid: 3}, nil)
		if err == nil && hdr.Xid != -8 {
			err = errors.New("wrong xid")
		}
		errc <- err
	}()
	h, d := readRequest(t, nc)
	assert.Equal(t, proto.RequestHeader{Xid: -8, Type: proto.OpSetWatches}, h)
	var sw proto.SetWatches
	sw.Decode(d)
	assert.Equal(t, int64(3), sw.RelativeZxid)
	reply(t, nc, proto.ReplyHeader{Xid: -8, Zxid: 3}, nil)
	require.NoError(t, <-errc)
}

func TestMultiErrorUnwraps(t *testing.T) {
	f := newFake(t)
	c, err := client.Dial(ctx(t), f.addr())
	require.NoError(t, err)
	defer c.Drop()
	nc := f.accept(t)
	errc := make(chan error, 1)
	go func() {
		_, err := c.Multi(ctx(t), client.DeleteOp("/a", -1), client.DeleteOp("/b", -1))
		errc <- err
	}()
	h, d := readRequest(t, nc)
	var m proto.MultiRequest
	m.Decode(d)
	require.NoError(t, d.Err())
	require.Len(t, m.Ops, 2)
	reply(t, nc, proto.ReplyHeader{Xid: h.Xid, Zxid: 2}, &proto.MultiResponse{Results: []proto.MultiResult{
		{Type: proto.OpError, Err: proto.ErrNoNode}, {Type: proto.OpError, Err: proto.ErrRuntimeInconsistency},
	}})
	err = <-errc
	var me *client.MultiError
	require.ErrorAs(t, err, &me)
	assert.Equal(t, 0, me.Index)
	assert.ErrorIs(t, err, proto.ErrNoNode)
}

func BenchmarkGetDataJava(b *testing.B) {
	if java == nil {
		b.Skip("Java ZooKeeper not installed")
	}
	c, err := client.Dial(context.Background(), java.Addr)
	require.NoError(b, err)
	defer c.Close()
	_, _ = c.Create(context.Background(), "/bench-getdata", make([]byte, 100), 0, proto.OpenACLUnsafe)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, _, err := c.GetData(context.Background(), "/bench-getdata", false); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
