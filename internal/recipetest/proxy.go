package recipetest

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
)

// Proxy sits between test clients and a ZooKeeper server and breaks
// the network on demand. It understands just enough of the client protocol
// (length-prefixed frames; connect request and response first) to learn
// session passwords and to drop the reply to one chosen request.
type Proxy struct {
	ln     net.Listener
	target string
	wg     sync.WaitGroup

	mu       sync.Mutex // guards the fields below
	conns    map[*proxyConn]struct{}
	down     bool             // refuse new connections, drop bytes on old ones
	dropOp   int32            // opcode whose next reply is dropped (0: none)
	sessions map[int64][]byte // session id -> password, from connect responses
	closed   bool
}

type proxyConn struct {
	client, server net.Conn
	dropXid        int32 // guarded by Proxy.mu; 0: none
}

func StartProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("proxy listen: %v", err)
	}
	p := &Proxy{ln: ln, target: target, conns: map[*proxyConn]struct{}{}, sessions: map[int64][]byte{}}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.close)
	return p
}

func (p *Proxy) Addr() string { return p.ln.Addr().String() }

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.down || p.closed {
			p.mu.Unlock()
			c.Close()
			continue
		}
		p.mu.Unlock()
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
		p.mu.Unlock()
		p.wg.Add(2)
		go p.pump(pc, true)
		go p.pump(pc, false)
	}
}

// pump copies frames one way. up is client-to-server.
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
		case !up && first:
			if id, pw, ok := parseConnectResponse(frame[4:]); ok && id != 0 {
				p.sessions[id] = pw
			}
		case !up && len(frame) >= 8:
			xid := int32(binary.BigEndian.Uint32(frame[4:8]))
			if pc.dropXid != 0 && xid == pc.dropXid {
				drop = true
			}
		}
		p.mu.Unlock()
		first = false
		if drop {
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
		return nil, errors.New("frame too large")
	}
	frame := make([]byte, 4+n)
	copy(frame, hdr[:])
	if _, err := io.ReadFull(r, frame[4:]); err != nil {
		return nil, err
	}
	return frame, nil
}

// parseConnectResponse reads protocolVersion, timeOut, sessionId, passwd.
func parseConnectResponse(b []byte) (int64, []byte, bool) {
	if len(b) < 20 {
		return 0, nil, false
	}
	id := int64(binary.BigEndian.Uint64(b[8:16]))
	n := int(int32(binary.BigEndian.Uint32(b[16:20])))
	if n < 0 || len(b) < 20+n {
		return 0, nil, false
	}
	return id, append([]byte(nil), b[20:20+n]...), true
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
// as a network partition does; new connections are refused.
func (p *Proxy) Partition(on bool) {
	p.mu.Lock()
	p.down = on
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
// with opcode op is dropped and that connection cut, after the server has
// applied the request.
func (p *Proxy) DropNextReply(op int32) {
	p.mu.Lock()
	p.dropOp = op
	p.mu.Unlock()
}

func (p *Proxy) Password(id int64) ([]byte, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	pw, ok := p.sessions[id]
	return pw, ok
}

func (p *Proxy) close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	p.ln.Close()
	p.CutAll()
	p.wg.Wait()
}
