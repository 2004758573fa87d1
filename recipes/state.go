package recipes

import (
	"fmt"
	"sync"
	"sync/atomic"
)

// State is the client's view of its connection and session, with Curator's
// names and meanings. See the package documentation for what each state
// promises and what the helpers of this package do in it.
type State int32

const (
	// Connected is reported once, when Connect establishes the first session.
	Connected State = iota + 1
	// Suspended means the connection to the server was lost. The session
	// may still be alive on the server; nothing the client holds (ephemeral
	// nodes, watches) can be trusted until Reconnected or Lost follows.
	Suspended
	// Reconnected means a connection is usable again after Suspended or
	// Lost. After Suspended the session is usually the same one; after Lost
	// it is always a new one (Session().Epoch tells them apart).
	Reconnected
	// Lost means the session is gone: the server expired it, or the client
	// stayed Suspended for longer than the session timeout and abandoned it.
	// Ephemeral nodes and watches of the old session must be assumed gone.
	// The client goes on to build a new session and reports Reconnected.
	Lost
	// ReadOnly means connected to a server in read-only mode. go-zookeeper/zk
	// does not ask for read-only sessions, so this client never reports it;
	// the value exists so recipes can be written against Curator's full set.
	ReadOnly
)

// String returns Curator's name for the state.
func (s State) String() string {
	switch s {
	case Connected:
		return "CONNECTED"
	case Suspended:
		return "SUSPENDED"
	case Reconnected:
		return "RECONNECTED"
	case Lost:
		return "LOST"
	case ReadOnly:
		return "READ_ONLY"
	}
	return fmt.Sprintf("State(%d)", int32(s))
}

// IsConnected reports whether the state is one in which requests reach a
// server: Connected, Reconnected or ReadOnly.
func (s State) IsConnected() bool {
	return s == Connected || s == Reconnected || s == ReadOnly
}

// Session describes one ZooKeeper session of a Client. A Client goes
// through several sessions in its life when sessions are lost; each new one
// has a larger Epoch. A Session value never changes; ask Client.Session for
// the current one.
type Session struct {
	// ID is the server-assigned session id.
	ID int64
	// Epoch counts the sessions of this Client, starting at 1.
	Epoch uint64

	done chan struct{}
}

// Done is closed when this session is lost (the client reports Lost) or the
// client is closed. Recipes holding ephemeral nodes select on it.
func (s *Session) Done() <-chan struct{} { return s.done }

// notifier calls listeners with values, in the order posted, on one
// goroutine (run), never while holding its lock. Post never blocks.
// A listener sees only values posted after it was added.
type notifier[T any] struct {
	mu        sync.Mutex // guards queue, listeners and posted
	queue     []posted[T]
	listeners []*listener[T]
	posted    uint64        // values posted so far
	wake      chan struct{} // capacity 1: "queue may be non-empty"
}

type posted[T any] struct {
	seq uint64
	v   T
}

type listener[T any] struct {
	fn      func(T)
	from    uint64 // first seq this listener sees
	removed atomic.Bool
}

func newNotifier[T any]() *notifier[T] {
	return &notifier[T]{wake: make(chan struct{}, 1)}
}

// add registers fn and returns a function that removes it. After remove
// returns, fn is not started again (a call already running may finish).
func (n *notifier[T]) add(fn func(T)) (remove func()) {
	l := &listener[T]{fn: fn}
	n.mu.Lock()
	l.from = n.posted + 1
	n.listeners = append(n.listeners, l)
	n.mu.Unlock()
	return func() {
		l.removed.Store(true)
		n.mu.Lock()
		defer n.mu.Unlock()
		for i, x := range n.listeners {
			if x == l {
				n.listeners = append(n.listeners[:i:i], n.listeners[i+1:]...)
				return
			}
		}
	}
}

func (n *notifier[T]) post(v T) {
	n.mu.Lock()
	n.posted++
	n.queue = append(n.queue, posted[T]{n.posted, v})
	n.mu.Unlock()
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

// run delivers posted values until stop or also (which may be nil) is
// closed. Values still queued then are dropped.
func (n *notifier[T]) run(stop, also <-chan struct{}) {
	for {
		select {
		case <-stop:
			return
		case <-also:
			return
		case <-n.wake:
		}
		for {
			n.mu.Lock()
			if len(n.queue) == 0 {
				n.mu.Unlock()
				break
			}
			v := n.queue[0]
			n.queue[0] = posted[T]{}
			n.queue = n.queue[1:]
			ls := append([]*listener[T](nil), n.listeners...)
			n.mu.Unlock()
			for _, l := range ls {
				select {
				case <-stop:
					return
				case <-also:
					return
				default:
				}
				if !l.removed.Load() && v.seq >= l.from {
					l.fn(v.v)
				}
			}
		}
	}
}
