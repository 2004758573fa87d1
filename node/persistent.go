package node

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/zkit-go/zkit/recipes"
)

// Errors returned by this package.
var (
	// ErrClosed is returned by calls on a closed node.
	ErrClosed = errors.New("node: closed")
	// ErrStarted is returned by a second Start.
	ErrStarted = errors.New("node: already started")
	// ErrNotStarted is returned by WaitReady before Start.
	ErrNotStarted = errors.New("node: not started")
	// ErrBadArgument is returned for an invalid path, mode or TTL.
	ErrBadArgument = errors.New("node: invalid argument")
)

// Option configures a Persistent node.
type Option func(*config)

type config struct {
	protected     bool
	noParents     bool
	ttl           time.Duration
	keepOnClose   bool
	retryInterval time.Duration
}

// WithProtection creates the node with Curator's protected name
// ("_c_<uuid>-" before the last element, see recipes.CreateProtected), so
// a connection loss during the first create leaves no orphan. Use it with
// sequential modes. Not with TTL modes.
func WithProtection() Option { return func(c *config) { c.protected = true } }

// WithoutParents makes a missing parent an error to wait out (the node is
// created once the parent appears) instead of creating it as a container,
// as Curator's useParentCreation=false does.
func WithoutParents() Option { return func(c *config) { c.noParents = true } }

// WithTTL sets the TTL of zk.FlagTTL and zk.FlagPersistentSequentialWithTTL
// nodes.
func WithTTL(d time.Duration) Option { return func(c *config) { c.ttl = d } }

// Persistent is a node that stays (Curator's PersistentNode): created by
// Start, re-created whenever it is found missing (deleted by someone,
// gone with an expired session, after any Reconnected), with the data last
// given, until Close deletes it.
//
// A sequential node keeps the name it got from its first create: it is
// re-created under that exact name, without the sequential flag, as
// Curator does. A node found already there (made by an earlier attempt, or
// by our previous session, which the server has not yet expired) is
// adopted: its data is set to ours and it is watched, and re-created when
// it goes.
//
// Connection states: nothing is done on Suspended (the node may still be
// there); on Reconnected, after Suspended or Lost, the node is checked and
// re-created if missing. An ephemeral node of a lost session is re-created
// once the server has deleted it.
type Persistent struct {
	c        *recipes.Client
	base     string
	flags    int32
	cfg      config
	ready    chan struct{} // closed after the first create (or adoption)
	kick     chan struct{} // capacity 1: look at the node again now
	stop     chan struct{} // closed by Close
	done     chan struct{} // closed when run returns
	cancelOp context.CancelFunc

	mu       sync.Mutex // guards the fields below
	data     []byte
	dataGen  uint64 // bumped by SetData
	path     string // actual path, "" before the first create
	started  bool
	closed   bool
	unlisten func()
}

// NewPersistent returns a node at path with flags (zk.FlagPersistent,
// zk.FlagEphemeral, zk.FlagSequence, zk.FlagEphemeralSequential, zk.FlagTTL
// or zk.FlagPersistentSequentialWithTTL) and initial data. It does no I/O;
// call Start.
func NewPersistent(c *recipes.Client, path string, flags int32, data []byte, opts ...Option) (*Persistent, error) {
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	if path == "" || path[0] != '/' || path == "/" || path[len(path)-1] == '/' {
		return nil, fmt.Errorf("%w: path %q", ErrBadArgument, path)
	}
	switch flags {
	case zk.FlagPersistent, zk.FlagEphemeral, zk.FlagSequence, zk.FlagEphemeralSequential:
		if cfg.ttl != 0 {
			return nil, fmt.Errorf("%w: a TTL needs a TTL mode", ErrBadArgument)
		}
	case zk.FlagTTL, zk.FlagPersistentSequentialWithTTL:
		if cfg.ttl <= 0 {
			return nil, fmt.Errorf("%w: TTL mode without a positive WithTTL", ErrBadArgument)
		}
		if cfg.protected {
			return nil, fmt.Errorf("%w: protection with a TTL mode", ErrBadArgument)
		}
	default:
		return nil, fmt.Errorf("%w: create flags %d", ErrBadArgument, flags)
	}
	return &Persistent{
		c: c, base: path, flags: flags, cfg: cfg,
		data:  append([]byte(nil), data...),
		ready: make(chan struct{}), kick: make(chan struct{}, 1),
		stop: make(chan struct{}), done: make(chan struct{}),
	}, nil
}

// Start creates the node in the background. It returns at once; WaitReady
// waits for the first create.
func (p *Persistent) Start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return ErrClosed
	}
	if p.started {
		return ErrStarted
	}
	p.started = true
	ctx, cancel := context.WithCancel(context.Background())
	p.cancelOp = cancel
	p.unlisten = p.c.Listen(func(s recipes.State) {
		if s == recipes.Reconnected {
			p.poke()
		}
	})
	go p.run(ctx)
	return nil
}

// WaitReady waits until the node has been created (or an existing one
// adopted) for the first time (Curator's waitForInitialCreate), ctx ends,
// or the node is closed.
func (p *Persistent) WaitReady(ctx context.Context) error {
	p.mu.Lock()
	started := p.started
	p.mu.Unlock()
	if !started {
		return ErrNotStarted
	}
	select {
	case <-p.ready:
		return nil
	default:
	}
	select {
	case <-p.ready:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-p.stop:
		return ErrClosed
	}
}

// Ready is closed after the first create.
func (p *Persistent) Ready() <-chan struct{} { return p.ready }

// Path returns the node's actual path (with the sequence number and
// protection prefix, if any), or "" before the first create.
func (p *Persistent) Path() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.path
}

// Data returns the data the node is kept with.
func (p *Persistent) Data() []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]byte(nil), p.data...)
}

// SetData changes the data the node is kept with, now and on every
// re-create. When the node exists it is written at once (and the error of
// that write is returned, though the new data is kept either way); when
// it does not, the next create uses it.
func (p *Persistent) SetData(ctx context.Context, data []byte) error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return ErrClosed
	}
	p.data = append([]byte(nil), data...)
	p.dataGen++
	path := p.path
	p.mu.Unlock()
	defer p.poke() // a create racing with us may have used the old data
	if path == "" {
		return nil
	}
	if _, err := p.c.Set(ctx, path, data, -1); err != nil && !errors.Is(err, zk.ErrNoNode) {
		return fmt.Errorf("node: set data of %s: %w", path, err)
	}
	return nil
}

// Close stops keeping the node and deletes it (retrying until ctx ends;
// an ephemeral node left behind goes with the session). Close is
// idempotent.
func (p *Persistent) Close(ctx context.Context) error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	started := p.started
	unlisten := p.unlisten
	p.mu.Unlock()
	close(p.stop)
	if !started {
		return nil
	}
	unlisten()
	p.cancelOp()
	<-p.done
	if p.cfg.keepOnClose {
		return nil
	}
	p.mu.Lock()
	path := p.path
	p.mu.Unlock()
	if path == "" {
		return nil
	}
	return deleteRetrying(ctx, p.c, path)
}

// deleteRetrying deletes path until it is gone, ctx ends or the client
// closes.
func deleteRetrying(ctx context.Context, c *recipes.Client, path string) error {
	b := 50 * time.Millisecond
	for {
		err := c.Delete(ctx, path, -1)
		if err == nil || errors.Is(err, zk.ErrNoNode) {
			return nil
		}
		if ctx.Err() != nil || errors.Is(err, recipes.ErrClosed) {
			return fmt.Errorf("node: delete %s: %w", path, err)
		}
		t := time.NewTimer(b)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("node: delete %s: %w", path, err)
		}
		b = min(2*b, 2*time.Second)
	}
}

func (p *Persistent) poke() {
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

// run is the node's owner: it creates, watches and re-creates.
func (p *Persistent) run(ctx context.Context) {
	defer close(p.done)
	backoff := 50 * time.Millisecond
	var written uint64 // dataGen known to be on the node
	for {
		if ctx.Err() != nil {
			return
		}
		ch, gen, err := p.step(ctx, written)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			if errors.Is(err, recipes.ErrClosed) {
				<-ctx.Done() // the client is gone; nothing more to do until Close
				return
			}
			p.c.Logger().Warn("persistent node", "path", p.base, "err", err)
			t := time.NewTimer(backoff)
			select {
			case <-t.C:
			case <-p.kick:
				t.Stop()
			case <-ctx.Done():
				t.Stop()
				return
			}
			backoff = min(2*backoff, 2*time.Second)
			continue
		}
		backoff = 50 * time.Millisecond
		written = gen
		select {
		case <-ch:
		case <-p.kick:
		case <-ctx.Done():
			return
		}
	}
}

// step makes sure the node exists with our data and returns a watch on it
// and the data generation it holds.
func (p *Persistent) step(ctx context.Context, written uint64) (<-chan zk.Event, uint64, error) {
	p.mu.Lock()
	path, data, gen := p.path, p.data, p.dataGen
	p.mu.Unlock()
	if path != "" {
		ok, st, ch, err := p.c.ExistsW(ctx, path)
		if err != nil {
			return nil, 0, err
		}
		if ok {
			if gen != written {
				if _, err := p.c.Set(ctx, path, data, -1); err != nil && !errors.Is(err, zk.ErrNoNode) {
					return nil, 0, err
				}
			}
			p.checkOwner(path, st)
			return ch, gen, nil
		}
	}
	created, exists, err := p.create(ctx, path, data)
	if err != nil {
		return nil, 0, err
	}
	p.mu.Lock()
	p.path = created
	p.mu.Unlock()
	if exists {
		// Adopt it: our data, then watch it (the next step does both).
		if _, err := p.c.Set(ctx, created, data, -1); err != nil && !errors.Is(err, zk.ErrNoNode) {
			return nil, 0, err
		}
	}
	p.markReady()
	ok, _, ch, err := p.c.ExistsW(ctx, created)
	if err != nil {
		return nil, 0, err
	}
	if !ok {
		return closedEvents, gen, nil // gone already: go round again
	}
	return ch, gen, nil
}

var closedEvents = func() chan zk.Event {
	ch := make(chan zk.Event)
	close(ch)
	return ch
}()

func (p *Persistent) markReady() {
	select {
	case <-p.ready:
	default:
		close(p.ready)
	}
}

// checkOwner logs an ephemeral node that is not ours (it is left by our
// previous session, or made by someone else) or a kind mismatch.
func (p *Persistent) checkOwner(path string, st *zk.Stat) {
	eph := p.flags == zk.FlagEphemeral || p.flags == zk.FlagEphemeralSequential
	if eph != (st.EphemeralOwner != 0) {
		p.c.Logger().Warn("persistent node: existing node's kind differs from the requested one", "path", path)
	}
}

// create makes the node: at base the first time (sequential and protected
// as asked), at its known name without the sequential flag afterwards. It
// reports exists when the node was already there.
func (p *Persistent) create(ctx context.Context, known string, data []byte) (string, bool, error) {
	flags := p.flags
	path := p.base
	if known != "" {
		path = known
		switch flags {
		case zk.FlagSequence:
			flags = zk.FlagPersistent
		case zk.FlagEphemeralSequential:
			flags = zk.FlagEphemeral
		case zk.FlagPersistentSequentialWithTTL:
			flags = zk.FlagTTL
		}
	}
	var created string
	var err error
	for tries := 0; ; tries++ {
		switch {
		case flags == zk.FlagTTL || flags == zk.FlagPersistentSequentialWithTTL:
			created, err = p.c.CreateTTL(ctx, path, data, flags, nil, p.cfg.ttl)
		case p.cfg.protected && known == "":
			created, err = p.c.CreateProtected(ctx, path, data, flags, nil)
		case p.cfg.noParents:
			created, err = p.c.Create(ctx, path, data, flags, nil)
		default:
			created, err = p.c.CreateWithParents(ctx, path, data, flags, nil)
		}
		if errors.Is(err, zk.ErrNoNode) && !p.cfg.noParents && tries < 3 {
			parent, _ := recipes.SplitPath(path)
			if err := p.c.EnsurePath(ctx, parent); err != nil {
				return "", false, err
			}
			continue
		}
		break
	}
	sequential := flags == zk.FlagSequence || flags == zk.FlagEphemeralSequential || flags == zk.FlagPersistentSequentialWithTTL
	if errors.Is(err, zk.ErrNodeExists) && !sequential && !(p.cfg.protected && known == "") {
		return path, true, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("node: create %s: %w", path, err)
	}
	return created, false, nil
}
