package recipestest

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"slices"
	"sync"
	"testing"
)

// Proxy sits between test clients and a ZooKeeper server and breaks the
// network on demand.
type Proxy struct {
	ln     net.Listener
	target string
	wg     sync.WaitGroup

	mu     sync.Mutex // guards the fields below
	conns  map[*proxyConn]struct{}
	down   bool  // refuse new connections, drop bytes on old ones
	refuse bool  // refuse new connections only
	dropOp int32 // opcode whose next reply is dropped (0: none)
	// dropDown: after dropping that reply, go down as SetDown(true) does.
	dropDown bool
	closed   bool
}

type proxyConn struct {
	client, server net.Conn
	dropXid        int32 // guarded by Proxy.mu; 0: none
	session        int64 // guarded by Proxy.mu; from the connect response
}

// StartProxy listens on a free loopback port and forwards to target. It is
// closed when the test ends.
func StartProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("recipestest: proxy listen: %v", err)
	}
	p := &Proxy{ln: ln, target: target, conns: map[*proxyConn]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.Close)
	return p
}

// Addr is the address clients dial.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		refuse := p.down || p.refuse || p.closed
		p.mu.Unlock()
		if refuse {
			c.Close()
			continue
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		pc := &proxyConn{client: c, server: s}
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			c.Close()
			s.Close()
			continue
		}
		p.conns[pc] = struct{}{}
		p.wg.Add(2)
		p.mu.Unlock()
		go p.pump(pc, true)
		go p.pump(pc, false)
	}
}

// pump copies frames one way; up is client to server.
func (p *Proxy) pump(pc *proxyConn, up bool) {
	defer p.wg.Done()
	defer p.cut(pc)
	src, dst := pc.server, pc.client
	if up {
		src, dst = pc.client, pc.server
	}
	first := true
	for {
		frame, err := readFrame(src)
		if err != nil {
			return
		}
		p.mu.Lock()
		down := p.down
		drop := false
		switch {
		case up && !first && len(frame) >= 12:
			xid := int32(binary.BigEndian.Uint32(frame[4:8]))
			op := int32(binary.BigEndian.Uint32(frame[8:12]))
			if p.dropOp != 0 && op == p.dropOp {
				pc.dropXid = xid
				p.dropOp = 0
			}
		case !up && first && len(frame) >= 20:
			// Connect response: protocolVersion, timeOut, sessionId, ...
			pc.session = int64(binary.BigEndian.Uint64(frame[12:20]))
		case !up && !first && len(frame) >= 8:
			xid := int32(binary.BigEndian.Uint32(frame[4:8]))
			if pc.dropXid != 0 && xid == pc.dropXid {
				drop = true
				if p.dropDown {
					p.down, p.dropDown = true, false
				}
			}
		}
		p.mu.Unlock()
		first = false
		if drop {
			if p.Down() {
				p.CutAll()
			}
			return // the reply is lost and the connection with it
		}
		if down {
			continue
		}
		if _, err := dst.Write(frame); err != nil {
			return
		}
	}
}

func (p *Proxy) cut(pc *proxyConn) {
	pc.client.Close()
	pc.server.Close()
	p.mu.Lock()
	delete(p.conns, pc)
	p.mu.Unlock()
}

func readFrame(r io.Reader) ([]byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if n > 64<<20 {
		return nil, errors.New("recipestest: frame too large")
	}
	frame := make([]byte, 4+n)
	copy(frame, hdr[:])
	if _, err := io.ReadFull(r, frame[4:]); err != nil {
		return nil, err
	}
	return frame, nil
}

// SetDown makes the server unreachable (true): open connections are cut
// and new ones refused. false restores it.
func (p *Proxy) SetDown(down bool) {
	p.mu.Lock()
	p.down = down
	p.mu.Unlock()
	if down {
		p.CutAll()
	}
}

// Partition keeps connections open but silently drops every byte (true),
// as a network partition does; new connections are refused. false heals.
func (p *Proxy) Partition(on bool) {
	p.mu.Lock()
	p.down = on
	p.mu.Unlock()
}

// Refuse makes the proxy refuse new connections (true) while open ones
// carry on; false accepts them again. A client dialling it moves on to
// its next server.
func (p *Proxy) Refuse(on bool) {
	p.mu.Lock()
	p.refuse = on
	p.mu.Unlock()
}

// CutAll closes every open connection; new ones are accepted.
func (p *Proxy) CutAll() {
	p.mu.Lock()
	pcs := make([]*proxyConn, 0, len(p.conns))
	for pc := range p.conns {
		pcs = append(pcs, pc)
	}
	p.mu.Unlock()
	for _, pc := range pcs {
		pc.client.Close()
		pc.server.Close()
	}
}

// DropNextReply arms the proxy: the server's reply to the next request
// with opcode op (e.g. 15 for create2, 1 for create) is dropped and that
// connection cut, after the server has applied the request.
func (p *Proxy) DropNextReply(op int32) {
	p.mu.Lock()
	p.dropOp = op
	p.mu.Unlock()
}

// DropNextReplyThenDown is DropNextReply, and the proxy then stays down
// (as after SetDown(true)) until SetDown(false): the client cannot learn
// what became of its request.
func (p *Proxy) DropNextReplyThenDown(op int32) {
	p.mu.Lock()
	p.dropOp, p.dropDown = op, true
	p.mu.Unlock()
}

// Sessions lists the session ids of the connections open through the
// proxy now (0 for one whose handshake has not finished).
func (p *Proxy) Sessions() []int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]int64, 0, len(p.conns))
	for pc := range p.conns {
		out = append(out, pc.session)
	}
	return out
}

// Carries reports whether session id has a connection open through the
// proxy now.
func (p *Proxy) Carries(id int64) bool { return slices.Contains(p.Sessions(), id) }

// Down reports whether the proxy is down (SetDown, Partition or a
// DropNextReplyThenDown that has happened).
func (p *Proxy) Down() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.down
}

// Close stops the proxy and waits for its goroutines.
func (p *Proxy) Close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	p.ln.Close()
	p.CutAll()
	p.wg.Wait()
}
