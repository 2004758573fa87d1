package election

import "sync"

// notifier delivers leadership changes to listeners in order, on its own
// goroutine, never under a lock, so that leadership can be dropped from
// any goroutine (the client's state callback included) without waiting
// for listeners.
type notifier struct {
	mu        sync.Mutex // guards queue, listeners, next, closed
	queue     []bool
	listeners map[int]func(bool)
	next      int
	closed    bool
	wake      chan struct{} // capacity 1
	done      chan struct{}
}

func newNotifier() *notifier {
	n := &notifier{listeners: map[int]func(bool){}, wake: make(chan struct{}, 1), done: make(chan struct{})}
	go n.run()
	return n
}

func (n *notifier) add(fn func(bool)) (remove func()) {
	n.mu.Lock()
	id := n.next
	n.next++
	n.listeners[id] = fn
	n.mu.Unlock()
	return func() {
		n.mu.Lock()
		delete(n.listeners, id)
		n.mu.Unlock()
	}
}

func (n *notifier) post(v bool) {
	n.mu.Lock()
	n.queue = append(n.queue, v)
	n.mu.Unlock()
	n.signal()
}

func (n *notifier) signal() {
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

// silence removes every listener and drops what is queued: nothing is
// delivered from now on.
func (n *notifier) silence() {
	n.mu.Lock()
	n.listeners = map[int]func(bool){}
	n.queue = nil
	n.mu.Unlock()
}

// close delivers what is queued, then stops the goroutine and waits.
func (n *notifier) close() {
	n.mu.Lock()
	n.closed = true
	n.mu.Unlock()
	n.signal()
	<-n.done
}

func (n *notifier) run() {
	defer close(n.done)
	for range n.wake {
		for {
			n.mu.Lock()
			if len(n.queue) == 0 {
				closed := n.closed
				n.mu.Unlock()
				if closed {
					return
				}
				break
			}
			v := n.queue[0]
			n.queue = n.queue[1:]
			fns := make([]func(bool), 0, len(n.listeners))
			ids := make([]int, 0, len(n.listeners))
			for id := range n.listeners {
				ids = append(ids, id)
			}
			sortInts(ids)
			for _, id := range ids {
				fns = append(fns, n.listeners[id])
			}
			n.mu.Unlock()
			for _, fn := range fns {
				fn(v)
			}
		}
	}
}

func sortInts(a []int) {
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j] < a[j-1]; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}
