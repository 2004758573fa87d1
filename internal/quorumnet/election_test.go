package quorumnet

import (
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/zkit-go/zkit/internal/client/clienttest"
	"github.com/zkit-go/zkit/internal/election"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

var scale = clienttest.Scale

func testLogger() *slog.Logger {
	if os.Getenv("ZKIT_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// countingListener counts accepted connections.
type countingListener struct {
	net.Listener
	accepted atomic.Int32
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.accepted.Add(1)
	}
	return c, err
}

// ensemble is a set of ElectionNets on loopback with pre-bound listeners.
type ensemble struct {
	t     *testing.T
	addrs map[int64]string
	lns   map[int64]*countingListener
	nets  map[int64]*ElectionNet
	// dialed counts connections established to each address (addresses
	// do not change across restarts). A dialled connection not yet
	// accepted waits in the listener's backlog.
	dialed map[string]*atomic.Int32
}

func newEnsemble(t *testing.T, ids ...int64) *ensemble {
	e := &ensemble{t: t, addrs: map[int64]string{}, lns: map[int64]*countingListener{}, nets: map[int64]*ElectionNet{}, dialed: map[string]*atomic.Int32{}}
	for _, id := range ids {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		e.addrs[id] = ln.Addr().String()
		e.dialed[e.addrs[id]] = new(atomic.Int32)
		e.lns[id] = &countingListener{Listener: ln}
	}
	for _, id := range ids {
		e.start(id)
	}
	t.Cleanup(func() {
		for _, n := range e.nets {
			n.Close()
		}
	})
	return e
}

// start starts id's net on its pre-bound listener (or a fresh bind at the
// same address after a restart).
func (e *ensemble) start(id int64) *ElectionNet {
	peers := map[int64]string{}
	for pid, a := range e.addrs {
		if pid != id {
			peers[pid] = a
		}
	}
	ln := e.lns[id]
	n := NewElectionNet(ElectionConfig{
		MyID:       id,
		ListenAddr: e.addrs[id],
		Peers:      peers,
		Listen: func(network, addr string) (net.Listener, error) {
			if ln != nil {
				l := ln
				ln = nil
				return l, nil
			}
			l, err := net.Listen(network, addr)
			if err != nil {
				return nil, err
			}
			cl := &countingListener{Listener: l}
			e.lns[id] = cl
			return cl, nil
		},
		Dial: func(network, addr string, timeout time.Duration) (net.Conn, error) {
			c, err := net.DialTimeout(network, addr, timeout)
			if err == nil {
				if d := e.dialed[addr]; d != nil {
					d.Add(1)
				}
			}
			return c, err
		},
		ConnectTimeout: scale(2 * time.Second),
		BindRetryDelay: 10 * time.Millisecond,
		Logger:         testLogger().With("net", id),
	})
	require.NoError(e.t, n.Start())
	e.nets[id] = n
	return n
}

func (e *ensemble) stop(id int64) {
	require.NoError(e.t, e.nets[id].Close())
	delete(e.nets, id)
	e.lns[id] = nil
}

// recv waits for the next message on n.
func recv(t *testing.T, n *ElectionNet) Received {
	t.Helper()
	select {
	case m, ok := <-n.Recv():
		require.True(t, ok, "recv channel closed")
		return m
	case <-time.After(scale(10 * time.Second)):
		t.Fatal("no message within timeout")
		return Received{}
	}
}

// recvUntil returns the first message equal to want, skipping others
// (duplicates are expected after reconnects) and failing after a timeout.
func recvUntil(t *testing.T, n *ElectionNet, from int64, want string) {
	t.Helper()
	deadline := time.After(scale(10 * time.Second))
	for {
		select {
		case m := <-n.Recv():
			if m.From == from && string(m.Msg) == want {
				return
			}
		case <-deadline:
			t.Fatalf("no %q from %d", want, from)
		}
	}
}

// recvAll waits until every wanted message has arrived, in any order,
// ignoring others.
func recvAll(t *testing.T, n *ElectionNet, want ...Received) {
	t.Helper()
	left := map[string]bool{}
	for _, w := range want {
		left[fmt.Sprintf("%d/%s", w.From, w.Msg)] = true
	}
	deadline := time.After(scale(10 * time.Second))
	for len(left) > 0 {
		select {
		case m := <-n.Recv():
			delete(left, fmt.Sprintf("%d/%s", m.From, m.Msg))
		case <-deadline:
			t.Fatalf("still missing %v", left)
		}
	}
}

func eventually(t *testing.T, cond func() bool, msg string) {
	t.Helper()
	require.Eventually(t, cond, scale(10*time.Second), 5*time.Millisecond, msg)
}

func TestElectionExchangeBothWays(t *testing.T) {
	e := newEnsemble(t, 1, 2)
	a, b := e.nets[1], e.nets[2]
	a.Send(2, []byte("from 1"))
	m := recv(t, b)
	assert.Equal(t, Received{From: 1, Msg: []byte("from 1")}, m)
	b.Send(1, []byte("from 2"))
	recvUntil(t, a, 2, "from 2")
	for i := range 50 {
		a.Send(2, fmt.Appendf(nil, "a%d", i))
		recvUntil(t, b, 1, fmt.Sprintf("a%d", i))
		b.Send(1, fmt.Appendf(nil, "b%d", i))
		recvUntil(t, a, 2, fmt.Sprintf("b%d", i))
	}
	assert.True(t, a.Connected(2))
	assert.True(t, b.Connected(1))
	// 1's connection was dropped for 2's: 2 accepted one, 1 accepted one
	// and kept it; no further connections while messages flowed.
	assert.Equal(t, int32(1), e.lns[1].accepted.Load())
	assert.Equal(t, int32(1), e.lns[2].accepted.Load())
}

func TestElectionSendToSelf(t *testing.T) {
	e := newEnsemble(t, 1)
	e.nets[1].Send(1, []byte("me"))
	assert.Equal(t, Received{From: 1, Msg: []byte("me")}, recv(t, e.nets[1]))
}

func TestElectionSimultaneousConnect(t *testing.T) {
	for round := range 10 {
		t.Run(fmt.Sprint(round), func(t *testing.T) {
			ids := []int64{1, 2, 3}
			e := newEnsemble(t, ids...)
			start := make(chan struct{})
			done := make(chan struct{})
			for _, id := range ids {
				go func() {
					<-start
					for _, to := range ids {
						if to != id {
							e.nets[id].Send(to, fmt.Appendf(nil, "vote %d", id))
						}
					}
					done <- struct{}{}
				}()
			}
			close(start)
			for range ids {
				<-done
			}
			for _, id := range ids {
				var want []Received
				for _, from := range ids {
					if from != id {
						want = append(want, Received{From: from, Msg: fmt.Appendf(nil, "vote %d", from)})
					}
				}
				recvAll(t, e.nets[id], want...)
			}
			eventually(t, func() bool {
				for _, id := range ids {
					for _, to := range ids {
						if to != id && !e.nets[id].Connected(to) {
							return false
						}
					}
				}
				return true
			}, "every pair connected")
			// Settled: once dials and handshakes in flight are done, further
			// exchanges open no new connection. A dial of the first flurry
			// still in a listener's backlog is in flight too: accepted late,
			// its handshake replaces a connection, and the peer that lost it
			// may dial once more before the connect-back arrives (the
			// protocol allows it, and Java does the same).
			exchange := func(tag string) {
				for _, id := range ids {
					for _, to := range ids {
						if to != id {
							e.nets[id].Send(to, fmt.Appendf(nil, "%s %d", tag, id))
						}
					}
				}
				for _, id := range ids {
					var want []Received
					for _, from := range ids {
						if from != id {
							want = append(want, Received{From: from, Msg: fmt.Appendf(nil, "%s %d", tag, from)})
						}
					}
					recvAll(t, e.nets[id], want...)
				}
			}
			eventually(t, func() bool {
				for id, n := range e.nets {
					if !n.idle() || e.lns[id].accepted.Load() != e.dialed[e.addrs[id]].Load() {
						return false
					}
				}
				return true
			}, "no dial or handshake in flight")
			for i := range 5 {
				exchange(fmt.Sprint("warm", i))
			}
			before := map[int64]int32{}
			for _, id := range ids {
				before[id] = e.lns[id].accepted.Load()
				assert.LessOrEqual(t, before[id], int32(8), "accepts at %d", id)
			}
			for i := range 10 {
				exchange(fmt.Sprint("again", i))
			}
			// No flapping: with nothing in flight, the exchanges reuse the
			// connections they found.
			for _, id := range ids {
				assert.Equal(t, before[id], e.lns[id].accepted.Load(), "accepts at %d", id)
			}
		})
	}
}

// idle reports that n has a connection to every peer it knows, no dial
// in flight and no inbound handshake pending.
func (n *ElectionNet) idle() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, p := range n.peers {
		if p.connecting || p.conn == nil {
			return false
		}
	}
	return len(n.inbound) == 0
}

// TestElectionRestartResendsLast restarts a peer; the survivor's new
// connection starts with the last message it sent (queue empty), whichever
// side has the larger sid.
func TestElectionRestartResendsLast(t *testing.T) {
	for _, tc := range []struct{ survivor, restarted int64 }{{1, 2}, {2, 1}} {
		t.Run(fmt.Sprintf("survivor %d", tc.survivor), func(t *testing.T) {
			e := newEnsemble(t, 1, 2)
			s := e.nets[tc.survivor]
			s.Send(tc.restarted, []byte("last vote"))
			recvUntil(t, e.nets[tc.restarted], tc.survivor, "last vote")
			e.stop(tc.restarted)
			eventually(t, func() bool { return !s.Connected(tc.restarted) }, "survivor notices")
			r := e.start(tc.restarted)
			r.Send(tc.survivor, []byte("hello again"))
			recvUntil(t, s, tc.restarted, "hello again")
			recvUntil(t, r, tc.survivor, "last vote")
		})
	}
}

// TestElectionQueueKeepsNewest: while a peer is down, only the newest
// message waits for it, and nothing older is resent ahead of it.
func TestElectionQueueKeepsNewest(t *testing.T) {
	e := newEnsemble(t, 1, 2)
	e.stop(2)
	a := e.nets[1]
	for i := range 5 {
		a.Send(2, fmt.Appendf(nil, "m%d", i))
	}
	b := e.start(2)
	// a dial started while 2 was down may fail after a ConnectAll; the
	// election core calls ConnectAll again on its timeouts, so do we
	eventually(t, func() bool { a.ConnectAll(); return a.Connected(2) }, "reconnected")
	m := recv(t, b)
	assert.Equal(t, "m4", string(m.Msg))
	a.Send(2, []byte("next"))
	m = recv(t, b)
	assert.Equal(t, "next", string(m.Msg))
}

func TestElectionBadSize(t *testing.T) {
	e := newEnsemble(t, 1, 2)
	e.nets[1].Send(2, nil)
	e.nets[1].Send(2, make([]byte, election.MaxFrame+1))
	e.nets[1].Send(2, []byte("ok"))
	assert.Equal(t, "ok", string(recv(t, e.nets[2]).Msg))
}

func handshake(sid int64, addr string) []byte {
	return election.AppendHandshake(nil, election.Handshake{Version: election.ProtocolV1, SID: sid, Addrs: []string{addr}})
}

// TestElectionBadHandshakes: each bad opening closes that connection; the
// net keeps working.
func TestElectionBadHandshakes(t *testing.T) {
	e := newEnsemble(t, 5, 6)
	n := e.nets[5]
	be := binary.BigEndian
	v1 := election.ProtocolV1
	hugeFrame := append(handshake(9, "127.0.0.1:1"), be.AppendUint32(nil, 0x7fffffff)...)
	zeroFrame := append(handshake(9, "127.0.0.1:1"), 0, 0, 0, 0)
	cases := map[string][]byte{
		"bad version":     be.AppendUint64(nil, uint64(0xffffffff_fffe0000)),
		"addr len 0":      be.AppendUint32(be.AppendUint64(be.AppendUint64(nil, uint64(v1)), 9), 0),
		"addr len huge":   be.AppendUint32(be.AppendUint64(be.AppendUint64(nil, uint64(v1)), 9), 0x7fffffff),
		"addr no port":    handshake(9, "localhost"),
		"addr bad port":   handshake(9, "localhost:http"),
		"truncated":       handshake(9, "127.0.0.1:1")[:12],
		"own sid":         handshake(5, "127.0.0.1:1"),
		"frame too big":   hugeFrame,
		"frame zero":      zeroFrame,
		"garbage":         []byte("GET / HTTP/1.0\r\n\r\n"),
		"legacy then eof": be.AppendUint64(nil, 9),
	}
	for name, b := range cases {
		t.Run(name, func(t *testing.T) {
			c, err := net.Dial("tcp", e.addrs[5])
			require.NoError(t, err)
			defer c.Close()
			_, err = c.Write(b)
			require.NoError(t, err)
			if name == "truncated" || name == "legacy then eof" {
				require.NoError(t, c.(*net.TCPConn).CloseWrite())
			}
			require.NoError(t, c.SetReadDeadline(time.Now().Add(scale(10*time.Second))))
			_, err = io.ReadAll(c) // returns when the net closes the connection
			require.NoError(t, err)
		})
	}
	// still serving
	e.nets[6].Send(5, []byte("fine"))
	recvUntil(t, n, 6, "fine")
	n.Send(6, []byte("fine too"))
	recvUntil(t, e.nets[6], 5, "fine too")
}

// TestElectionHandshakeTimeout: a silent inbound connection is dropped
// after ConnectTimeout.
func TestElectionHandshakeTimeout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	n := NewElectionNet(ElectionConfig{MyID: 1, ListenAddr: ln.Addr().String(), ConnectTimeout: 100 * time.Millisecond,
		Listen: func(string, string) (net.Listener, error) { return ln, nil }})
	require.NoError(t, n.Start())
	defer n.Close()
	c, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.SetReadDeadline(time.Now().Add(scale(10*time.Second))))
	_, err = io.ReadAll(c)
	require.NoError(t, err)
}

// TestElectionObserverID: a peer sending sid Long.MAX_VALUE gets sid -1;
// being smaller, it is dialled back at the address from its handshake.
func TestElectionObserverID(t *testing.T) {
	e := newEnsemble(t, 1)
	obs, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer obs.Close()
	c, err := net.Dial("tcp", e.addrs[1])
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Write(handshake(ObserverID, obs.Addr().String()))
	require.NoError(t, err)
	// net 1 closes our socket and dials the observer's address
	back, err := obs.Accept()
	require.NoError(t, err)
	defer back.Close()
	require.NoError(t, back.SetReadDeadline(time.Now().Add(scale(10*time.Second))))
	h, err := election.ReadHandshake(back)
	require.NoError(t, err)
	assert.Equal(t, int64(1), h.SID)
	assert.Equal(t, []string{e.addrs[1]}, h.Addrs)
	// that connection is kept (1 > -1): frames flow both ways
	frame, err := election.AppendFrame(nil, []byte("from observer"))
	require.NoError(t, err)
	_, err = back.Write(frame)
	require.NoError(t, err)
	m := recv(t, e.nets[1])
	assert.Equal(t, Received{From: -1, Msg: []byte("from observer")}, m)
	e.nets[1].Send(-1, []byte("to observer"))
	p, err := election.ReadFrame(back)
	require.NoError(t, err)
	for string(p) != "to observer" { // a resend of the last message may come first
		p, err = election.ReadFrame(back)
		require.NoError(t, err)
	}
}

// TestElectionLegacyHandshake: a first long ≥ 0 is a sid with no address.
func TestElectionLegacyHandshake(t *testing.T) {
	e := newEnsemble(t, 1)
	c, err := net.Dial("tcp", e.addrs[1])
	require.NoError(t, err)
	defer c.Close()
	b := binary.BigEndian.AppendUint64(nil, 7)
	b, err = election.AppendFrame(b, []byte("legacy"))
	require.NoError(t, err)
	_, err = c.Write(b)
	require.NoError(t, err)
	assert.Equal(t, Received{From: 7, Msg: []byte("legacy")}, recv(t, e.nets[1]))
}

func TestElectionBindRetries(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer busy.Close()
	var tries atomic.Int32
	n := NewElectionNet(ElectionConfig{MyID: 1, ListenAddr: busy.Addr().String(), BindRetryDelay: time.Millisecond,
		Listen: func(network, addr string) (net.Listener, error) {
			tries.Add(1)
			return net.Listen(network, addr)
		}})
	require.Error(t, n.Start())
	assert.Equal(t, int32(DefaultBindRetries), tries.Load())
	require.NoError(t, n.Close())
	_, ok := <-n.Recv()
	assert.False(t, ok)
}

func TestElectionCloseIdempotent(t *testing.T) {
	e := newEnsemble(t, 1, 2)
	e.nets[1].Send(2, []byte("x"))
	recv(t, e.nets[2])
	require.NoError(t, e.nets[1].Close())
	require.NoError(t, e.nets[1].Close())
	e.nets[1].Send(2, []byte("after close")) // no-op, no panic
	e.nets[1].ConnectAll()
	require.ErrorIs(t, e.nets[1].Start(), ErrClosed)
}

func TestAdvertiseAddr(t *testing.T) {
	bound := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 4242}
	for _, tc := range []struct{ adv, listen, want string }{
		{"", "127.0.0.1:0", "127.0.0.1:4242"},
		{"", ":3888", "127.0.0.1:3888"},
		{"", "zk1:3888", "zk1:3888"},
		{"zk1.example:3888", "0.0.0.0:3888", "zk1.example:3888"},
	} {
		assert.Equal(t, tc.want, advertiseAddr(tc.adv, tc.listen, bound), "%+v", tc)
	}
	assert.Equal(t, "", firstNonWildcard([]string{"0.0.0.0:1", "[::]:2"}))
	assert.Equal(t, "h:3", firstNonWildcard([]string{"0.0.0.0:1", "h:3"}))
	assert.Equal(t, int64(math.MaxInt64), ObserverID)
}

func BenchmarkElectionSendRecv(b *testing.B) {
	lns := map[int64]net.Listener{}
	addrs := map[int64]string{}
	for _, id := range []int64{1, 2} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(b, err)
		lns[id], addrs[id] = ln, ln.Addr().String()
	}
	mk := func(id, other int64) *ElectionNet {
		n := NewElectionNet(ElectionConfig{MyID: id, ListenAddr: addrs[id], Peers: map[int64]string{other: addrs[other]},
			Listen: func(string, string) (net.Listener, error) { return lns[id], nil }})
		require.NoError(b, n.Start())
		return n
	}
	a, c := mk(1, 2), mk(2, 1)
	defer a.Close()
	defer c.Close()
	msg := election.AppendNotification(nil, election.Notification{Leader: 2, Zxid: 5, ElectionEpoch: 1})
	b.ReportAllocs()
	for b.Loop() {
		a.Send(2, msg)
		<-c.Recv()
	}
}

func FuzzInboundHandshake(f *testing.F) {
	f.Add(handshake(3, "127.0.0.1:3888"))
	f.Add(handshake(ObserverID, "[::1]:3888"))
	f.Add(binary.BigEndian.AppendUint64(nil, 7))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := election.DecodeHandshake(b)
		if err != nil {
			return
		}
		if checkHandshakeAddrs(h) == nil {
			if a := firstNonWildcard(h.Addrs); a != "" {
				_, _, err := net.SplitHostPort(a)
				require.NoError(t, err)
			}
		}
	})
}
