package engine_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/client"
	"github.com/zkit-go/zkit/internal/client/clienttest"
	"github.com/zkit-go/zkit/internal/engine"
	"github.com/zkit-go/zkit/internal/jute"
	"github.com/zkit-go/zkit/internal/proto"
	"github.com/zkit-go/zkit/internal/session"
	"github.com/zkit-go/zkit/internal/statemachine"
	zktesting "github.com/zkit-go/zkit/testing"
)

// heldLog is a TxnLog whose Sync blocks while held, keeping the writes of
// that group commit in the pipeline until Release.
type heldLog struct {
	mu      sync.Mutex // guards held, release
	held    bool
	release chan struct{}
	entered chan struct{} // one value per Sync that blocked
}

func newHeldLog() *heldLog { return &heldLog{entered: make(chan struct{}, 16)} }

func (l *heldLog) Append(*proto.TxnHeader, jute.Record, *proto.TxnDigest) error { return nil }

func (l *heldLog) Sync() error {
	l.mu.Lock()
	held, release := l.held, l.release
	l.mu.Unlock()
	if !held {
		return nil
	}
	l.entered <- struct{}{}
	<-release
	return nil
}

// Hold makes the next Syncs block.
func (l *heldLog) Hold() {
	l.mu.Lock()
	l.held, l.release = true, make(chan struct{})
	l.mu.Unlock()
}

// Release lets the blocked Syncs, and later ones, return.
func (l *heldLog) Release() {
	l.mu.Lock()
	if l.held {
		l.held = false
		close(l.release)
	}
	l.mu.Unlock()
}

type getResult struct {
	data []byte
	err  error
}

func asyncGet(ctx context.Context, c *client.Conn, path string) <-chan getResult {
	ch := make(chan getResult, 1)
	go func() {
		data, _, err := c.GetData(ctx, path, false)
		ch <- getResult{data, err}
	}()
	return ch
}

func asyncSet(ctx context.Context, c *client.Conn, path string, data []byte) <-chan error {
	ch := make(chan error, 1)
	go func() {
		_, err := c.SetData(ctx, path, data, -1)
		ch <- err
	}()
	return ch
}

// lastOpOf returns the last op the engine saw on the open connection of a
// session ("" if none is open).
func lastOpOf(e *engine.Engine, session int64) string {
	for _, ci := range e.Connections() {
		if ci.SessionID == session {
			return ci.LastOp
		}
	}
	return ""
}

// A client that resumes its session on a new connection while a write
// from its old connection is still in the pipeline: the old connection is
// closed, the write is applied (one member: no SESSIONMOVED, as ZooKeeper,
// whose owner is the member), and a read on the new connection waits for
// it. With hops > 1 the session moves on again before the write lands.
func TestResumeWaitsForOldConnectionWrites(t *testing.T) {
	for _, hops := range []int{1, 2} {
		t.Run(map[int]string{1: "one move", 2: "two moves"}[hops], func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), zktesting.Scale(30*time.Second))
			defer cancel()
			log := newHeldLog()
			e, addr := startEngine(t, engine.Config{Log: log})
			t.Cleanup(log.Release) // before the engine closes: a held Sync would keep it open
			a := clienttest.Dial(t, addr)
			_, err := a.Create(ctx, "/x", []byte("old"), proto.FlagPersistent, proto.OpenACLUnsafe)
			require.NoError(t, err)

			log.Hold()
			setDone := asyncSet(ctx, a, "/x", []byte("new"))
			select {
			case <-log.entered: // the setData is in the log stage, not applied
			case <-ctx.Done():
				t.Fatal("setData never reached the log")
			}

			var b *client.Conn
			prev := a
			for range hops {
				b = clienttest.Dial(t, addr, client.WithSession(a.SessionID(), a.Passwd()))
				select {
				case <-prev.Done(): // the server closed the previous connection
				case <-ctx.Done():
					t.Fatal("the previous connection was not closed on resume")
				}
				prev = b
			}
			require.Error(t, <-setDone, "the old connection closed before the reply")

			got := asyncGet(ctx, b, "/x")
			zktesting.Eventually(t, 10*time.Second, func() bool { return lastOpOf(e, a.SessionID()) == "GETD" },
				"the engine received the read")
			select {
			case r := <-got:
				t.Fatalf("read answered while the session's write was in flight: %q %v", r.data, r.err)
			default:
			}
			log.Release()
			r := <-got
			require.NoError(t, r.err)
			assert.Equal(t, "new", string(r.data), "the read saw the write from the old connection")

			// The queue drained: the session goes on normally.
			_, err = b.SetData(ctx, "/x", []byte("newer"), -1)
			require.NoError(t, err)
			data, _, err := b.GetData(ctx, "/x", false)
			require.NoError(t, err)
			assert.Equal(t, "newer", string(data))
		})
	}
}

// A resume while nothing is in flight answers at once (no barrier left in
// the queue), and a connection closed with nothing in flight is forgotten.
func TestResumeWithNothingInFlight(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), zktesting.Scale(30*time.Second))
	defer cancel()
	_, addr := startEngine(t, engine.Config{})
	a := clienttest.Dial(t, addr)
	_, err := a.Create(ctx, "/x", []byte("v"), proto.FlagPersistent, proto.OpenACLUnsafe)
	require.NoError(t, err)
	a.Drop()
	b := clienttest.Dial(t, addr, client.WithSession(a.SessionID(), a.Passwd()))
	data, _, err := b.GetData(ctx, "/x", false)
	require.NoError(t, err)
	assert.Equal(t, "v", string(data))
}

// fakeQuorum is an ensemble member's write path for engine tests. As a
// leader's, it commits each proposal at once on the prep goroutine and
// records it; as a learner's, it hands forwarded requests to the test.
type fakeQuorum struct {
	e         *engine.Engine
	mu        sync.Mutex // guards proposed
	proposed  []txnEntry
	forwarded chan []byte
	// hold (set before use) makes a leader's proposals wait in held for
	// the test to commit, instead of committing at once.
	hold bool
	held chan *engine.Txn
}

type txnEntry struct {
	hdr proto.TxnHeader
	rec jute.Record
}

func (q *fakeQuorum) Replicate(t *engine.Txn) {
	// What a learner would decode from the PROPOSAL: the entry bytes.
	dec, err := statemachine.Decode(t.Entry)
	if err != nil {
		panic(err) // a test bug: the engine encoded it
	}
	q.mu.Lock()
	q.proposed = append(q.proposed, txnEntry{dec.Hdr, dec.Record})
	q.mu.Unlock()
	if q.hold {
		q.held <- t
		return
	}
	q.e.Commit([]*engine.Txn{t})
}

func (q *fakeQuorum) Forward(data []byte, _ []proto.ID) {
	q.forwarded <- append([]byte(nil), data...)
}

// Revalidate answers at once that the session lives (the engine has
// registered the waiting connection before asking).
func (q *fakeQuorum) Revalidate(id int64, _ int32) { q.e.Revalidated(id, true) }
func (q *fakeQuorum) Touch(id int64, to int32)     {}

// proposal waits for the txn of (session, cxid).
func (q *fakeQuorum) proposal(t *testing.T, session int64, cxid int32) txnEntry {
	t.Helper()
	var found txnEntry
	zktesting.Eventually(t, 10*time.Second, func() bool {
		q.mu.Lock()
		defer q.mu.Unlock()
		for _, p := range q.proposed {
			if p.hdr.ClientID == session && p.hdr.Cxid == cxid {
				found = p
				return true
			}
		}
		return false
	}, "the txn was proposed")
	return found
}

func startMember(t *testing.T, role engine.Role) (*engine.Engine, *fakeQuorum) {
	t.Helper()
	q := &fakeQuorum{forwarded: make(chan []byte, 64), held: make(chan *engine.Txn, 64)}
	e, err := engine.New(engine.Config{
		Role:     role,
		Quorum:   q,
		ServerID: 1,
		Logger:   slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	require.NoError(t, err)
	q.e = e
	require.NoError(t, e.StartServing())
	t.Cleanup(func() { e.Close() })
	return e, q
}

// pipeDialer connects a client to e over an in-memory pipe.
func pipeDialer(e *engine.Engine) client.Option {
	return client.WithDialer(func(context.Context, string, string) (net.Conn, error) {
		c, s := net.Pipe()
		e.ServeConn(s)
		return c, nil
	})
}

func forwardedRequest(session int64, cxid int32, op proto.OpCode, rec jute.Record) []byte {
	var enc jute.Encoder
	enc.Long(session)
	enc.Int(cxid)
	enc.Int(int32(op))
	if rec != nil {
		rec.Encode(&enc)
	}
	return enc.Bytes()
}

func createSessionRequest(session int64, timeout int32) []byte {
	var enc jute.Encoder
	enc.Long(session)
	enc.Int(0)
	enc.Int(int32(proto.OpCreateSession))
	enc.Int(timeout)
	return enc.Bytes()
}

// txnErr returns an error txn's code, or OK for any other txn.
func txnErr(p txnEntry) proto.Code {
	if et, ok := p.rec.(*proto.ErrorTxn); ok && p.hdr.Type == proto.OpError {
		return et.Err
	}
	return proto.OK
}

// The leader fences the writes of a session from a member it has moved
// away from: the owner is the member (the leader itself for its own
// connections, the learner for forwarded requests), set at createSession
// and moved by a resume (REVALIDATE from a learner, or a handshake on the
// leader).
func TestLeaderFencesMovedSession(t *testing.T) {
	const (
		learner2 = 2
		learner3 = 3
		timeout  = 10000
	)
	setX := func(data string) *proto.SetDataRequest {
		return &proto.SetDataRequest{Path: "/x", Data: []byte(data), Version: -1}
	}
	t.Run("between learners", func(t *testing.T) {
		e, q := startMember(t, engine.RoleLeader)
		sid := int64(2)<<56 | 1
		_, err := e.SubmitForwarded(createSessionRequest(sid, timeout), nil, learner2)
		require.NoError(t, err)
		_, err = e.SubmitForwarded(forwardedRequest(sid, 1, proto.OpCreate,
			&proto.CreateRequest{Path: "/x", Data: []byte("a"), ACL: proto.OpenACLUnsafe}), nil, learner2)
		require.NoError(t, err)
		require.Equal(t, proto.OK, txnErr(q.proposal(t, sid, 1)))

		require.True(t, e.RevalidateSession(sid, timeout, learner3), "the session moves to learner 3")
		_, err = e.SubmitForwarded(forwardedRequest(sid, 2, proto.OpSetData, setX("from 2")), nil, learner2)
		require.NoError(t, err)
		assert.Equal(t, proto.ErrSessionMoved, txnErr(q.proposal(t, sid, 2)), "a write from learner 2 is fenced")
		_, err = e.SubmitForwarded(forwardedRequest(sid, 3, proto.OpSetData, setX("from 3")), nil, learner3)
		require.NoError(t, err)
		assert.Equal(t, proto.OK, txnErr(q.proposal(t, sid, 3)), "a write from learner 3 goes through")

		// A multi from the old member fails as a whole with SESSIONMOVED.
		_, err = e.SubmitForwarded(forwardedRequest(sid, 4, proto.OpMulti, &proto.MultiRequest{Ops: []proto.MultiOp{
			{Type: proto.OpSetData, Record: setX("multi from 2")},
		}}), nil, learner2)
		require.NoError(t, err)
		p := q.proposal(t, sid, 4)
		require.Equal(t, proto.OpMulti, p.hdr.Type)
		sub := p.rec.(*proto.MultiTxn).Txns
		require.Len(t, sub, 1)
		require.Equal(t, proto.OpError, sub[0].Type)

		data, _, err := e.Tree().GetData("/x", nil)
		require.NoError(t, err)
		assert.Equal(t, "from 3", string(data))
	})

	t.Run("from the leader's connection to a learner", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), zktesting.Scale(30*time.Second))
		defer cancel()
		e, q := startMember(t, engine.RoleLeader)
		a := clienttest.Dial(t, "leader", pipeDialer(e))
		_, err := a.Create(ctx, "/x", []byte("a"), proto.FlagPersistent, proto.OpenACLUnsafe)
		require.NoError(t, err)
		require.True(t, e.RevalidateSession(a.SessionID(), timeout, learner3))
		_, err = a.SetData(ctx, "/x", []byte("stale"), -1)
		require.Error(t, err)
		assert.NotErrorIs(t, err, proto.ErrSessionMoved, "no -118 reply: the connection is closed")
		select {
		case <-a.Done():
		case <-ctx.Done():
			t.Fatal("the leader did not close the moved session's connection")
		}
		assert.Equal(t, proto.ErrSessionMoved, txnErr(q.proposal(t, a.SessionID(), 2)))
		data, _, err := e.Tree().GetData("/x", nil)
		require.NoError(t, err)
		assert.Equal(t, "a", string(data))
	})

	t.Run("from a learner to the leader's connection", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), zktesting.Scale(30*time.Second))
		defer cancel()
		e, q := startMember(t, engine.RoleLeader)
		sid := int64(2)<<56 | 7
		_, err := e.SubmitForwarded(createSessionRequest(sid, timeout), nil, learner2)
		require.NoError(t, err)
		q.proposal(t, sid, 0)
		b := clienttest.Dial(t, "leader", pipeDialer(e), client.WithSession(sid, session.GeneratePasswd(sid)))
		_, err = b.Create(ctx, "/x", []byte("leader"), proto.FlagPersistent, proto.OpenACLUnsafe)
		require.NoError(t, err, "the leader's own connection owns the session now")
		_, err = e.SubmitForwarded(forwardedRequest(sid, 5, proto.OpSetData, setX("from 2")), nil, learner2)
		require.NoError(t, err)
		assert.Equal(t, proto.ErrSessionMoved, txnErr(q.proposal(t, sid, 5)))
	})
}

// A learner closes a connection whose write the leader refused with
// SESSIONMOVED, after writing the replies due before it, and answers it
// nothing.
func TestLearnerClosesMovedConnection(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), zktesting.Scale(30*time.Second))
	defer cancel()
	e, q := startMember(t, engine.RoleFollower)
	var zxid int64
	commit := func(hdr proto.TxnHeader, rec jute.Record) {
		zxid++
		hdr.Zxid = zxid
		hdr.Time = time.Now().UnixMilli()
		e.Commit([]*engine.Txn{statemachine.NewTxn(hdr, rec)})
	}
	forwarded := func() (int64, int32, proto.OpCode) {
		select {
		case data := <-q.forwarded:
			d := jute.NewDecoder(data)
			return d.Long(), d.Int(), proto.OpCode(d.Int())
		case <-ctx.Done():
			t.Fatal("nothing forwarded")
		}
		return 0, 0, 0
	}

	type dialed struct {
		c   *client.Conn
		err error
	}
	dc := make(chan dialed, 1)
	go func() {
		c, err := client.Dial(ctx, "learner", pipeDialer(e))
		dc <- dialed{c, err}
	}()
	sid, _, op := forwarded()
	require.Equal(t, proto.OpCreateSession, op)
	commit(proto.TxnHeader{ClientID: sid, Type: proto.OpCreateSession}, &proto.CreateSessionTxn{TimeOut: 10000})
	d := <-dc
	require.NoError(t, d.err)
	a := d.c
	t.Cleanup(func() { a.Close() })

	created := make(chan error, 1)
	go func() {
		_, err := a.Create(ctx, "/x", nil, proto.FlagPersistent, proto.OpenACLUnsafe)
		created <- err
	}()
	_, cxid1, _ := forwarded()
	moved := asyncSet(ctx, a, "/x", []byte("v"))
	_, cxid2, _ := forwarded()

	commit(proto.TxnHeader{ClientID: sid, Cxid: cxid1, Type: proto.OpCreate},
		&proto.CreateTxn{Path: "/x", ACL: proto.OpenACLUnsafe, ParentCVersion: 1})
	commit(proto.TxnHeader{ClientID: sid, Cxid: cxid2, Type: proto.OpError},
		&proto.ErrorTxn{Err: proto.ErrSessionMoved})
	require.NoError(t, <-created, "the reply due before the moved write is written")
	err := <-moved
	require.Error(t, err)
	assert.False(t, errors.Is(err, proto.ErrSessionMoved), "no -118 reply: the connection is closed")
	select {
	case <-a.Done():
	case <-ctx.Done():
		t.Fatal("the learner did not close the connection")
	}
}

// txnOfForwarded turns a forwarded createSession, create or setData into
// the txn a leader would commit for it, as the leader's prep would.
func txnOfForwarded(t *testing.T, data []byte, zxid int64) *engine.Txn {
	t.Helper()
	d := jute.NewDecoder(data)
	hdr := proto.TxnHeader{ClientID: d.Long(), Cxid: d.Int(), Zxid: zxid, Time: time.Now().UnixMilli()}
	hdr.Type = proto.OpCode(d.Int())
	var rec jute.Record
	switch hdr.Type {
	case proto.OpCreateSession:
		rec = &proto.CreateSessionTxn{TimeOut: d.Int()}
	case proto.OpCreate:
		var req proto.CreateRequest
		req.Decode(d)
		rec = &proto.CreateTxn{Path: req.Path, Data: req.Data, ACL: req.ACL, ParentCVersion: 1}
	case proto.OpSetData:
		var req proto.SetDataRequest
		req.Decode(d)
		rec = &proto.SetDataTxn{Path: req.Path, Data: req.Data, Version: 1}
	default:
		t.Fatalf("unexpected forwarded op %v", hdr.Type)
	}
	require.NoError(t, d.Err())
	return statemachine.NewTxn(hdr, rec)
}

// On an ensemble member too, a client that resumes on another connection
// of the same member while its write waits for the quorum keeps one
// owner (no SESSIONMOVED) and its read on the new connection waits for
// that write's commit.
func TestResumeOnMemberWaitsForOldWrites(t *testing.T) {
	for _, role := range []engine.Role{engine.RoleLeader, engine.RoleFollower} {
		t.Run(role.String(), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), zktesting.Scale(30*time.Second))
			defer cancel()
			e, q := startMember(t, role)
			q.hold = true
			var zxid int64
			// next returns the next write the member sent towards the
			// quorum, as a committable txn entry.
			next := func() *engine.Txn {
				zxid++
				select {
				case entry := <-q.held:
					return entry
				case data := <-q.forwarded:
					return txnOfForwarded(t, data, zxid)
				case <-ctx.Done():
					t.Fatal("no write reached the quorum")
				}
				return nil
			}
			commit := func(t *engine.Txn) { e.Commit([]*engine.Txn{t}) }

			type dialed struct {
				c   *client.Conn
				err error
			}
			dc := make(chan dialed, 1)
			go func() {
				c, err := client.Dial(ctx, "member", pipeDialer(e))
				dc <- dialed{c, err}
			}()
			commit(next()) // createSession
			d := <-dc
			require.NoError(t, d.err)
			a := d.c
			t.Cleanup(func() { a.Close() })
			created := make(chan error, 1)
			go func() {
				_, err := a.Create(ctx, "/x", []byte("old"), proto.FlagPersistent, proto.OpenACLUnsafe)
				created <- err
			}()
			commit(next())
			require.NoError(t, <-created)

			setDone := asyncSet(ctx, a, "/x", []byte("new"))
			set := next() // the setData waits for the quorum
			b := clienttest.Dial(t, "member", pipeDialer(e), client.WithSession(a.SessionID(), a.Passwd()))
			// Nobody commits a closeSession here: leave without one.
			t.Cleanup(b.Drop)
			select {
			case <-a.Done():
			case <-ctx.Done():
				t.Fatal("the old connection was not closed on resume")
			}
			require.Error(t, <-setDone)
			got := asyncGet(ctx, b, "/x")
			zktesting.Eventually(t, 10*time.Second, func() bool { return lastOpOf(e, a.SessionID()) == "GETD" },
				"the member received the read")
			select {
			case r := <-got:
				t.Fatalf("read answered while the session's write was in flight: %q %v", r.data, r.err)
			default:
			}
			commit(set)
			r := <-got
			require.NoError(t, r.err)
			assert.Equal(t, "new", string(r.data))
			if role == engine.RoleLeader {
				p := q.proposal(t, a.SessionID(), 2)
				assert.Equal(t, proto.OpSetData, p.hdr.Type, "one member is one owner: not fenced")
			}
		})
	}
}
