package watch

import (
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/proto"
)

type recorder struct {
	id     int64
	mu     sync.Mutex
	events []proto.WatcherEvent
	stale  bool
}

func (r *recorder) Notify(ev proto.WatcherEvent, _ []proto.ACL) {
	r.mu.Lock()
	r.events = append(r.events, ev)
	r.mu.Unlock()
}
func (r *recorder) SessionID() int64 { return r.id }
func (r *recorder) Stale() bool      { return r.stale }

func (r *recorder) take() []proto.WatcherEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	ev := r.events
	r.events = nil
	return ev
}

func ev(typ proto.EventType, path string) proto.WatcherEvent {
	return proto.WatcherEvent{Type: typ, State: proto.StateSyncConnected, Path: path}
}

func TestTriggerRules(t *testing.T) {
	types := []proto.EventType{proto.EventNodeCreated, proto.EventNodeDeleted,
		proto.EventNodeDataChanged, proto.EventNodeChildrenChanged}
	tests := []struct {
		name      string
		watchPath string
		mode      Mode
		event     string
		fires     func(proto.EventType) bool
		staysAll  bool // the watch is still there after firing
	}{
		{"standard exact", "/a", ModeStandard, "/a", func(proto.EventType) bool { return true }, false},
		{"standard child path", "/a", ModeStandard, "/a/b", func(proto.EventType) bool { return false }, true},
		{"persistent exact", "/a", ModePersistent, "/a", func(proto.EventType) bool { return true }, true},
		{"persistent child path", "/a", ModePersistent, "/a/b", func(proto.EventType) bool { return false }, true},
		{"recursive exact", "/a", ModePersistentRecursive, "/a",
			func(e proto.EventType) bool { return e != proto.EventNodeChildrenChanged }, true},
		{"recursive descendant", "/a", ModePersistentRecursive, "/a/b/c",
			func(e proto.EventType) bool { return e != proto.EventNodeChildrenChanged }, true},
		{"recursive root", "/", ModePersistentRecursive, "/x",
			func(e proto.EventType) bool { return e != proto.EventNodeChildrenChanged }, true},
		{"recursive sibling prefix", "/a", ModePersistentRecursive, "/ab",
			func(proto.EventType) bool { return false }, true},
	}
	for _, tc := range tests {
		for _, typ := range types {
			t.Run(fmt.Sprintf("%s/%d", tc.name, typ), func(t *testing.T) {
				m := NewManager()
				w := &recorder{id: 1}
				require.True(t, m.Add(tc.watchPath, w, tc.mode))
				hit := m.Trigger(tc.event, typ, nil, nil)
				if tc.fires(typ) {
					assert.Equal(t, []proto.WatcherEvent{ev(typ, tc.event)}, w.take())
					assert.True(t, hit.Contains(w))
				} else {
					assert.Empty(t, w.take())
					assert.Nil(t, hit)
				}
				stays := tc.staysAll || !tc.fires(typ)
				assert.Equal(t, stays, m.Contains(tc.watchPath, w, ModeAny))
				// A second trigger fires again only if the watch stayed.
				m.Trigger(tc.event, typ, nil, nil)
				assert.Equal(t, stays && tc.fires(typ), len(w.take()) == 1)
			})
		}
	}
}

func TestOneEventPerWatcher(t *testing.T) {
	m := NewManager()
	w := &recorder{id: 1}
	m.Add("/", w, ModePersistentRecursive)
	m.Add("/a", w, ModePersistentRecursive)
	m.Add("/a/b", w, ModeStandard)
	m.Add("/a/b", w, ModePersistent)
	other := &recorder{id: 2}
	m.Add("/a", other, ModePersistentRecursive)

	hit := m.Trigger("/a/b", proto.EventNodeDataChanged, nil, nil)
	assert.Len(t, hit, 2)
	assert.Equal(t, []proto.WatcherEvent{ev(proto.EventNodeDataChanged, "/a/b")}, w.take())
	assert.Len(t, other.take(), 1)
	// The standard mode was consumed, the persistent one stays.
	assert.False(t, m.Contains("/a/b", w, ModeStandard))
	assert.True(t, m.Contains("/a/b", w, ModePersistent))
}

func TestStandardAndRecursiveOnSamePath(t *testing.T) {
	m := NewManager()
	w := &recorder{id: 1}
	m.Add("/a", w, ModePersistentRecursive)
	m.Add("/a", w, ModeStandard)
	// NodeChildrenChanged reaches the watcher through its standard watch only.
	m.Trigger("/a", proto.EventNodeChildrenChanged, nil, nil)
	assert.Len(t, w.take(), 1)
	m.Trigger("/a", proto.EventNodeChildrenChanged, nil, nil)
	assert.Empty(t, w.take())
	assert.True(t, m.Contains("/a", w, ModePersistentRecursive))
}

func TestSuppress(t *testing.T) {
	m := NewManager()
	a, b := &recorder{id: 1}, &recorder{id: 2}
	m.Add("/x", a, ModeStandard)
	m.Add("/x", b, ModeStandard)
	hit := m.Trigger("/x", proto.EventNodeDeleted, nil, Triggered{a})
	assert.Len(t, hit, 2)
	assert.Empty(t, a.take())
	assert.Len(t, b.take(), 1)
	// Suppressed standard watches are consumed all the same.
	assert.False(t, m.Contains("/x", a, ModeAny))
	assert.Equal(t, 0, m.Size())
}

func TestRemoveAndCounts(t *testing.T) {
	m := NewManager()
	a, b := &recorder{id: 0x10}, &recorder{id: 0x20}
	m.Add("/p", a, ModeStandard)
	m.Add("/p", a, ModePersistentRecursive)
	m.Add("/q", a, ModePersistent)
	m.Add("/p", b, ModeStandard)
	assert.Equal(t, 1, m.RecursiveCount())
	assert.Equal(t, Summary{Connections: 2, Paths: 2, Total: 3}, m.Summary())
	assert.Equal(t, map[int64][]string{0x10: {"/p", "/q"}, 0x20: {"/p"}}, m.BySession())
	assert.Equal(t, map[string][]int64{"/p": {0x10, 0x20}, "/q": {0x10}}, m.ByPath())
	assert.Equal(t, 3, m.Size())

	assert.False(t, m.Remove("/q", a, ModeStandard))
	assert.True(t, m.Remove("/p", a, ModePersistentRecursive))
	assert.Equal(t, 0, m.RecursiveCount())
	assert.True(t, m.Contains("/p", a, ModeStandard))
	assert.True(t, m.Remove("/p", a, ModeAny))
	assert.False(t, m.Contains("/p", a, ModeAny))
	assert.False(t, m.Remove("/p", a, ModeAny))

	m.Add("/r", b, ModePersistentRecursive)
	m.RemoveWatcher(b)
	assert.Equal(t, 0, m.RecursiveCount())
	assert.Equal(t, Summary{Connections: 1, Paths: 1, Total: 1}, m.Summary())
	m.RemoveWatcher(a)
	assert.Equal(t, Summary{}, m.Summary())
	assert.Empty(t, m.table)
	assert.Empty(t, m.byWatcher)
}

func TestStaleWatcherIgnored(t *testing.T) {
	m := NewManager()
	w := &recorder{id: 1, stale: true}
	assert.False(t, m.Add("/a", w, ModeStandard))
	assert.Equal(t, 0, m.Size())
}

func TestModeFromAddWatch(t *testing.T) {
	mode, err := ModeFromAddWatch(proto.AddWatchPersistent)
	require.NoError(t, err)
	assert.Equal(t, ModePersistent, mode)
	mode, err = ModeFromAddWatch(proto.AddWatchPersistentRecursive)
	require.NoError(t, err)
	assert.Equal(t, ModePersistentRecursive, mode)
	_, err = ModeFromAddWatch(7)
	assert.ErrorIs(t, err, ErrBadMode)
}

func TestConcurrentAddTrigger(t *testing.T) {
	m := NewManager()
	var wg sync.WaitGroup
	ws := make([]*recorder, 8)
	for i := range ws {
		ws[i] = &recorder{id: int64(i)}
		wg.Add(1)
		go func(w *recorder) {
			defer wg.Done()
			for j := 0; j < 200; j++ {
				m.Add("/c", w, ModeStandard)
				m.Contains("/c", w, ModeAny)
			}
		}(ws[i])
	}
	for j := 0; j < 200; j++ {
		m.Trigger("/c", proto.EventNodeDataChanged, nil, nil)
	}
	wg.Wait()
	m.Trigger("/c", proto.EventNodeDataChanged, nil, nil)
	assert.Equal(t, 0, m.Size())
}

func BenchmarkTriggerNoWatches(b *testing.B) {
	m := NewManager()
	m.Add("/other", &recorder{}, ModeStandard)
	b.ReportAllocs()
	for b.Loop() {
		m.Trigger("/a/b/c", proto.EventNodeDataChanged, nil, nil)
	}
}
