package naming

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"sort"
	"sync"
	"sync/atomic"

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
func (sc *ServiceCache) Close() error { return sc.cc.Close(context.Background()) }

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
// Strategy (Curator's ServiceProvider). Disabled instances are skipped.
type Provider struct {
	sc       *ServiceCache
	strategy Strategy
}

// Provider returns a started provider of service name's instances.
func (d *Discovery) Provider(name string, s Strategy) (*Provider, error) {
	sc, err := d.Cache(name)
	if err != nil {
		return nil, err
	}
	return &Provider{sc: sc, strategy: s}, nil
}

// Instances returns the enabled instances.
func (p *Provider) Instances() []Instance {
	all := p.sc.Instances()
	out := all[:0]
	for _, in := range all {
		if in.Enabled {
			out = append(out, in)
		}
	}
	return out
}

// Instance picks an enabled instance, or returns ErrNoInstances.
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
func (p *Provider) Close() error { return p.sc.Close() }
