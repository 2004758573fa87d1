package engine

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zkit-go/zkit/internal/acl"
	"github.com/zkit-go/zkit/internal/jute"
	"github.com/zkit-go/zkit/internal/proto"
	"github.com/zkit-go/zkit/internal/sasl"
	"github.com/zkit-go/zkit/internal/session"
)

// maxPending bounds the requests a connection may have in flight; its
// reader stops reading (TCP backpressure) until replies drain.
const maxPending = 1000

// outFrame is one frame waiting to be written to the client.
type outFrame struct {
	hdr        proto.ReplyHeader
	body       jute.Record // nil: header only
	raw        []byte      // a pre-encoded frame body (connect response, 4lw text)
	isRaw      bool
	closeAfter bool // close the connection once this frame is written
	closeOnly  bool // write nothing; close once the frames before are written
	started    time.Time
	update     bool   // the reply of a write: its latency counts as updatelatency
	lastOp     string // cons's lop once written ("SESS": a session's creation)
}

// conn is one client connection. Its reader goroutine decodes requests;
// its writer goroutine sends replies and watch events in order.
type conn struct {
	e      *Engine
	nc     net.Conn
	remote string
	ip     string
	est    time.Time

	sessionID atomic.Int64
	timeout   atomic.Int32

	authInfo *acl.AuthInfo // the session's identities, in Java's order; safe for concurrent use

	saslServer sasl.ServerMechanism // the SASL login in progress (sasl.go); reader goroutine only

	// pendMu guards pending: the session's requests whose replies are not
	// yet queued, in request order.
	pendMu  sync.Mutex
	pending []*request
	space   *sync.Cond // signalled when pending shrinks

	// outMu guards out and closing: frames ready to write, in order.
	outMu sync.Mutex
	out   []outFrame

	revalidated chan bool   // capacity 1: a learner's answer from the leader
	fourLetter  atomic.Bool // the connection serves a four-letter word

	wake      chan struct{} // capacity 1: the writer has work
	quit      chan struct{} // closed by close
	closeOnce sync.Once

	stats connStats
}

// connStats are per-connection counters for the cons four-letter word.
type connStats struct {
	received atomic.Int64
	sent     atomic.Int64
	lastCxid atomic.Int32
	lastZxid atomic.Int64
	lastOp   atomic.Value // string
	lastLat  atomic.Int64
	minLat   atomic.Int64
	maxLat   atomic.Int64
	sumLat   atomic.Int64
	countLat atomic.Int64
	lastResp atomic.Int64
}

func (e *Engine) acceptLoop(ln net.Listener) {
	for {
		nc, err := ln.Accept()
		if err != nil {
			select {
			case <-e.stop:
				return
			default:
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			if errors.Is(err, net.ErrClosed) {
				return
			}
			e.log.Warn("accept failed", "err", err)
			select {
			case <-time.After(50 * time.Millisecond):
			case <-e.stop:
				return
			}
			continue
		}
		e.newConn(nc)
	}
}

func (e *Engine) newConn(nc net.Conn) {
	remote := nc.RemoteAddr().String()
	ip := remote
	if h, _, err := net.SplitHostPort(remote); err == nil {
		ip = h
	}
	c := &conn{
		e:      e,
		nc:     nc,
		remote: remote,
		ip:     ip,
		est:    time.Now(),
		wake:   make(chan struct{}, 1),
		quit:   make(chan struct{}),

		revalidated: make(chan bool, 1),
	}
	if id, ok := acl.ConnectionID(nc.RemoteAddr()); ok {
		c.authInfo = acl.NewAuthInfo(id)
	} else {
		c.authInfo = acl.NewAuthInfo()
	}
	if a, ok := nc.(interface{ AuthIDs() []proto.ID }); ok {
		for _, id := range a.AuthIDs() {
			c.authInfo.Add(id)
		}
	}
	c.space = sync.NewCond(&c.pendMu)
	c.stats.lastOp.Store("NA")
	e.connsMu.Lock()
	if e.closed {
		e.connsMu.Unlock()
		nc.Close()
		return
	}
	if max := e.cfg.MaxClientCnxns; max > 0 && e.perIP[ip] >= max {
		e.connsMu.Unlock()
		e.stats.connectionRejected.Inc()
		e.log.Warn("too many connections", "ip", ip, "max", max)
		nc.Close()
		return
	}
	e.perIP[ip]++
	e.conns[c] = struct{}{}
	e.connsMu.Unlock()
	if !e.goAttach(c.readLoop) {
		c.close()
		return
	}
	if !e.goAttach(c.writeLoop) {
		c.close()
	}
}

// connForSession returns the connection holding a session, if any: the
// open one, or the last one closed while it still had writes in flight.
func (e *Engine) connForSession(id int64) *conn {
	e.connsMu.Lock()
	defer e.connsMu.Unlock()
	return e.bySession[id]
}

// forgetSession drops a closed session's connection from bySession and
// returns it, if any.
func (e *Engine) forgetSession(id int64) *conn {
	e.connsMu.Lock()
	defer e.connsMu.Unlock()
	c := e.bySession[id]
	delete(e.bySession, id)
	return c
}

// attach makes c the connection of session id, closing any other
// connection that held it (the client moved).
func (e *Engine) attach(c *conn, id int64) {
	e.connsMu.Lock()
	old := e.bySession[id]
	e.bySession[id] = c
	e.connsMu.Unlock()
	c.sessionID.Store(id)
	if old != nil && old != c {
		old.close()
	}
}

// close shuts the connection down; it is safe to call many times and from
// any goroutine. The session lives on until it expires or is closed.
func (c *conn) close() {
	c.closeOnce.Do(func() {
		close(c.quit)
		// Nothing is added to pending once quit is closed.
		c.pendMu.Lock()
		busy := c.inFlightLocked()
		c.space.Broadcast()
		c.pendMu.Unlock()
		// Unregister before the socket closes, so a client that saw the
		// close never finds the connection still counted (cons, dump).
		e := c.e
		e.connsMu.Lock()
		delete(e.conns, c)
		if n := e.perIP[c.ip] - 1; n > 0 {
			e.perIP[c.ip] = n
		} else {
			delete(e.perIP, c.ip)
		}
		// A connection with writes in flight stays the session's last
		// connection, so a resume waits for them (fenceBehind); the
		// session's close, or the resume, drops it.
		if id := c.sessionID.Load(); id != 0 && e.bySession[id] == c && !busy {
			delete(e.bySession, id)
		}
		e.connsMu.Unlock()
		c.nc.Close()
		e.tree.RemoveWatcher(c)
	})
}

func (c *conn) closed() bool {
	select {
	case <-c.quit:
		return true
	default:
		return false
	}
}

// Notify queues a watch event. It is called by apply under the tree lock,
// so it only appends and signals. As ZooKeeper 3.8.4+, an event is dropped
// unless the session may read the node (acl is nil when there is nothing
// to check).
func (c *conn) Notify(ev proto.WatcherEvent, acl []proto.ACL) {
	if acl != nil && c.e.auth.Check(acl, proto.PermRead, c.auth()) != nil {
		return
	}
	c.push(outFrame{
		hdr:  proto.ReplyHeader{Xid: proto.XidNotification, Zxid: -1},
		body: &ev,
	})
}

// Stale reports a closed connection, so no new watch is added for it.
func (c *conn) Stale() bool { return c.closed() }

// SessionID identifies the watcher's session in watch dumps.
func (c *conn) SessionID() int64 { return c.sessionID.Load() }

func (c *conn) push(f outFrame) {
	c.outMu.Lock()
	c.out = append(c.out, f)
	c.outMu.Unlock()
	c.signal()
}

func (c *conn) signal() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// auth returns the session's identities; the slice never changes.
func (c *conn) auth() []proto.ID { return c.authInfo.IDs() }

// readFrame reads one length-prefixed frame; a length outside
// [0, maxBuffer] closes the connection, as ZooKeeper does.
func (c *conn) readFrame(r *bufio.Reader, buf []byte) ([]byte, error) {
	var lenBuf [4]byte
	if _, err := io.ReadFull(r, lenBuf[:]); err != nil {
		return nil, err
	}
	n := int32(binary.BigEndian.Uint32(lenBuf[:]))
	if n < 0 || int(n) > c.e.cfg.MaxBuffer {
		c.e.stats.largeRequestsRejected.Inc()
		return nil, errFrameLength
	}
	if cap(buf) < int(n) {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, err
	}
	c.e.stats.bytesReceived.Add(int64(n) + 4)
	return buf, nil
}

var (
	errFrameLength = errors.New("engine: frame length out of range")
	errSessionGone = errors.New("engine: session expired or closing")
)

// errDrain ends reading while the writer sends the frames queued last
// (an error reply that closes the connection); the writer then closes.
var errDrain = errors.New("engine: closing after reply")

func (c *conn) readLoop() {
	var drain bool
	defer func() {
		if drain {
			// The writer closes after the final frame; do not wait on a
			// client that stopped reading.
			time.AfterFunc(5*time.Second, c.close)
			return
		}
		c.close()
	}()
	r := bufio.NewReaderSize(c.nc, 64*1024)

	// A connection without a session is closed when its ConnectRequest
	// (or four-letter word) has not arrived within the sessionless timeout
	// (NIOServerCnxnFactory's expiry queue closes such connections once
	// idle that long); the deadline is lifted once the handshake is done.
	c.nc.SetReadDeadline(time.Now().Add(c.e.cfg.SessionlessCnxnTimeout))

	// The first four bytes are either a frame length or a four-letter word.
	head, err := r.Peek(4)
	if err != nil {
		return
	}
	if cmd := string(head); c.e.isFourLetterWord(cmd) {
		r.Discard(4)
		c.serveFourLetterWord(cmd, r)
		return
	}
	frame, err := c.readFrame(r, nil)
	if err != nil || c.e.handingOver.Load() {
		return
	}
	// The connect request counts as a received packet, as in ZooKeeper.
	c.e.stats.connRequests.Inc()
	c.e.stats.received.Add(1)
	c.stats.received.Add(1)
	if !c.handshake(frame) {
		return
	}
	c.nc.SetReadDeadline(time.Time{})
	var buf []byte
	for {
		frame, err := c.readFrame(r, buf)
		if err != nil {
			if !errors.Is(err, io.EOF) && !c.closed() {
				c.e.log.Debug("connection read ended", "remote", c.remote, "session", hex(c.sessionID.Load()), "err", err)
			}
			return
		}
		if c.e.handingOver.Load() {
			continue // the role ended: nothing new is answered (see Handover)
		}
		if err := c.handlePacket(frame); err != nil {
			drain = err == errDrain
			return
		}
		// The decoded request copied what it keeps, so the buffer is reusable.
		buf = frame[:0]
	}
}

// handshake runs the connect request. It reports whether the connection
// goes on to serve requests.
func (c *conn) handshake(frame []byte) bool {
	e := c.e
	var req proto.ConnectRequest
	d := jute.NewDecoder(frame)
	d.SetMaxLength(e.cfg.MaxBuffer)
	req.Decode(d)
	if d.Err() != nil {
		e.log.Info("malformed connect request", "remote", c.remote, "err", d.Err())
		return false
	}
	if e.cfg.Role == RoleReadOnly && !req.ReadOnly {
		// ZooKeeper closes with NOT_READ_ONLY_CLIENT: only a client that
		// asked for read-only may use a member without a quorum.
		e.log.Info("refusing session request for not-read-only client", "remote", c.remote)
		return false
	}
	if last := e.LastZxid(); req.LastZxidSeen > last {
		e.log.Info("refusing session: client has seen a later zxid; it must try another server",
			"remote", c.remote, "client_zxid", hex(req.LastZxidSeen), "our_zxid", hex(last))
		return false
	}
	timeout := int64(req.TimeOut)
	if min := e.cfg.MinSessionTimeout.Milliseconds(); timeout < min {
		timeout = min
	}
	if max := e.cfg.MaxSessionTimeout.Milliseconds(); timeout > max {
		timeout = max
	}
	c.timeout.Store(int32(timeout))
	if req.SessionID == 0 && e.local != nil {
		// A local session: only this engine knows it, so it needs no txn
		// and no trip to the leader.
		received := time.Now()
		id := e.local.Create(int32(timeout), received.UnixMilli())
		e.attach(c, id)
		c.push(e.sessionCreated(e.connectResponse(id, int32(timeout), req.HasReadOnly, false), received, e.LastZxid(), false))
		return true
	}
	if req.SessionID == 0 {
		id := e.sessions.Create(int32(timeout), time.Now().UnixMilli())
		e.attach(c, id)
		r := &request{
			conn:      c,
			sessionID: id,
			op:        proto.OpCreateSession,
			received:  time.Now(),
			connect:   &connectState{timeout: int32(timeout), hasReadOnly: req.HasReadOnly},
		}
		c.pendMu.Lock()
		c.pending = append(c.pending, r)
		e.stats.outstanding.Add(1)
		c.pendMu.Unlock()
		switch {
		case e.cfg.Role.learner():
			e.addWaiting(r)
			var body jute.Encoder
			body.Int(int32(timeout))
			e.cfg.Quorum.Forward(forwardData(id, 0, proto.OpCreateSession, body.Bytes()), nil)
		default:
			if !e.submit(r) {
				return false
			}
		}
		// Read nothing more until the session exists, as ZooKeeper does.
		c.pendMu.Lock()
		for len(c.pending) > 0 && !c.closed() {
			c.space.Wait()
		}
		c.pendMu.Unlock()
		return !c.closed()
	}
	if e.cfg.Role == RoleReadOnly && !e.isLocal(req.SessionID) && e.sessions.Contains(req.SessionID) {
		// ZooKeeper 3.7+ (ZOOKEEPER-3863) closes a global session's
		// reconnection in read-only mode: without a quorum the session
		// cannot be renewed, and its ephemerals and watches may already
		// be gone on the majority side. Its client tries another server.
		e.log.Info("refusing global session reconnection in read-only mode", "session", hex(req.SessionID), "remote", c.remote)
		return false
	}
	// As ZooKeeper, a resume first drops the session's current connection
	// on this server, even when the password then turns out wrong.
	old := e.connForSession(req.SessionID)
	if old != nil && old != c {
		old.close()
	}
	valid := session.CheckPasswd(req.SessionID, req.Passwd)
	if valid && e.isLocal(req.SessionID) {
		valid = e.local.Touch(req.SessionID, time.Now().UnixMilli())
	} else if valid && e.cfg.Role.learner() {
		// The leader moves the session's owner to this member.
		var answered bool
		if valid, answered = c.revalidate(req.SessionID, int32(timeout)); !answered {
			// No answer (the role ended, the leader went): close without
			// one, as ZooKeeper's learner does; the client tries again.
			// Only the leader may call a session expired.
			e.log.Info("closing a resume the leader did not answer", "session", hex(req.SessionID), "remote", c.remote)
			return false
		}
	} else if valid {
		valid = e.sessions.Touch(req.SessionID, time.Now().UnixMilli())
		if valid && e.cfg.Role == RoleLeader {
			// The session is this member's again (it may have been a
			// learner's): LeaderZooKeeperServer.revalidateSession. A
			// standalone engine has no other owner.
			valid = e.sessions.SetOwner(req.SessionID, selfOwner{}) == nil
		}
	}
	if !valid {
		e.log.Info("invalid session, probably expired", "session", hex(req.SessionID), "remote", c.remote)
		c.push(e.connectResponse(0, 0, req.HasReadOnly, true))
		return true // the writer closes the connection after the response
	}
	if old != nil && old != c {
		c.fenceBehind(old, req.SessionID)
	}
	e.attach(c, req.SessionID)
	c.push(e.connectResponse(req.SessionID, int32(timeout), req.HasReadOnly, false))
	return true
}

// revalidate asks the leader whether a resumed session lives, as a
// learner must: only the leader knows every session. answered is false
// when no answer came: the connection closed, the role ended, or the
// session timeout passed (the client has given up on this connection by
// then).
func (c *conn) revalidate(id int64, timeout int32) (valid, answered bool) {
	e := c.e
	e.waitMu.Lock()
	e.revalidating[id] = append(e.revalidating[id], c)
	e.waitMu.Unlock()
	e.cfg.Quorum.Revalidate(id, timeout)
	t := time.NewTimer(time.Duration(timeout) * time.Millisecond)
	defer t.Stop()
	select {
	case valid := <-c.revalidated:
		return valid, true
	case <-c.quit:
	case <-e.stop:
	case <-t.C:
	}
	e.waitMu.Lock()
	e.revalidating[id] = slices.DeleteFunc(e.revalidating[id], func(w *conn) bool { return w == c })
	if len(e.revalidating[id]) == 0 {
		delete(e.revalidating, id)
	}
	e.waitMu.Unlock()
	return false, false
}

// sessionCreated marks the connect response that answers a session's
// creation for the statistics, as ZooKeeper's FinalRequestProcessor
// counts a createSession request: cons shows lop=SESS and lzxid the last
// processed zxid; its latency counts (as an update for a global session,
// whose creation is a txn). A resumed session's answer counts nothing.
func (e *Engine) sessionCreated(f outFrame, received time.Time, zxid int64, update bool) outFrame {
	f.started, f.hdr.Zxid, f.update, f.lastOp = received, zxid, update, "SESS"
	return f
}

// connectResponse builds the handshake reply. An invalid session gets a
// zero timeout, id and password, and the connection is closed after it.
func (e *Engine) connectResponse(id int64, timeout int32, hasReadOnly, invalid bool) outFrame {
	passwd := make([]byte, 16)
	if !invalid {
		passwd = session.GeneratePasswd(id)
	}
	resp := proto.ConnectResponse{
		TimeOut:     timeout,
		SessionID:   id,
		Passwd:      passwd,
		ReadOnly:    e.cfg.Role == RoleReadOnly,
		HasReadOnly: hasReadOnly,
	}
	return outFrame{raw: jute.Marshal(&resp), isRaw: true, closeAfter: invalid}
}

// handlePacket dispatches one request. An error ends reading: errDrain
// lets the writer send a final reply and close, anything else closes now.
func (c *conn) handlePacket(frame []byte) error {
	e := c.e
	d := jute.NewDecoder(frame)
	d.SetMaxLength(e.cfg.MaxBuffer)
	var h proto.RequestHeader
	h.Decode(d)
	if d.Err() != nil {
		return d.Err()
	}
	now := time.Now()
	id := c.sessionID.Load()
	local := e.isLocal(id)
	if local {
		if !e.local.Touch(id, now.UnixMilli()) {
			return errSessionGone
		}
	} else if e.cfg.Role.learner() {
		// Only the leader expires sessions; a learner reports activity.
		e.cfg.Quorum.Touch(id, c.timeout.Load())
	} else if !e.sessions.Touch(id, now.UnixMilli()) {
		// The session expired or is closing: drop the connection, the
		// client learns of the expiry when it reconnects.
		return errSessionGone
	}
	e.stats.received.Add(1)
	c.stats.received.Add(1)
	switch h.Type {
	case proto.OpAuth:
		var ap proto.AuthPacket
		ap.Decode(d)
		if d.Err() != nil {
			return d.Err()
		}
		if c.reauthX509(ap.Scheme) {
			c.push(outFrame{hdr: proto.ReplyHeader{Xid: h.Xid}})
			return nil
		}
		if err := e.auth.AddAuth(c.authInfo, ap.Scheme, ap.Auth, c.nc.RemoteAddr()); err != nil {
			e.stats.authFailed.Add(1)
			e.log.Info("authentication failed", "scheme", ap.Scheme, "session", hex(id), "remote", c.remote)
			c.push(outFrame{hdr: proto.ReplyHeader{Xid: h.Xid, Err: proto.ErrAuthFailed}, closeAfter: true})
			return errDrain
		}
		c.push(outFrame{hdr: proto.ReplyHeader{Xid: h.Xid}})
		return nil
	case proto.OpSASL:
		return c.handleSASL(h.Xid, d)
	}
	if !c.authEnforced(h.Xid) {
		return errDrain
	}
	r := &request{
		conn:      c,
		sessionID: id,
		cxid:      h.Xid,
		op:        h.Type,
		authInfo:  c.auth(),
		received:  now,
	}
	kind := opKindOf(h.Type)
	if h.Type == proto.OpCheck {
		// A check is only an op inside a multi: on its own it would log a
		// txn recovery cannot replay (ZOOKEEPER-2623). Answered as
		// ZooKeeper 3.9.3+ answers it: UNIMPLEMENTED, then close.
		kind = kindUnknown
	}
	forwardSync := h.Type == proto.OpSync && e.cfg.Role.learner()
	if forwardSync {
		kind = kindWrite
	}
	if kind == kindUnknown {
		c.push(outFrame{hdr: proto.ReplyHeader{Xid: h.Xid, Zxid: e.LastZxid(), Err: proto.ErrUnimplemented}, closeAfter: true})
		return errDrain
	}
	bodyStart := d.Offset()
	r.rec, r.decodeErr = decodeRequest(h.Type, d)
	c.stats.lastCxid.Store(h.Xid)
	c.stats.lastOp.Store(opAbbrev(h.Type))
	upgrade := false
	if e.cfg.Role == RoleReadOnly && (kind == kindWrite || h.Type == proto.OpSync) {
		// ReadOnlyRequestProcessor: every write, and sync, is refused;
		// a closeSession ends the connection without a txn.
		if h.Type == proto.OpCloseSession {
			r.localClose, kind = true, kindRead
		} else {
			r.refuse, kind = proto.ErrNotReadOnly, kindRead
		}
	} else if local && kind == kindWrite {
		switch {
		case h.Type == proto.OpCloseSession:
			r.localClose, kind = true, kindRead
		case !r.decodeErr && createsEphemeral(h.Type, r.rec):
			if e.cfg.LocalSessionsUpgrading {
				upgrade = true
			} else {
				r.refuse, kind = proto.ErrEphemeralOnLocalSession, kindRead
			}
		}
	}

	c.pendMu.Lock()
	for len(c.pending) >= maxPending && !c.closed() {
		c.space.Wait()
	}
	if c.closed() {
		c.pendMu.Unlock()
		return net.ErrClosed
	}
	if kind == kindRead && len(c.pending) == 0 && !r.localClose {
		// Fast path: nothing of this session is in flight, so the read
		// runs now, in order.
		e.runRead(r)
		c.pendMu.Unlock()
		return nil
	}
	c.pending = append(c.pending, r)
	e.stats.outstanding.Add(1)
	c.pendMu.Unlock()
	if upgrade && !e.upgradeSession(id) {
		return ErrClosed
	}
	if r.localClose {
		// Read nothing more; the writer closes after the reply.
		c.signal()
		return errDrain
	}
	if kind == kindWrite {
		switch {
		case forwardSync:
			// The leader answers a sync once every write before it is
			// committed; this member then has applied them too.
			e.waitMu.Lock()
			e.syncs = append(e.syncs, r)
			e.waitMu.Unlock()
			e.cfg.Quorum.Forward(forwardData(id, h.Xid, h.Type, frame[bodyStart:]), r.authInfo)
		case e.cfg.Role.learner():
			e.addWaiting(r)
			body := append([]byte(nil), frame[bodyStart:]...)
			e.cfg.Quorum.Forward(forwardData(id, h.Xid, h.Type, body), r.authInfo)
		default:
			if !e.submit(r) {
				return ErrClosed
			}
		}
		return nil
	}
	c.signal() // a read behind a finished write may be runnable
	return nil
}

// complete marks a write applied and queues every reply that is now due.
// It runs on the apply goroutine. A barrier (see fenceBehind) completes
// when its last awaited write has; completing a request then completes the
// barriers waiting for it.
func (c *conn) complete(r *request) {
	c.pendMu.Lock() // also guards r.fence, which a resume may set meanwhile
	if r.isBarrier() {
		if r.fence.wait.Add(-1) > 0 {
			c.pendMu.Unlock()
			return
		}
	} else {
		c.e.stats.outstanding.Add(-1)
	}
	r.done = true
	c.flushDoneLocked()
	var waiters []*request
	if r.fence != nil {
		waiters = r.fence.waiters
	}
	c.pendMu.Unlock()
	// Outside pendMu: a barrier belongs to another connection.
	for _, b := range waiters {
		b.conn.complete(b)
	}
}

// flushDoneLocked moves finished requests at the head of pending to out.
// It stops at the first unfinished write or waiting read; the writer
// goroutine runs waiting reads. pendMu must be held.
func (c *conn) flushDoneLocked() {
	n := 0
	for n < len(c.pending) && c.pending[n].done {
		r := c.pending[n]
		switch {
		case r.isBarrier():
			// Nothing to answer: it only held the queue.
		case r.sessionMoved():
			// The session moved to another member: no reply; the
			// connection closes after the replies before this one.
			c.push(outFrame{closeOnly: true})
		default:
			c.push(c.e.writeReply(r))
		}
		c.pending[n] = nil
		n++
	}
	if n > 0 {
		c.pending = c.pending[n:]
		c.space.Broadcast()
	}
	if len(c.pending) > 0 && c.pending[0].queuedAsRead() {
		c.signal()
	}
}

// runWaitingReads runs the reads at the head of pending whose turn has come.
func (c *conn) runWaitingReads() {
	c.pendMu.Lock()
	defer c.pendMu.Unlock()
	for len(c.pending) > 0 {
		r := c.pending[0]
		if !r.queuedAsRead() {
			c.flushDoneLocked()
			if len(c.pending) == 0 || !c.pending[0].queuedAsRead() {
				return
			}
			continue
		}
		c.e.runRead(r)
		c.e.stats.outstanding.Add(-1)
		c.pending[0] = nil
		c.pending = c.pending[1:]
		c.space.Broadcast()
	}
}

func (c *conn) writeLoop() {
	defer c.close()
	w := bufio.NewWriterSize(c.nc, 64*1024)
	var enc jute.Encoder
	var frames []outFrame
	for {
		select {
		case <-c.wake:
		case <-c.quit:
			return
		}
		c.runWaitingReads()
		c.outMu.Lock()
		frames, c.out = c.out, frames[:0]
		c.outMu.Unlock()
		closeAfter := false
		for i := range frames {
			f := &frames[i]
			if f.closeOnly {
				closeAfter = true
				break
			}
			enc.Reset()
			enc.Int(0) // length, patched below
			if f.isRaw {
				enc.Raw(f.raw)
			} else {
				f.hdr.Encode(&enc)
				if f.body != nil && f.hdr.Err == proto.OK {
					f.body.Encode(&enc)
				}
			}
			b := enc.Bytes()
			binary.BigEndian.PutUint32(b, uint32(len(b)-4))
			if _, err := w.Write(b); err != nil {
				return
			}
			st := &c.e.stats
			st.sent.Add(1)
			c.stats.sent.Add(1)
			st.resp.observe(int64(len(b) - 4))
			st.responseBytes.Add(int64(len(b)))
			if !f.isRaw && f.hdr.Xid == proto.XidNotification {
				st.watchBytes.Add(int64(len(b) - 4)) // NIOServerCnxn.process
			}
			if f.lastOp != "" {
				c.stats.lastOp.Store(f.lastOp)
			}
			if !f.started.IsZero() {
				lat := time.Since(f.started)
				st.observe(lat)
				c.observe(lat, f.hdr.Zxid)
				if f.update {
					st.updateLatency.Observe(lat.Milliseconds())
				} else {
					st.readLatency.Observe(lat.Milliseconds())
				}
			}
			if f.closeAfter {
				closeAfter = true
				break
			}
			*f = outFrame{}
		}
		if err := w.Flush(); err != nil {
			return
		}
		if closeAfter {
			return
		}
		// More may have arrived while writing; the wake channel holds the
		// signal, so the loop comes round again.
	}
}

func (c *conn) observe(lat time.Duration, zxid int64) {
	ms := lat.Milliseconds()
	c.stats.lastLat.Store(ms)
	c.stats.lastZxid.Store(zxid)
	c.stats.lastResp.Store(time.Now().UnixMilli())
	if n := c.stats.countLat.Add(1); n == 1 || ms < c.stats.minLat.Load() {
		c.stats.minLat.Store(ms)
	}
	if ms > c.stats.maxLat.Load() {
		c.stats.maxLat.Store(ms)
	}
	c.stats.sumLat.Add(ms)
}
