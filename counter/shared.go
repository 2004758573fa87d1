package counter

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"github.com/go-zookeeper/zk"
	"github.com/zkit-go/zkit/recipes"
)

// Errors returned by this package.
var (
	// ErrClosed is returned by operations on a closed counter.
	ErrClosed = errors.New("counter: closed")
	// ErrNotStarted is returned by SharedCount methods before Start.
	ErrNotStarted = errors.New("counter: not started")
	// ErrBadData is returned when a node's data is not a value of the
	// expected width (4 bytes for SharedCount, 8 for AtomicLong).
	ErrBadData = errors.New("counter: node data is not a counter value")
	// ErrUncertain is returned when a compare-and-set's reply was lost
	// and its retry found the version changed: the change may be this
	// write or another client's. The value may or may not include it.
	ErrUncertain = errors.New("counter: outcome of the write is unknown")
)

// VersionedValue is a SharedCount value with the node version it was
// read at, for TrySetCount.
type VersionedValue struct {
	Version int32
	Value   int32
}

// SharedCount is an int32 shared by all clients using the same path, with
// listeners told of changes (Curator's SharedCount; the same data: 4 bytes,
// big-endian two's complement).
//
// On Suspended and Lost Count keeps returning the last value read, which
// may be stale; on Reconnected (same session or new) the node is read
// again and listeners see any change made meanwhile. Writes wait for the
// connection as every recipes operation does.
type SharedCount struct {
	c    *recipes.Client
	path string
	seed int32

	mu        sync.Mutex // guards cur, mzxid, started, closed, w, listeners, nextID
	cur       VersionedValue
	mzxid     int64 // of cur; a read is only taken if newer
	started   bool
	closed    bool
	w         *recipes.Watcher
	listeners map[int]func(VersionedValue)
	nextID    int
}

// NewSharedCount returns a count at path whose value is seed if the node
// does not exist yet. Call Start.
func NewSharedCount(c *recipes.Client, path string, seed int32) *SharedCount {
	return &SharedCount{c: c, path: path, seed: seed, listeners: map[int]func(VersionedValue){}}
}

// Start creates the node with the seed if it does not exist, reads it,
// and starts watching it.
func (s *SharedCount) Start(ctx context.Context) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	if s.started {
		s.mu.Unlock()
		return nil
	}
	s.started = true
	s.mu.Unlock()
	if err := s.start(ctx); err != nil {
		s.mu.Lock()
		s.started = false
		s.mu.Unlock()
		return err
	}
	return nil
}

func (s *SharedCount) start(ctx context.Context) error {
	_, err := s.c.CreateWithParents(ctx, s.path, encode32(s.seed), zk.FlagPersistent, nil)
	if err != nil && !errors.Is(err, zk.ErrNodeExists) {
		return fmt.Errorf("counter: create %s: %w", s.path, err)
	}
	data, st, err := s.c.Get(ctx, s.path)
	if err != nil {
		return fmt.Errorf("counter: read %s: %w", s.path, err)
	}
	if err := s.take(data, st); err != nil {
		return err
	}
	w, err := s.c.NewWatcher(s.apply)
	if err != nil {
		return err
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		w.Close()
		return ErrClosed
	}
	s.w = w
	s.mu.Unlock()
	return w.Add(s.path, recipes.WatchData)
}

// take records a read if it is newer than what we have; it reports
// whether the value changed.
func (s *SharedCount) take(data []byte, st *zk.Stat) error {
	v, err := decode32(data)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if st.Mzxid >= s.mzxid {
		s.cur, s.mzxid = VersionedValue{Version: st.Version, Value: v}, st.Mzxid
	}
	return nil
}

func (s *SharedCount) apply(res recipes.WatchResult) {
	if res.Err != nil || !res.Exists {
		return // deleted: keep the last value; a new node is read when created
	}
	s.mu.Lock()
	before := s.cur
	s.mu.Unlock()
	if err := s.take(res.Data, res.Stat); err != nil {
		return
	}
	s.mu.Lock()
	now := s.cur
	fns := make([]func(VersionedValue), 0, len(s.listeners))
	for _, fn := range s.listeners {
		fns = append(fns, fn)
	}
	s.mu.Unlock()
	if now == before {
		return
	}
	for _, fn := range fns {
		fn(now)
	}
}

// Count returns the last value read.
func (s *SharedCount) Count() int32 { return s.Versioned().Value }

// Versioned returns the last value read with its version.
func (s *SharedCount) Versioned() VersionedValue {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cur
}

// Listen adds fn, called with each new value seen by the watch, in
// order, on the watch's goroutine (it must not block for long or call
// Close). Changes close together may be seen as one.
func (s *SharedCount) Listen(fn func(VersionedValue)) (remove func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.nextID
	s.nextID++
	s.listeners[id] = fn
	return func() {
		s.mu.Lock()
		delete(s.listeners, id)
		s.mu.Unlock()
	}
}

// SetCount sets the value whatever it was.
func (s *SharedCount) SetCount(ctx context.Context, v int32) error {
	if err := s.check(); err != nil {
		return err
	}
	st, err := s.c.Set(ctx, s.path, encode32(v), -1)
	if err != nil {
		return fmt.Errorf("counter: set %s: %w", s.path, err)
	}
	return s.take(encode32(v), st)
}

// TrySetCount sets the value to v only if the node is still at
// prev.Version (from Versioned). It reports false when another client
// changed the value first; the new value is then read. ErrUncertain: the
// reply was lost and the retry found the version changed, which may be
// this write or another client's.
func (s *SharedCount) TrySetCount(ctx context.Context, prev VersionedValue, v int32) (bool, error) {
	if err := s.check(); err != nil {
		return false, err
	}
	st, err := s.c.Set(ctx, s.path, encode32(v), prev.Version)
	if err == nil {
		return true, s.take(encode32(v), st)
	}
	if !errors.Is(err, zk.ErrBadVersion) {
		return false, fmt.Errorf("counter: set %s: %w", s.path, err)
	}
	data, st, rerr := s.c.Get(ctx, s.path)
	if rerr != nil {
		return false, fmt.Errorf("counter: read %s: %w", s.path, rerr)
	}
	if terr := s.take(data, st); terr != nil {
		return false, terr
	}
	if errors.Is(err, recipes.ErrAmbiguous) {
		return false, fmt.Errorf("%w: %w", ErrUncertain, err)
	}
	return false, nil
}

func (s *SharedCount) check() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed:
		return ErrClosed
	case !s.started:
		return ErrNotStarted
	}
	return nil
}

// Close stops watching and waits for the watch goroutine. Listeners are
// not called after Close returns. ctx is unused (Close does no I/O); it is
// there so every recipe closes alike.
func (s *SharedCount) Close(ctx context.Context) error {
	s.mu.Lock()
	s.closed = true
	w := s.w
	s.w = nil
	s.mu.Unlock()
	if w != nil {
		w.Close()
	}
	return nil
}

func encode32(v int32) []byte { return binary.BigEndian.AppendUint32(nil, uint32(v)) }

func decode32(b []byte) (int32, error) {
	if len(b) != 4 {
		return 0, fmt.Errorf("%w: %d bytes", ErrBadData, len(b))
	}
	return int32(binary.BigEndian.Uint32(b)), nil
}
