package election

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/zkit-go/zkit/lock"
	"github.com/zkit-go/zkit/recipes"
)

// Selector runs a function while it leads, in the manner of Curator's
// LeaderSelector and node-compatible with it: participants queue on a
// lock.Mutex at path (nodes "_c_<uuid>-lock-<seq>" holding the id); the
// holder leads and runs fn(ctx). ctx is cancelled when leadership ends:
//
//   - Suspended: with DropOnSuspend (default) at once; with KeepUntilLost
//     not.
//   - Lost, or our node deleted by someone else: at once.
//   - Close: at once.
//
// fn must return soon after ctx ends; until it returns the Selector keeps
// its node, so nobody else leads meanwhile unless the session is lost.
// After fn returns the node is deleted and, with WithAutoRequeue or after
// Requeue, the Selector queues again at the back of the line. Reconnected
// needs no action: a participant still waiting keeps its place if its
// session survived, and queues again with a new node if it did not.
type Selector struct {
	c    *recipes.Client
	path string
	id   string
	fn   func(ctx context.Context)
	cfg  config

	stop chan struct{} // closed by Close
	wake chan struct{} // capacity 1
	done chan struct{} // closed when run returns

	mu        sync.Mutex // guards the fields below
	started   bool
	closed    bool
	unlisten  func()
	queued    bool
	requeue   bool // Requeue called during a term
	inTerm    bool // from taking the lock until it is released
	leading   bool
	endLead   context.CancelFunc
	suspended bool
	held      *lock.Mutex // held by us, not yet unlocked
	runCancel context.CancelFunc
}

// NewSelector returns a selector for participant id on path that runs fn
// while it leads. Call Start.
func NewSelector(c *recipes.Client, path, id string, fn func(ctx context.Context), opts ...Option) *Selector {
	return &Selector{
		c: c, path: path, id: id, fn: fn, cfg: newConfig(opts),
		stop: make(chan struct{}), wake: make(chan struct{}, 1), done: make(chan struct{}),
	}
}

// Start queues for leadership. It returns at once.
func (s *Selector) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	if s.started {
		return ErrStarted
	}
	if s.path == "" || s.path[0] != '/' || s.path == "/" || s.fn == nil {
		return fmt.Errorf("election: bad path %q or nil function", s.path)
	}
	s.started, s.queued = true, true
	ctx, cancel := context.WithCancel(context.Background())
	s.runCancel = cancel
	s.unlisten = s.c.Listen(s.onState)
	go s.run(ctx)
	return nil
}

// Requeue queues the Selector again after its function has returned (or,
// while it runs, once it returns). It reports false after Close.
func (s *Selector) Requeue() bool {
	s.mu.Lock()
	if s.closed || !s.started {
		s.mu.Unlock()
		return false
	}
	if s.inTerm {
		s.requeue = true
	} else {
		s.queued = true
	}
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
	return true
}

// ID returns this participant's id.
func (s *Selector) ID() string { return s.id }

// IsLeader reports whether fn runs with a live ctx now.
func (s *Selector) IsLeader() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.leading
}

// Participants lists every participant, leader first.
func (s *Selector) Participants(ctx context.Context) ([]Participant, error) {
	return participants(ctx, s.c, s.path)
}

// LeaderID returns the id of the current leader.
func (s *Selector) LeaderID(ctx context.Context) (string, error) {
	return leaderID(ctx, s.c, s.path)
}

// Close ends leadership (fn's ctx is cancelled), waits for fn to return,
// and deletes our node; ctx bounds that delete (if it cannot be done, the
// node goes with the session). Close is idempotent.
func (s *Selector) Close(ctx context.Context) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	started := s.started
	if s.endLead != nil {
		s.endLead()
	}
	runCancel, unlisten := s.runCancel, s.unlisten
	s.mu.Unlock()
	close(s.stop)
	if !started {
		return nil
	}
	runCancel()
	unlisten()
	<-s.done
	s.mu.Lock()
	m := s.held
	s.held = nil
	s.mu.Unlock()
	if m != nil {
		return m.Unlock(ctx)
	}
	return nil
}

func (s *Selector) onState(st recipes.State) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch st {
	case recipes.Suspended:
		s.suspended = true
		if s.cfg.policy == DropOnSuspend && s.endLead != nil {
			s.endLead()
			s.leading = false
		}
	case recipes.Lost:
		s.suspended = true
		if s.endLead != nil {
			s.endLead()
			s.leading = false
		}
	case recipes.Connected, recipes.Reconnected:
		s.suspended = false
	}
}

func (s *Selector) run(ctx context.Context) {
	defer close(s.done)
	backoff := 50 * time.Millisecond
	for {
		s.mu.Lock()
		queued := s.queued
		s.mu.Unlock()
		if !queued {
			select {
			case <-s.wake:
				continue
			case <-s.stop:
				return
			}
		}
		m := lock.NewMutex(s.c, s.path, lock.WithData([]byte(s.id)))
		if err := m.Lock(ctx); err != nil {
			if ctx.Err() != nil {
				return
			}
			t := time.NewTimer(backoff)
			select {
			case <-t.C:
			case <-s.stop:
				t.Stop()
				return
			}
			if backoff < 2*time.Second {
				backoff *= 2
			}
			continue
		}
		backoff = 50 * time.Millisecond
		s.mu.Lock()
		s.inTerm = true
		s.mu.Unlock()
		s.lead(ctx, m)
		// Our node must go before we queue again, or the new node would
		// wait behind it for ever.
		for ub := 50 * time.Millisecond; m.Unlock(ctx) != nil; ub = min(2*ub, 2*time.Second) {
			t := time.NewTimer(ub)
			select {
			case <-t.C:
			case <-s.stop:
				t.Stop()
				return // Close unlocks s.held
			}
		}
		s.mu.Lock()
		s.held, s.inTerm = nil, false
		if !s.cfg.requeue {
			s.queued, s.requeue = s.requeue, false
		}
		s.mu.Unlock()
	}
}

// lead runs fn for one term.
func (s *Selector) lead(ctx context.Context, m *lock.Mutex) {
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s.mu.Lock()
	s.held = m
	lost := m.Lost()
	if s.closed || (s.suspended && s.cfg.policy == DropOnSuspend) || isDone(lost) {
		cancel()
	} else {
		s.leading, s.endLead = true, cancel
	}
	s.mu.Unlock()
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		select {
		case <-lost:
			s.mu.Lock()
			s.leading = false
			s.mu.Unlock()
			cancel()
		case <-lctx.Done():
		}
	}()
	if lctx.Err() == nil {
		s.fn(lctx)
	}
	cancel()
	<-watched
	s.mu.Lock()
	s.leading, s.endLead = false, nil
	s.mu.Unlock()
}
