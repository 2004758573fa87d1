package testing

import (
	"errors"
	"net"
	"sync"
	"time"
)

// fabric is the ensemble's network: it hands each member its reserved
// listeners, knows which member owns which address, and can partition
// members by refusing dials and cutting connections between groups.
type fabric struct {
	mu       sync.Mutex // guards everything below
	reserved map[string]net.Listener
	owner    map[string]int64 // listen address → member
	quorum   map[string]bool  // the members' quorum (Zab) addresses
	group    map[int64]int    // member → partition group; empty when healed
	qgroup   map[int64]int    // the same for quorum connections only
	conns    map[*trackedConn]struct{}
}

func newFabric() *fabric {
	return &fabric{
		reserved: make(map[string]net.Listener),
		owner:    make(map[string]int64),
		quorum:   make(map[string]bool),
		conns:    make(map[*trackedConn]struct{}),
	}
}

// markQuorum records addr as a member's quorum port, for PartitionQuorum.
func (f *fabric) markQuorum(addr string) {
	f.mu.Lock()
	f.quorum[addr] = true
	f.mu.Unlock()
}

func (f *fabric) reserve(id int64, ls ...net.Listener) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, l := range ls {
		addr := l.Addr().String()
		f.reserved[addr] = l
		f.owner[addr] = id
	}
}

// errPartitioned is what a dial across a partition gets.
var errPartitioned = errors.New("zktesting: partitioned")

func (f *fabric) cut(a, b int64) bool {
	if f.group == nil {
		return false
	}
	return f.group[a] != f.group[b]
}

// cutLink is cut for a connection to addr: quorum connections also obey
// the quorum-only partition.
func (f *fabric) cutLink(a, b int64, quorum bool) bool {
	if f.cut(a, b) {
		return true
	}
	return quorum && f.qgroup != nil && f.qgroup[a] != f.qgroup[b]
}

// listen returns member id's Listen hook: the first listen on a reserved
// address gets the reserved listener (no race for the port), later ones
// bind again (after a restart).
func (f *fabric) listen(id int64) func(network, addr string) (net.Listener, error) {
	return func(network, addr string) (net.Listener, error) {
		f.mu.Lock()
		l, ok := f.reserved[addr]
		delete(f.reserved, addr)
		f.mu.Unlock()
		if ok {
			return l, nil
		}
		var err error
		for i := 0; i < 50; i++ {
			if l, err = net.Listen(network, addr); err == nil {
				return l, nil
			}
			time.Sleep(20 * time.Millisecond) // the old socket may still be closing
		}
		return nil, err
	}
}

func (f *fabric) dial(from int64) func(network, addr string, timeout time.Duration) (net.Conn, error) {
	return func(network, addr string, timeout time.Duration) (net.Conn, error) {
		f.mu.Lock()
		to, known := f.owner[addr]
		quorum := f.quorum[addr]
		blocked := known && f.cutLink(from, to, quorum)
		f.mu.Unlock()
		if blocked {
			return nil, errPartitioned
		}
		c, err := net.DialTimeout(network, addr, timeout)
		if err != nil || !known {
			return c, err
		}
		tc := &trackedConn{Conn: c, f: f, a: from, b: to, quorum: quorum}
		f.mu.Lock()
		f.conns[tc] = struct{}{}
		cutNow := f.cutLink(from, to, quorum)
		f.mu.Unlock()
		if cutNow {
			tc.Close()
			return nil, errPartitioned
		}
		return tc, nil
	}
}

func (f *fabric) partition(groups [][]int64) { f.split(&f.group, groups) }

func (f *fabric) partitionQuorum(groups [][]int64) { f.split(&f.qgroup, groups) }

// split sets one of the group maps and cuts the connections it separates.
func (f *fabric) split(which *map[int64]int, groups [][]int64) {
	f.mu.Lock()
	*which = make(map[int64]int)
	for i, g := range groups {
		for _, id := range g {
			(*which)[id] = i + 1
		}
	}
	var victims []*trackedConn
	for c := range f.conns {
		if f.cutLink(c.a, c.b, c.quorum) {
			victims = append(victims, c)
		}
	}
	f.mu.Unlock()
	for _, c := range victims {
		c.Close()
	}
}

func (f *fabric) heal() {
	f.mu.Lock()
	f.group, f.qgroup = nil, nil
	f.mu.Unlock()
}

func (f *fabric) close() {
	f.mu.Lock()
	ls := f.reserved
	f.reserved = map[string]net.Listener{}
	f.mu.Unlock()
	for _, l := range ls {
		l.Close()
	}
}

// trackedConn is a member-to-member connection the fabric can cut.
type trackedConn struct {
	net.Conn
	f      *fabric
	a, b   int64
	quorum bool // to a quorum port
	once   sync.Once
}

func (c *trackedConn) Close() error {
	c.once.Do(func() {
		c.f.mu.Lock()
		delete(c.f.conns, c)
		c.f.mu.Unlock()
	})
	return c.Conn.Close()
}
