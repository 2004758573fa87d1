package client

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zkit-go/zkit/internal/jute"
	"github.com/zkit-go/zkit/internal/proto"
)

// Sentinel errors.
var (
	// ErrClosed reports a call on, or interrupted by, a closed connection.
	// Errors that wrap it also match proto.ErrConnectionLoss.
	ErrClosed = errors.New("client: connection closed")
	// ErrProtocol reports a server that broke the protocol (a reply out of
	// order, an oversized or undecodable frame); the connection is closed.
	ErrProtocol = errors.New("client: protocol error")
)

// Event is a watch notification, or a session event (Type EventNone) the
// client makes itself when the connection ends.
type Event = proto.WatcherEvent

// call is one request in flight.
type call struct {
	frame []byte // length prefix, header, body; xid patched by the writer
	xid   int32  // forced xid, or 0 for the next normal xid
	raw   bool   // write frame as is, expect no reply
	resp  jute.Record
	hdr   proto.ReplyHeader
	err   error
	done  chan struct{}
	// state: 0 waiting, 1 claimed by the reader (it will finish the call),
	// 2 abandoned by the caller (the reader must not touch resp).
	state atomic.Int32
}

// Conn is a connection to a ZooKeeper server carrying one session.
//
// Lock order: mu only; it is never held across I/O or a channel send.
type Conn struct {
	addr     string
	nc       net.Conn
	opts     options
	session  int64
	passwd   []byte
	timeout  time.Duration
	readOnly bool
	lastZxid atomic.Int64

	sendq   chan *call
	events  chan Event
	closing chan struct{} // closed once the connection is ending
	wg      sync.WaitGroup

	// mu guards nextXid, pending, pings, auths and err.
	mu      sync.Mutex
	nextXid int32
	pending []*call // normal-xid calls, in the order they were written
	pings   []*call // ping calls awaiting their -2 reply
	auths   []*call // auth calls awaiting their -4 reply
	err     error   // why the connection ended

	byUser    atomic.Bool // Close or Drop was called: the final event says Closed
	failOnce  sync.Once
	closeOnce sync.Once
	closeErr  error
}

// Dial connects to addr, performs the session handshake (a new session,
// or the one given by WithSession) and starts the connection's reader,
// writer and ping goroutines. Close must be called to release them.
func Dial(ctx context.Context, addr string, opts ...Option) (*Conn, error) {
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	nc, err := o.dial(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("client: dial %s: %w", addr, err)
	}
	c := &Conn{
		addr:    addr,
		nc:      nc,
		opts:    o,
		sendq:   make(chan *call, 128),
		events:  make(chan Event, o.eventBuffer),
		closing: make(chan struct{}),
		nextXid: 1,
	}
	c.lastZxid.Store(o.lastZxid)
	br := bufio.NewReaderSize(nc, 64<<10)
	if err := c.handshake(ctx, br); err != nil {
		nc.Close()
		return nil, err
	}
	c.wg.Add(3)
	go c.reader(br)
	go c.writer()
	go c.pinger()
	if o.sasl != nil {
		if err := c.SASLLogin(ctx, *o.sasl); err != nil {
			c.Drop()
			return nil, err
		}
	}
	return c, nil
}

func (c *Conn) handshake(ctx context.Context, br *bufio.Reader) error {
	if dl, ok := ctx.Deadline(); ok {
		_ = c.nc.SetDeadline(dl)
	} else {
		_ = c.nc.SetDeadline(time.Now().Add(c.opts.timeout))
	}
	stop := context.AfterFunc(ctx, func() { _ = c.nc.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	passwd := c.opts.passwd
	if passwd == nil {
		passwd = make([]byte, 16) // what Java sends for a new session
	}
	req := proto.ConnectRequest{
		LastZxidSeen: c.opts.lastZxid,
		TimeOut:      int32(c.opts.timeout / time.Millisecond),
		SessionID:    c.opts.sessionID,
		Passwd:       passwd,
		ReadOnly:     c.opts.readOnly,
		HasReadOnly:  !c.opts.oldHandshake,
	}
	e := jute.NewEncoder(make([]byte, 4, 64))
	req.Encode(e)
	b := e.Bytes()
	binary.BigEndian.PutUint32(b, uint32(len(b)-4))
	if _, err := c.nc.Write(b); err != nil {
		return fmt.Errorf("client: handshake: %w", c.ctxErr(ctx, err))
	}
	body, err := readFrame(br, c.opts.maxBuffer, nil)
	if err != nil {
		return fmt.Errorf("client: handshake: %w", c.ctxErr(ctx, err))
	}
	var resp proto.ConnectResponse
	if err := jute.Unmarshal(body, &resp); err != nil {
		return fmt.Errorf("%w: connect response: %w", ErrProtocol, err)
	}
	if resp.TimeOut <= 0 {
		// The server's answer to an unknown or expired session (or a
		// wrong password): a zero timeout, then it closes.
		return proto.ErrSessionExpired
	}
	c.session = resp.SessionID
	c.passwd = resp.Passwd
	c.timeout = time.Duration(resp.TimeOut) * time.Millisecond
	c.readOnly = resp.ReadOnly
	_ = c.nc.SetDeadline(time.Time{})
	return nil
}

func (c *Conn) ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// readFrame reads one length-prefixed frame into buf (grown as needed).
func readFrame(r io.Reader, max int, buf []byte) ([]byte, error) {
	var lb [4]byte
	if _, err := io.ReadFull(r, lb[:]); err != nil {
		return nil, err
	}
	n := int32(binary.BigEndian.Uint32(lb[:]))
	if n < 0 || int(n) > max {
		return nil, fmt.Errorf("%w: frame length %d (limit %d)", ErrProtocol, n, max)
	}
	if cap(buf) < int(n) {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, err
	}
	return buf, nil
}

// RemoteAddr returns the address given to Dial.
func (c *Conn) RemoteAddr() string { return c.addr }

// SessionID returns the session's id.
func (c *Conn) SessionID() int64 { return c.session }

// Passwd returns the session's password (a copy).
func (c *Conn) Passwd() []byte { return append([]byte(nil), c.passwd...) }

// Timeout returns the session timeout the server negotiated.
func (c *Conn) Timeout() time.Duration { return c.timeout }

// ReadOnly reports whether the server said it is read-only.
func (c *Conn) ReadOnly() bool { return c.readOnly }

// LastZxid returns the highest zxid seen in a reply header.
func (c *Conn) LastZxid() int64 { return c.lastZxid.Load() }

// Events returns the channel of watch notifications. The reader goroutine
// blocks while it is full, so a caller that sets watches must drain it.
// It is closed when the connection has ended and every goroutine is gone.
func (c *Conn) Events() <-chan Event { return c.events }

// Done is closed when the connection ends, for whatever reason.
func (c *Conn) Done() <-chan struct{} { return c.closing }

// Err returns why the connection ended, or nil while it is up.
func (c *Conn) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// fail ends the connection once: it records why, wakes every goroutine and
// fails every call still waiting for a reply.
func (c *Conn) fail(cause error) {
	c.failOnce.Do(func() {
		err := fmt.Errorf("%w (%w): %w", ErrClosed, proto.ErrConnectionLoss, cause)
		c.mu.Lock()
		c.err = err
		waiting := append(append(append([]*call(nil), c.pending...), c.pings...), c.auths...)
		c.pending, c.pings, c.auths = nil, nil, nil
		c.mu.Unlock()
		close(c.closing)
		_ = c.nc.Close()
		for _, cl := range waiting {
			if cl.state.CompareAndSwap(0, 1) {
				cl.err = err
				close(cl.done)
			}
		}
	})
}

// Close ends the session (closeSession, waiting for the server's reply at
// most the session timeout or until ctx ends), closes the connection and
// waits for the connection's goroutines. It is idempotent. Use Drop to
// close the connection but keep the session.
func (c *Conn) Close() error {
	c.closeOnce.Do(func() {
		c.byUser.Store(true)
		select {
		case <-c.closing:
		default:
			ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
			_, err := c.Do(ctx, proto.OpCloseSession, nil, nil)
			cancel()
			var code proto.Code
			if errors.As(err, &code) {
				c.closeErr = err
			}
		}
		c.fail(ErrClosed)
		c.wg.Wait()
	})
	return c.closeErr
}

// Drop closes the TCP connection without ending the session, as a network
// failure would, and waits for the connection's goroutines. The session
// lives on at the server until it expires, so a new Dial WithSession can
// resume it.
func (c *Conn) Drop() {
	c.closeOnce.Do(func() {
		c.byUser.Store(true)
		c.fail(errors.New("client: dropped"))
		c.wg.Wait()
	})
}

func (c *Conn) reader(br *bufio.Reader) {
	defer c.wg.Done()
	defer close(c.events)
	var buf []byte
	for {
		_ = c.nc.SetReadDeadline(time.Now().Add(c.timeout))
		b, err := readFrame(br, c.opts.maxBuffer, buf)
		if err != nil {
			c.fail(err)
			c.sessionEvent()
			return
		}
		buf = b
		if err := c.handleReply(b); err != nil {
			c.fail(err)
			c.sessionEvent()
			return
		}
	}
}

// sessionEvent tells a listener that the connection is gone (state
// Closed after Close or Drop, Disconnected otherwise), if the events
// channel has room.
func (c *Conn) sessionEvent() {
	state := proto.StateDisconnected
	if c.byUser.Load() {
		state = proto.StateClosed
	}
	select {
	case c.events <- Event{Type: proto.EventNone, State: state}:
	default:
	}
}

func (c *Conn) handleReply(b []byte) error {
	d := jute.NewDecoder(b)
	d.SetMaxLength(c.opts.maxBuffer)
	var hdr proto.ReplyHeader
	hdr.Decode(d)
	if d.Err() != nil {
		return fmt.Errorf("%w: reply header: %w", ErrProtocol, d.Err())
	}
	if hdr.Xid == proto.XidNotification {
		var ev proto.WatcherEvent
		ev.Decode(d)
		if d.Err() != nil {
			return fmt.Errorf("%w: notification: %w", ErrProtocol, d.Err())
		}
		select {
		case c.events <- ev:
			return nil
		case <-c.closing:
			return ErrClosed
		}
	}
	c.mu.Lock()
	var cl *call
	switch {
	case hdr.Xid == proto.XidPing && len(c.pings) > 0:
		cl, c.pings = c.pings[0], c.pings[1:]
	case hdr.Xid == proto.XidAuth && len(c.auths) > 0:
		cl, c.auths = c.auths[0], c.auths[1:]
	case len(c.pending) > 0 && c.pending[0].xid == hdr.Xid:
		cl, c.pending = c.pending[0], c.pending[1:]
	}
	var want int32
	if len(c.pending) > 0 {
		want = c.pending[0].xid
	}
	c.mu.Unlock()
	if cl == nil {
		return fmt.Errorf("%w: reply xid %d out of order (expected %d)", ErrProtocol, hdr.Xid, want)
	}
	if hdr.Zxid > 0 && hdr.Xid != proto.XidPing {
		for {
			old := c.lastZxid.Load()
			if hdr.Zxid <= old || c.lastZxid.CompareAndSwap(old, hdr.Zxid) {
				break
			}
		}
	}
	if !cl.state.CompareAndSwap(0, 1) {
		return nil // abandoned by its caller
	}
	cl.hdr = hdr
	if hdr.Err == proto.OK && cl.resp != nil {
		cl.resp.Decode(d)
		if d.Err() != nil {
			cl.err = fmt.Errorf("%w: %s reply: %w", ErrProtocol, "decode", d.Err())
		}
	}
	close(cl.done)
	return nil
}

func (c *Conn) writer() {
	defer c.wg.Done()
	bw := bufio.NewWriterSize(c.nc, 64<<10)
	for {
		var cl *call
		select {
		case cl = <-c.sendq:
		case <-c.closing:
			return
		}
		for cl != nil {
			if !c.register(cl) {
				return
			}
			if _, err := bw.Write(cl.frame); err != nil {
				c.fail(err)
				return
			}
			// Batch whatever else is queued into the same flush.
			select {
			case cl = <-c.sendq:
			default:
				cl = nil
			}
		}
		if err := bw.Flush(); err != nil {
			c.fail(err)
			return
		}
	}
}

// register gives cl its xid and queues it for its reply, in write order.
func (c *Conn) register(cl *call) bool {
	if cl.raw {
		return true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return false
	}
	xid := cl.xid
	if xid == 0 {
		xid = c.nextXid
		if c.nextXid == math.MaxInt32 {
			c.nextXid = 1
		} else {
			c.nextXid++
		}
		cl.xid = xid
	}
	binary.BigEndian.PutUint32(cl.frame[4:8], uint32(xid))
	switch xid {
	case proto.XidPing:
		c.pings = append(c.pings, cl)
	case proto.XidAuth:
		c.auths = append(c.auths, cl)
	default:
		c.pending = append(c.pending, cl)
	}
	return true
}

func (c *Conn) pinger() {
	defer c.wg.Done()
	t := time.NewTicker(c.timeout / 3)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			c.send(c.newCall(proto.XidPing, proto.OpPing, nil, nil))
		case <-c.closing:
			return
		}
	}
}

func (c *Conn) newCall(xid int32, op proto.OpCode, req, resp jute.Record) *call {
	e := jute.NewEncoder(make([]byte, 12, 64))
	binary.BigEndian.PutUint32(e.Bytes()[8:], uint32(op))
	if req != nil {
		req.Encode(e)
	}
	b := e.Bytes()
	binary.BigEndian.PutUint32(b, uint32(len(b)-4))
	return &call{frame: b, xid: xid, resp: resp, done: make(chan struct{})}
}

// send queues cl for the writer; false if the connection has ended.
func (c *Conn) send(cl *call) bool {
	select {
	case c.sendq <- cl:
		return true
	case <-c.closing:
		return false
	}
}

// wait waits for cl's reply, ctx or the end of the connection.
func (c *Conn) wait(ctx context.Context, cl *call) (proto.ReplyHeader, error) {
	select {
	case <-cl.done:
	case <-ctx.Done():
		if cl.state.CompareAndSwap(0, 2) {
			return proto.ReplyHeader{}, ctx.Err()
		}
		<-cl.done
	case <-c.closing:
		if cl.state.CompareAndSwap(0, 2) {
			return proto.ReplyHeader{}, c.Err()
		}
		<-cl.done
	}
	if cl.err != nil {
		return cl.hdr, cl.err
	}
	if cl.hdr.Err != proto.OK {
		return cl.hdr, cl.hdr.Err
	}
	return cl.hdr, nil
}

// Do sends one request of type op with body req (nil for none) and
// decodes a successful reply's body into resp (nil for none). Ping and
// auth get their special xids (-2, -4); everything else the next normal
// xid. A reply with a non-zero error returns the header and that
// proto.Code; resp is then untouched.
func (c *Conn) Do(ctx context.Context, op proto.OpCode, req, resp jute.Record) (proto.ReplyHeader, error) {
	var xid int32
	switch op {
	case proto.OpPing:
		xid = proto.XidPing
	case proto.OpAuth:
		xid = proto.XidAuth
	}
	return c.DoXid(ctx, xid, op, req, resp)
}

// DoXid is Do with a chosen xid (0 means the next normal xid), for tests of
// how a server echoes xids, such as the C client's -8 for setWatches.
func (c *Conn) DoXid(ctx context.Context, xid int32, op proto.OpCode, req, resp jute.Record) (proto.ReplyHeader, error) {
	cl := c.newCall(xid, op, req, resp)
	if !c.send(cl) {
		return proto.ReplyHeader{}, c.Err()
	}
	return c.wait(ctx, cl)
}

// Raw writes b to the connection as is, in order with other requests,
// and expects no reply: for tests of malformed or oversized packets. The
// caller frames b itself (or deliberately does not).
func (c *Conn) Raw(ctx context.Context, b []byte) error {
	cl := &call{frame: append([]byte(nil), b...), raw: true}
	select {
	case c.sendq <- cl:
		return nil
	case <-c.closing:
		return c.Err()
	case <-ctx.Done():
		return ctx.Err()
	}
}
