package naming

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zkit-go/zkit/recipes"
)

// EventType says what happened to an instance.
type EventType int

const (
	// Added: an instance appeared (registered, or first loaded).
	Added EventType = iota + 1
	// Updated: an instance's data changed.
	Updated
	// Removed: an instance went (unregistered, or its session ended).
	Removed
)

// Event is what ServiceCache listeners receive.
type Event struct {
	Type     EventType
	Instance Instance
}

// ServiceCache keeps the instances of one service in memory (Curator's
// ServiceCache), built on recipes.ChildrenCache.
//
// Suspended and Lost: Instances keeps returning the last list read, which
// may be stale. Reconnected: the list is read again and the differences
// are sent as events.
type ServiceCache struct {
	cc *recipes.ChildrenCache

	mu        sync.Mutex // guards listeners and nextID
	listeners map[int]func(Event)
	nextID    int
}

// Cache returns a started cache of service name's instances. Wait on
// Initialized before trusting an empty list.
func (d *Discovery) Cache(name string) (*ServiceCache, error) {
	if !validName(name) {
		return nil, ErrBadName
	}
	sc := &ServiceCache{cc: recipes.NewChildrenCache(d.c, recipes.JoinPath(d.base, name)), listeners: map[int]func(Event){}}
	sc.cc.Listen(sc.onEvent)
	if err := sc.cc.Start(); err != nil {
		sc.cc.Close(context.Background())
		return nil, err
	}
	return sc, nil
}

func (sc *ServiceCache) onEvent(ev recipes.CacheEvent) {
	var t EventType
	switch ev.Type {
	case recipes.NodeAdded:
		t = Added
	case recipes.NodeUpdated:
		t = Updated
	case recipes.NodeRemoved:
		t = Removed
	default:
		return
	}
	var in Instance
	if json.Unmarshal(ev.Node.Data, &in) != nil {
		return
	}
	sc.mu.Lock()
	fns := make([]func(Event), 0, len(sc.listeners))
	for _, fn := range sc.listeners {
		fns = append(fns, fn)
	}
	sc.mu.Unlock()
	for _, fn := range fns {
		fn(Event{t, in})
	}
}

// Initialized is closed once the instances have been read once.
func (sc *ServiceCache) Initialized() <-chan struct{} { return sc.cc.Initialized() }

// Instances returns the cached instances, sorted by id. Nodes whose data
// is not an Instance are left out.
func (sc *ServiceCache) Instances() []Instance {
	nodes := sc.cc.Snapshot()
	out := make([]Instance, 0, len(nodes))
	for _, n := range nodes {
		var in Instance
		if json.Unmarshal(n.Data, &in) == nil {
			out = append(out, in)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Listen adds fn, called with every change, in order, on the cache's
// goroutine (it must not block for long or call Close).
func (sc *ServiceCache) Listen(fn func(Event)) (remove func()) {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	id := sc.nextID
	sc.nextID++
	sc.listeners[id] = fn
	return func() {
		sc.mu.Lock()
		delete(sc.listeners, id)
		sc.mu.Unlock()
	}
}

// Close stops the cache and waits for its goroutines.
func (sc *ServiceCache) Close(ctx context.Context) error { return sc.cc.Close(ctx) }

// Strategy picks one of a service's instances (Curator's
// ProviderStrategy). instances is non-empty and sorted by id.
type Strategy interface {
	Pick(instances []Instance) Instance
}

// StrategyFunc adapts a function to Strategy.
type StrategyFunc func([]Instance) Instance

// Pick calls f.
func (f StrategyFunc) Pick(in []Instance) Instance { return f(in) }

// Random picks uniformly at random.
func Random() Strategy {
	return StrategyFunc(func(in []Instance) Instance { return in[rand.IntN(len(in))] })
}

// RoundRobin cycles through the instances in id order.
func RoundRobin() Strategy {
	var n atomic.Uint64
	return StrategyFunc(func(in []Instance) Instance {
		return in[(n.Add(1)-1)%uint64(len(in))]
	})
}

// Sticky keeps returning the instance it picked last (by id) while it is
// still there, and asks inner for a new one when it is gone.
func Sticky(inner Strategy) Strategy {
	var (
		mu  sync.Mutex // guards cur
		cur string
	)
	return StrategyFunc(func(in []Instance) Instance {
		mu.Lock()
		defer mu.Unlock()
		for _, i := range in {
			if i.ID == cur {
				return i
			}
		}
		pick := inner.Pick(in)
		cur = pick.ID
		return pick
	})
}

// Provider hands out instances of one service from a ServiceCache with a
// Strategy (Curator's ServiceProvider). Disabled instances are skipped, and
// so are instances rejected by a filter (WithInstanceFilter) or reported
// down (NoteError, under the DownInstancePolicy).
type Provider struct {
	sc       *ServiceCache
	strategy Strategy
	filters  []func(Instance) bool
	policy   DownInstancePolicy
	now      func() time.Time

	mu   sync.Mutex // guards down
	down map[string]*downStatus
}

// DownInstancePolicy says when an instance reported with NoteError is
// skipped (Curator's DownInstancePolicy): once it has ErrorThreshold
// reports, until Timeout has passed since its first report. Then its
// count starts again from zero.
type DownInstancePolicy struct {
	Timeout        time.Duration
	ErrorThreshold int
}

// DefaultDownInstancePolicy is Curator's default: 2 errors, 30 seconds.
var DefaultDownInstancePolicy = DownInstancePolicy{Timeout: 30 * time.Second, ErrorThreshold: 2}

type downStatus struct {
	since  time.Time
	errors int
}

// ProviderOption configures a Provider.
type ProviderOption func(*Provider)

// WithInstanceFilter skips instances for which keep returns false
// (Curator's InstanceFilter). Several filters all apply. keep runs on
// every Instance and Instances call and must be quick.
func WithInstanceFilter(keep func(Instance) bool) ProviderOption {
	return func(p *Provider) { p.filters = append(p.filters, keep) }
}

// WithDownInstancePolicy replaces DefaultDownInstancePolicy. A threshold
// below 1 counts as 1.
func WithDownInstancePolicy(pol DownInstancePolicy) ProviderOption {
	return func(p *Provider) { p.policy = pol }
}

// Provider returns a started provider of service name's instances.
func (d *Discovery) Provider(name string, s Strategy, opts ...ProviderOption) (*Provider, error) {
	p := &Provider{strategy: s, policy: DefaultDownInstancePolicy, now: time.Now, down: map[string]*downStatus{}}
	for _, o := range opts {
		o(p)
	}
	if p.policy.ErrorThreshold < 1 {
		p.policy.ErrorThreshold = 1
	}
	sc, err := d.Cache(name)
	if err != nil {
		return nil, err
	}
	p.sc = sc
	return p, nil
}

// NoteError reports that inst failed (Curator's noteError): after the
// policy's ErrorThreshold reports within its Timeout the instance is
// skipped until that Timeout has passed since the first report.
func (p *Provider) NoteError(inst Instance) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.purgeLocked()
	st := p.down[inst.ID]
	if st == nil {
		st = &downStatus{since: p.now()}
		p.down[inst.ID] = st
	}
	st.errors++
}

// purgeLocked forgets reports older than the policy's timeout.
func (p *Provider) purgeLocked() {
	now := p.now()
	for id, st := range p.down {
		if now.Sub(st.since) >= p.policy.Timeout {
			delete(p.down, id)
		}
	}
}

// isDown reports whether the instance is skipped now.
func (p *Provider) isDown(id string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.purgeLocked()
	st := p.down[id]
	return st != nil && st.errors >= p.policy.ErrorThreshold
}

// Instances returns the enabled instances that pass the filters and are
// not down, sorted by id. (Curator's getAllInstances returns every
// instance; AllInstances does that here.)
func (p *Provider) Instances() []Instance {
	all := p.sc.Instances()
	out := all[:0]
next:
	for _, in := range all {
		if !in.Enabled || p.isDown(in.ID) {
			continue
		}
		for _, keep := range p.filters {
			if !keep(in) {
				continue next
			}
		}
		out = append(out, in)
	}
	return out
}

// AllInstances returns every cached instance, sorted by id, without
// filtering.
func (p *Provider) AllInstances() []Instance { return p.sc.Instances() }

// Instance picks an instance from Instances with the strategy, or returns
// ErrNoInstances.
func (p *Provider) Instance() (Instance, error) {
	in := p.Instances()
	if len(in) == 0 {
		return Instance{}, ErrNoInstances
	}
	return p.strategy.Pick(in), nil
}

// Cache returns the provider's cache, for its events.
func (p *Provider) Cache() *ServiceCache { return p.sc }

// Close stops the provider's cache.
func (p *Provider) Close(ctx context.Context) error { return p.sc.Close(ctx) }
