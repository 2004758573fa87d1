package config

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/go-zookeeper/zk"
	"github.com/zkit-go/zkit/recipes"
)

// Errors returned by this package.
var (
	// ErrClosed is returned by calls on a closed Store.
	ErrClosed = errors.New("config: closed")
	// ErrConflict is returned by Publish with IfVersion or IfAbsent when
	// the node has changed (or exists, or does not): someone else
	// published first. It wraps zk.ErrBadVersion, zk.ErrNodeExists or
	// zk.ErrNoNode.
	ErrConflict = errors.New("config: version conflict")
)

// Codec turns values into node data and back.
type Codec[T any] struct {
	Encode func(T) ([]byte, error)
	Decode func([]byte) (T, error)
}

// JSON is the default codec: encoding/json.
func JSON[T any]() Codec[T] {
	return Codec[T]{
		Encode: func(v T) ([]byte, error) { return json.Marshal(v) },
		Decode: func(b []byte) (T, error) {
			var v T
			err := json.Unmarshal(b, &v)
			return v, err
		},
	}
}

// Value is a configuration value as read or published.
type Value[T any] struct {
	// Path is the node's client path.
	Path string
	// Exists is false when the node does not exist; Value is then zero.
	Exists bool
	// Value is the decoded data (zero when Err is set).
	Value T
	// Version is the node's data version, for Publish(..., IfVersion).
	Version int32
	// Mzxid is the zxid of the write that produced this value.
	Mzxid int64
	// Err is the decode error when the data is not a T.
	Err error
}

// Option configures a Store.
type Option[T any] func(*Store[T])

// WithCodec replaces the JSON codec.
func WithCodec[T any](c Codec[T]) Option[T] { return func(s *Store[T]) { s.codec = c } }

// WithDecoder replaces only the decoding, for a Store used to watch.
func WithDecoder[T any](decode func([]byte) (T, error)) Option[T] {
	return func(s *Store[T]) { s.codec.Decode = decode }
}

// Store publishes and watches configuration values of type T.
type Store[T any] struct {
	c     *recipes.Client
	codec Codec[T]

	closing chan struct{}
	mu      sync.Mutex // guards closed and ops
	closed  bool
	ops     sync.WaitGroup // calls and watch goroutines in progress
}

// NewStore returns a Store on c. It does no I/O.
func NewStore[T any](c *recipes.Client, opts ...Option[T]) *Store[T] {
	s := &Store[T]{c: c, codec: JSON[T](), closing: make(chan struct{})}
	for _, o := range opts {
		o(s)
	}
	return s
}

// New is NewStore.
//
// Deprecated: use NewStore; every recipe's constructor is NewX.
func New[T any](c *recipes.Client, opts ...Option[T]) *Store[T] { return NewStore(c, opts...) }

func (s *Store[T]) begin() (func(), error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrClosed
	}
	s.ops.Add(1)
	return s.ops.Done, nil
}

// Close ends every watch (their channels are closed) and waits for calls
// in progress, which it wakes, or for ctx to end (then it returns ctx's
// error; the calls still end by themselves).
func (s *Store[T]) Close(ctx context.Context) error {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.closing)
	}
	s.mu.Unlock()
	return waitGroup(ctx, &s.ops)
}

// waitGroup waits for wg or ctx.
func waitGroup(ctx context.Context, wg *sync.WaitGroup) error {
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("config: close: %w", ctx.Err())
	}
}

func (s *Store[T]) value(path string, exists bool, data []byte, st *zk.Stat) Value[T] {
	v := Value[T]{Path: path, Exists: exists}
	if !exists {
		return v
	}
	v.Version, v.Mzxid = st.Version, st.Mzxid
	v.Value, v.Err = s.codec.Decode(data)
	return v
}

// Get reads the value at path; a missing node gives Exists false.
func (s *Store[T]) Get(ctx context.Context, path string) (Value[T], error) {
	end, err := s.begin()
	if err != nil {
		return Value[T]{}, err
	}
	defer end()
	data, st, err := s.c.Get(ctx, path)
	if errors.Is(err, zk.ErrNoNode) {
		return Value[T]{Path: path}, nil
	}
	if err != nil {
		return Value[T]{}, fmt.Errorf("config: %w", err)
	}
	return s.value(path, true, data, st), nil
}

// PublishOption makes Publish conditional.
type PublishOption func(*publishOpts)

type publishOpts struct {
	version int32 // -1: any
	absent  bool
}

// IfVersion publishes only if the node is at version (a Value's Version):
// compare-and-set.
func IfVersion(version int32) PublishOption {
	return func(o *publishOpts) { o.version, o.absent = version, false }
}

// IfAbsent publishes only if the node does not exist yet.
func IfAbsent() PublishOption { return func(o *publishOpts) { o.absent, o.version = true, -1 } }

// Publish writes v at path, creating it and its parents if needed. With
// IfVersion or IfAbsent it is a compare-and-set that fails with
// ErrConflict when someone else published first. It returns the value
// as written.
//
// After a lost reply the recipes client retries; if the retry meets a
// conflict but the node holds exactly the bytes this call wrote at the
// version it would have produced, the publish is reported as done (the
// configuration is what was asked for either way).
func (s *Store[T]) Publish(ctx context.Context, path string, v T, opts ...PublishOption) (Value[T], error) {
	end, err := s.begin()
	if err != nil {
		return Value[T]{}, err
	}
	defer end()
	o := publishOpts{version: -1}
	for _, f := range opts {
		f(&o)
	}
	data, err := s.codec.Encode(v)
	if err != nil {
		return Value[T]{}, fmt.Errorf("config: encode: %w", err)
	}
	st, err := s.write(ctx, path, data, o)
	if err != nil {
		if conflict(err) && errors.Is(err, recipes.ErrAmbiguous) {
			if cur, cst, rerr := s.c.Get(ctx, path); rerr == nil && bytes.Equal(cur, data) &&
				(o.absent && cst.Version == 0 || !o.absent && (o.version < 0 || cst.Version == o.version+1)) {
				return Value[T]{Path: path, Exists: true, Value: v, Version: cst.Version, Mzxid: cst.Mzxid}, nil
			}
		}
		if conflict(err) {
			return Value[T]{}, fmt.Errorf("%w: %s: %w", ErrConflict, path, err)
		}
		return Value[T]{}, fmt.Errorf("config: publish %s: %w", path, err)
	}
	return Value[T]{Path: path, Exists: true, Value: v, Version: st.Version, Mzxid: st.Mzxid}, nil
}

func conflict(err error) bool {
	return errors.Is(err, zk.ErrBadVersion) || errors.Is(err, zk.ErrNodeExists) || errors.Is(err, zk.ErrNoNode)
}

// write sets or creates the node as o says and returns its stat.
func (s *Store[T]) write(ctx context.Context, path string, data []byte, o publishOpts) (*zk.Stat, error) {
	if !o.absent {
		st, err := s.c.Set(ctx, path, data, o.version)
		if err == nil || !errors.Is(err, zk.ErrNoNode) || o.version >= 0 {
			return st, err
		}
	}
	if _, err := s.c.CreateWithParents(ctx, path, data, zk.FlagPersistent, nil); err != nil {
		if errors.Is(err, zk.ErrNodeExists) && !o.absent {
			return s.c.Set(ctx, path, data, -1) // created meanwhile: last writer wins
		}
		return nil, err
	}
	_, st, err := s.c.Exists(ctx, path)
	return st, err
}

// Tree is a subtree of values by path relative to its root ("db/url" for
// <root>/db/url). Only nodes with data appear.
type Tree[T any] map[string]Value[T]

// latest holds the newest value for a watch's sender goroutine; writers
// replace it, so a slow receiver skips to the newest.
type latest[V any] struct {
	mu   sync.Mutex // guards v and has
	v    V
	has  bool
	wake chan struct{} // capacity 1
}

func newLatest[V any]() *latest[V] { return &latest[V]{wake: make(chan struct{}, 1)} }

func (l *latest[V]) put(v V) {
	l.mu.Lock()
	l.v, l.has = v, true
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

func (l *latest[V]) take() (V, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	v, ok := l.v, l.has
	var zero V
	l.v, l.has = zero, false
	return v, ok
}

// forward sends the newest value to out until ctx ends or the Store
// closes, then runs stop and closes out.
func forward[V any](ctx context.Context, closing <-chan struct{}, l *latest[V], out chan<- V, stop func()) {
	defer close(out)
	defer stop()
	var pending V
	var send chan<- V
	for {
		select {
		case <-l.wake:
			if v, ok := l.take(); ok {
				pending, send = v, out
			}
		case send <- pending:
			send = nil
		case <-ctx.Done():
			return
		case <-closing:
			return
		}
	}
}

// Watch delivers the value at path now and after every change, until ctx
// ends or the Store closes; then the channel is closed. A receiver that
// falls behind gets the newest value, not every one. Values are never
// older than one already delivered, and after the last change the last
// value delivered is the node's current one, also across reconnects and
// session loss (the watch is re-armed and the node read again).
func (s *Store[T]) Watch(ctx context.Context, path string) (<-chan Value[T], error) {
	end, err := s.begin()
	if err != nil {
		return nil, err
	}
	l := newLatest[Value[T]]()
	var (
		sent bool
		last Value[T]
	)
	w, err := s.c.NewWatcher(func(res recipes.WatchResult) {
		if res.Err != nil {
			return
		}
		v := s.value(path, res.Exists, res.Data, res.Stat)
		if sent && v.Exists == last.Exists && (!v.Exists || v.Mzxid <= last.Mzxid) {
			return // unchanged, or an older read
		}
		sent, last = true, v
		l.put(v)
	})
	if err != nil {
		end()
		return nil, err
	}
	if err := w.Add(path, recipes.WatchData); err != nil {
		w.Close()
		end()
		return nil, err
	}
	out := make(chan Value[T], 1)
	go forward(ctx, s.closing, l, out, func() { w.Close(); end() })
	return out, nil
}

// WatchTree delivers the whole subtree under root once it has been read,
// then again after every change, like Watch. A missing root is an empty
// Tree.
func (s *Store[T]) WatchTree(ctx context.Context, root string) (<-chan Tree[T], error) {
	end, err := s.begin()
	if err != nil {
		return nil, err
	}
	tc := recipes.NewTreeCache(s.c, root)
	l := newLatest[Tree[T]]()
	var (
		mu      sync.Mutex // guards decoded: the cache's listener goroutine and nothing else use it
		decoded = map[string]Value[T]{}
	)
	snapshot := func() {
		mu.Lock()
		defer mu.Unlock()
		nodes := tc.Snapshot()
		tree := make(Tree[T], len(nodes))
		prefix := strings.TrimSuffix(root, "/") + "/"
		for p, n := range nodes {
			if p == root || len(n.Data) == 0 || !strings.HasPrefix(p, prefix) {
				continue
			}
			v, ok := decoded[p]
			if !ok || v.Mzxid != n.Stat.Mzxid {
				st := n.Stat
				v = s.value(p, true, n.Data, &st)
				decoded[p] = v
			}
			tree[p[len(prefix):]] = v
		}
		for p := range decoded {
			if _, ok := nodes[p]; !ok {
				delete(decoded, p)
			}
		}
		l.put(tree)
	}
	initialized := false
	remove := tc.Listen(func(ev recipes.CacheEvent) {
		if ev.Type == recipes.CacheInitialized {
			initialized = true
		}
		if initialized {
			snapshot()
		}
	})
	if err := tc.Start(); err != nil {
		remove()
		tc.Close(ctx)
		end()
		return nil, err
	}
	out := make(chan Tree[T], 1)
	go forward(ctx, s.closing, l, out, func() { remove(); tc.Close(context.Background()); end() })
	return out, nil
}
