package quorumnet

import (
	"bufio"
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
	"github.com/zkit-go/zkit/internal/snapshot"
)

// Learner transport limits and constants.
const (
	// DefaultMaxBuffer bounds a packet's data, an auth id string and every
	// string or buffer in a snapshot stream: jute.maxbuffer (0xfffff) plus
	// its default extra allowance, as BinaryInputArchive checks.
	DefaultMaxBuffer = snapshot.StreamMaxLen
	// MaxAuthInfo bounds the number of auth ids in one packet.
	MaxAuthInfo = 1024
	// SnapSignature is the jute string that ends a SNAP stream.
	SnapSignature = "BenWasHere"
)

// Errors of the learner transport.
var (
	// ErrPacketSize reports a length field out of range (negative, or
	// above the max buffer): the stream cannot be trusted afterwards.
	ErrPacketSize = errors.New("quorumnet: unreasonable length in quorum packet")
	// ErrBadSignature reports a SNAP stream not ending in "BenWasHere".
	ErrBadSignature = errors.New("quorumnet: missing snapshot signature")
	// ErrFlushTimeout: FlushWithin gave up before the queue was written.
	ErrFlushTimeout = errors.New("quorumnet: flush timed out")
)

// LearnerListener is the leader's quorum port (Leader.LearnerCnxAcceptor).
type LearnerListener struct {
	ln net.Listener
	// auth is set when quorum SASL runs on this port: connections are
	// then accepted and authenticated by the listener's own goroutines
	// (see learner_secure.go) and handed over through ready.
	auth *authAcceptor
}

// ListenLearners binds the quorum port at addr (listen nil: net.Listen).
func ListenLearners(addr string, listen func(network, addr string) (net.Listener, error)) (*LearnerListener, error) {
	if listen == nil {
		listen = net.Listen
	}
	ln, err := listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("quorumnet: bind quorum port %s: %w", addr, err)
	}
	return &LearnerListener{ln: ln}, nil
}

// Accept waits for the next learner. After Close it returns ErrClosed.
func (l *LearnerListener) Accept() (*PeerConn, error) {
	if l.auth != nil {
		return l.auth.accept()
	}
	c, err := l.ln.Accept()
	if err != nil {
		if errors.Is(err, net.ErrClosed) {
			return nil, ErrClosed
		}
		return nil, err
	}
	setNoDelay(c)
	return NewPeerConn(c), nil
}

// Addr returns the bound address.
func (l *LearnerListener) Addr() net.Addr { return l.ln.Addr() }

// Close stops listening; connections already accepted stay open.
func (l *LearnerListener) Close() error {
	err := l.ln.Close()
	if l.auth != nil {
		l.auth.close()
	}
	return err
}

// DialLeader connects once to the leader's quorum port (dial nil:
// net.DialTimeout). Retrying is the caller's (Learner.connectToLeader tries
// 5 times, a second apart, within initLimit × tickTime).
func DialLeader(addr string, dial func(network, addr string, timeout time.Duration) (net.Conn, error), timeout time.Duration) (*PeerConn, error) {
	return DialLeaderSecure(addr, dial, timeout, nil)
}

// PeerConn is one learner connection, from either end: QuorumPackets back
// to back in both directions, no length prefix. Sends are queued and
// written by one goroutine in batches; Recv reads on the caller's
// goroutine (one reader at a time).
type PeerConn struct {
	c      net.Conn
	br     *bufio.Reader
	rto    atomic.Int64 // read timeout in ns; 0: none
	maxBuf atomic.Int32

	// readErr is the sticky receive error; only the reading goroutine
	// touches it.
	readErr error

	wake      chan struct{} // cap 1: the queue is not empty
	stop      chan struct{} // closed by Close
	wg        sync.WaitGroup
	closeOnce sync.Once

	// mu guards queue, spare, werr and closed.
	mu     sync.Mutex
	queue  []witem
	spare  []byte // a written batch buffer, for reuse
	werr   error  // sticky write error
	closed bool
}

// witem is one queued write: a batch of encoded packets, or a snapshot
// stream, or a flush marker; done (if set) gets the result.
type witem struct {
	pkts []byte
	snap *snapshot.Source
	done chan error
}

// NewPeerConn wraps an established connection.
func NewPeerConn(c net.Conn) *PeerConn {
	p := &PeerConn{
		c:    c,
		wake: make(chan struct{}, 1),
		stop: make(chan struct{}),
	}
	p.br = bufio.NewReaderSize(readerFunc(p.read), 64<<10)
	p.maxBuf.Store(DefaultMaxBuffer)
	p.wg.Add(1)
	go p.writeLoop()
	return p
}

// readerFunc adapts a function to io.Reader.
type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(b []byte) (int, error) { return f(b) }

// read reads from the socket with the read timeout applied to each
// blocking read, as Java's SO_TIMEOUT is.
func (p *PeerConn) read(b []byte) (int, error) {
	if d := time.Duration(p.rto.Load()); d > 0 {
		_ = p.c.SetReadDeadline(time.Now().Add(d))
	} else {
		_ = p.c.SetReadDeadline(time.Time{})
	}
	return p.c.Read(b)
}

// SetReadTimeout sets how long one read may block (initLimit × tickTime
// while syncing, syncLimit × tickTime after NEWLEADER); 0 means forever.
// A timeout fails Recv with a net.Error whose Timeout() is true.
func (p *PeerConn) SetReadTimeout(d time.Duration) { p.rto.Store(int64(d)) }

// SetMaxBuffer sets the bound on received data and string lengths
// (≤ 0: DefaultMaxBuffer).
func (p *PeerConn) SetMaxBuffer(n int) {
	if n <= 0 || n > math.MaxInt32 {
		n = DefaultMaxBuffer
	}
	p.maxBuf.Store(int32(n))
}

// RemoteAddr returns the peer's address.
func (p *PeerConn) RemoteAddr() net.Addr { return p.c.RemoteAddr() }

// LocalAddr returns our end's address.
func (p *PeerConn) LocalAddr() net.Addr { return p.c.LocalAddr() }

// Send queues qp and returns without waiting for the network. Packets
// queued together go out in one write; the writer flushes whenever its
// queue runs empty (as LearnerHandler's sender does). It returns the
// first write error once the writer has failed, or ErrClosed.
func (p *PeerConn) Send(qp proto.QuorumPacket) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return ErrClosed
	}
	if p.werr != nil {
		return p.werr
	}
	if n := len(p.queue); n == 0 || p.queue[n-1].snap != nil || p.queue[n-1].done != nil {
		p.queue = append(p.queue, witem{pkts: p.spare[:0]})
		p.spare = nil
	}
	it := &p.queue[len(p.queue)-1]
	it.pkts = AppendPacket(it.pkts, qp)
	p.signal()
	return nil
}

// Flush waits until everything sent before it has been written to the
// socket and returns the write error, if any.
func (p *PeerConn) Flush() error {
	return p.wait(witem{})
}

// FlushWithin is Flush that gives up after d with ErrFlushTimeout (the
// packets stay queued): for a role's last packets before Close, which
// drops what is still queued, without hanging on a learner that stopped
// reading.
func (p *PeerConn) FlushWithin(d time.Duration) error {
	done, err := p.enqueue(witem{})
	if err != nil {
		return err
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case err := <-done:
		return err
	case <-t.C:
		return ErrFlushTimeout
	}
}

// SendSnapshot queues the SNAP stream after the packets sent so far: the
// snapshot body of src (no header, seal or digest) and the jute string
// "BenWasHere". It waits until the stream is written, so src's tree must
// stay unchanged until it returns; the tree is walked on the writer
// goroutine. Send the SNAP packet first.
func (p *PeerConn) SendSnapshot(src *snapshot.Source) error {
	if src == nil || src.Tree == nil {
		return errors.New("quorumnet: SendSnapshot needs a tree")
	}
	return p.wait(witem{snap: src})
}

// wait queues it with a done channel and waits for its result.
func (p *PeerConn) wait(it witem) error {
	done, err := p.enqueue(it)
	if err != nil {
		return err
	}
	return <-done
}

// enqueue queues it with a done channel (buffered: the writer never
// blocks on it, so a caller may stop waiting) and returns the channel.
func (p *PeerConn) enqueue(it witem) (<-chan error, error) {
	it.done = make(chan error, 1)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, ErrClosed
	}
	if p.werr != nil {
		return nil, p.werr
	}
	p.queue = append(p.queue, it)
	p.signal()
	return it.done, nil
}

// signal wakes the writer. Needs p.mu.
func (p *PeerConn) signal() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// writeLoop writes queued items in order until Close or a write error.
func (p *PeerConn) writeLoop() {
	defer p.wg.Done()
	var bw *bufio.Writer
	var batch []witem
	for {
		select {
		case <-p.wake:
		case <-p.stop:
			p.fail(ErrClosed, nil)
			return
		}
		p.mu.Lock()
		batch, p.queue = p.queue, batch[:0]
		p.mu.Unlock()
		for i, it := range batch {
			var err error
			switch {
			case it.snap != nil:
				if bw == nil {
					bw = bufio.NewWriterSize(p.c, 64<<10)
				}
				err = writeSnap(bw, it.snap)
			case it.pkts != nil:
				_, err = p.c.Write(it.pkts)
				p.mu.Lock()
				if cap(it.pkts) <= 1<<20 {
					p.spare = it.pkts[:0]
				}
				p.mu.Unlock()
			}
			if it.done != nil {
				it.done <- err
			}
			if err != nil {
				p.fail(fmt.Errorf("quorumnet: write to %s: %w", p.c.RemoteAddr(), err), batch[i+1:])
				return
			}
			batch[i] = witem{}
		}
	}
}

// fail records err, closes the socket (so the reader wakes up too) and
// fails every waiter still queued, including those in rest.
func (p *PeerConn) fail(err error, rest []witem) {
	p.mu.Lock()
	if p.werr == nil {
		p.werr = err
	}
	if p.closed {
		err = ErrClosed
	}
	pending := append(rest, p.queue...)
	p.queue = nil
	p.mu.Unlock()
	p.c.Close()
	for _, it := range pending {
		if it.done != nil {
			it.done <- err
		}
	}
}

// writeSnap writes the SNAP stream body and signature, then flushes.
func writeSnap(bw *bufio.Writer, src *snapshot.Source) error {
	if err := snapshot.WriteBody(bw, src); err != nil {
		return err
	}
	var l [4]byte
	binary.BigEndian.PutUint32(l[:], uint32(len(SnapSignature)))
	bw.Write(l[:])
	bw.WriteString(SnapSignature)
	return bw.Flush()
}

// Recv reads the next packet. A length out of range fails with
// ErrPacketSize before anything is allocated for it. After any error the
// stream is unusable and every later Recv returns the same error: Close
// the connection.
func (p *PeerConn) Recv() (proto.QuorumPacket, error) {
	if p.readErr != nil {
		return proto.QuorumPacket{}, p.readErr
	}
	qp, err := p.recv()
	if err != nil {
		p.readErr = p.readError(err)
		return proto.QuorumPacket{}, p.readErr
	}
	return qp, nil
}

func (p *PeerConn) readError(err error) error {
	p.mu.Lock()
	closed := p.closed
	p.mu.Unlock()
	if closed {
		return ErrClosed
	}
	return err
}

func (p *PeerConn) recv() (proto.QuorumPacket, error) {
	return readPacket(p.br, p.maxBuf.Load())
}

// ReadPacket reads one jute QuorumPacket from r (no length prefix), with
// data and auth id strings bounded by maxBuffer (≤ 0: DefaultMaxBuffer).
// It reads nothing past the packet.
func ReadPacket(r io.Reader, maxBuffer int) (proto.QuorumPacket, error) {
	if maxBuffer <= 0 || maxBuffer > math.MaxInt32 {
		maxBuffer = DefaultMaxBuffer
	}
	return readPacket(r, int32(maxBuffer))
}

// AppendPacket appends qp's wire form to b.
func AppendPacket(b []byte, qp proto.QuorumPacket) []byte {
	e := jute.NewEncoder(b)
	qp.Encode(e)
	return e.Bytes()
}

func readPacket(r io.Reader, maxBuf int32) (proto.QuorumPacket, error) {
	var qp proto.QuorumPacket
	var hdr [12]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return qp, err
	}
	qp.Type = int32(binary.BigEndian.Uint32(hdr[0:]))
	qp.Zxid = int64(binary.BigEndian.Uint64(hdr[4:]))
	var err error
	if qp.Data, err = readBuffer(r, maxBuf); err != nil {
		return qp, err
	}
	n, err := readInt(r)
	if err != nil {
		return qp, unexpected(err)
	}
	if n < -1 || n > MaxAuthInfo {
		return qp, fmt.Errorf("%w: %d auth ids", ErrPacketSize, n)
	}
	if n >= 0 {
		qp.AuthInfo = make([]proto.ID, n)
		for i := range qp.AuthInfo {
			s, err := readBuffer(r, maxBuf)
			if err != nil {
				return qp, err
			}
			id, err := readBuffer(r, maxBuf)
			if err != nil {
				return qp, err
			}
			qp.AuthInfo[i] = proto.ID{Scheme: string(s), ID: string(id)}
		}
	}
	return qp, nil
}

func readInt(r io.Reader) (int32, error) {
	var b [4]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return 0, err
	}
	return int32(binary.BigEndian.Uint32(b[:])), nil
}

// readBuffer reads a jute buffer or string; -1 (null) reads as nil.
func readBuffer(r io.Reader, maxBuf int32) ([]byte, error) {
	n, err := readInt(r)
	if err != nil {
		return nil, unexpected(err)
	}
	if n == -1 {
		return nil, nil
	}
	if n < 0 || n > maxBuf {
		return nil, fmt.Errorf("%w: %d", ErrPacketSize, n)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, unexpected(err)
	}
	return b, nil
}

// unexpected turns EOF inside a packet into ErrUnexpectedEOF.
func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// RecvSnapshot reads the SNAP stream that follows a SNAP packet into sink
// and checks the "BenWasHere" signature. It does not call sink.Reset. Any
// error leaves the connection unusable.
func (p *PeerConn) RecvSnapshot(sink snapshot.Sink) error {
	if p.readErr != nil {
		return p.readErr
	}
	err := snapshot.ReadBodyLimit(p.br, sink, int(p.maxBuf.Load()))
	if err == nil {
		var sig []byte
		if sig, err = readBuffer(p.br, p.maxBuf.Load()); err == nil && string(sig) != SnapSignature {
			err = fmt.Errorf("%w: got %q", ErrBadSignature, sig)
		}
	}
	if err != nil {
		p.readErr = p.readError(err)
		return p.readErr
	}
	return nil
}

// Close closes the socket, fails queued sends with ErrClosed and waits for
// the writer goroutine. It is idempotent; a blocked Recv returns ErrClosed.
func (p *PeerConn) Close() error {
	p.closeOnce.Do(func() {
		p.mu.Lock()
		p.closed = true
		p.mu.Unlock()
		close(p.stop)
		p.c.Close()
		p.wg.Wait()
	})
	return nil
}
