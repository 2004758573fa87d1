package watch

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/zkit-go/zkit/internal/proto"
)

// Watcher receives watch events. A client connection implements it; the
// Watcher value itself (normally a pointer) identifies the watch owner, so it
// must be comparable and stable for the connection's life.
type Watcher interface {
	// Notify queues ev for delivery. It must not block and must not call
	// back into the Manager or the data tree: it runs while the data tree
	// holds its lock, which is what orders the event before any later
	// read reply.
	//
	// acl is the ACL of the node the event is about (for
	// NodeChildrenChanged, the parent's). As ZooKeeper 3.8.4+ does
	// (ServerCnxn.process, the CVE-2024-23944 fix), the connection drops
	// the event unless its auth ids have READ on acl; a nil or empty acl
	// (events fired by setWatches) means no check.
	Notify(ev proto.WatcherEvent, acl []proto.ACL)
	// SessionID names the owner in the wchc and wchp dumps.
	SessionID() int64
}

// Staler is optionally implemented by a Watcher whose connection can close.
// Add ignores a watcher that reports Stale, so a read racing with the
// connection's close cannot leave a watch behind after RemoveWatcher (the
// connection must become stale before it calls RemoveWatcher).
type Staler interface {
	Stale() bool
}

// Mode is a watch mode (server WatcherMode).
type Mode uint8

// Watch modes. ModeAny is not a mode a watch has; it selects every mode in
// Contains and Remove.
const (
	ModeStandard            Mode = 1 << iota // fires once, then is removed
	ModePersistent                           // fires for the path until removed
	ModePersistentRecursive                  // fires for the path and every descendant
	ModeAny                 Mode = ModeStandard | ModePersistent | ModePersistentRecursive
)

func (m Mode) String() string {
	switch m {
	case ModeStandard:
		return "standard"
	case ModePersistent:
		return "persistent"
	case ModePersistentRecursive:
		return "persistentRecursive"
	case ModeAny:
		return "any"
	}
	return fmt.Sprintf("mode(%d)", uint8(m))
}

// ErrBadMode reports an addWatch mode that is neither PERSISTENT nor
// PERSISTENT_RECURSIVE.
var ErrBadMode = errors.New("watch: unsupported addWatch mode")

// ModeFromAddWatch converts an AddWatchRequest mode (AddWatchModes) into a Mode.
func ModeFromAddWatch(mode int32) (Mode, error) {
	switch mode {
	case proto.AddWatchPersistent:
		return ModePersistent, nil
	case proto.AddWatchPersistentRecursive:
		return ModePersistentRecursive, nil
	}
	return 0, fmt.Errorf("%w: %d", ErrBadMode, mode)
}

// Manager holds the watches of one kind (the data tree has one for data
// watches and one for child watches). It is safe for concurrent use.
type Manager struct {
	// mu guards table, byWatcher and recursive.
	mu sync.Mutex
	// table maps a watched path to its watchers and, per watcher, the set
	// of modes (a bit set of Mode) that watcher holds on the path.
	table map[string]map[Watcher]Mode
	// byWatcher maps a watcher to the paths it watches.
	byWatcher map[Watcher]map[string]struct{}
	// recursive counts (watcher, path) pairs holding ModePersistentRecursive;
	// while it is zero Trigger looks at the event path only.
	recursive int
}

// NewManager returns an empty Manager.
func NewManager() *Manager {
	return &Manager{
		table:     make(map[string]map[Watcher]Mode),
		byWatcher: make(map[Watcher]map[string]struct{}),
	}
}

// Add registers w on path with mode (one of ModeStandard, ModePersistent,
// ModePersistentRecursive). A watcher can hold several modes on one path;
// each mode fires by its own rules, but one trigger notifies a watcher once.
// It reports whether the (path, w) pair is new.
func (m *Manager) Add(path string, w Watcher, mode Mode) bool {
	if s, ok := w.(Staler); ok && s.Stale() {
		return false
	}
	mode &= ModeAny
	if mode == 0 {
		return false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	ws := m.table[path]
	if ws == nil {
		ws = make(map[Watcher]Mode, 1)
		m.table[path] = ws
	}
	old := ws[w]
	ws[w] = old | mode
	if old&ModePersistentRecursive == 0 && mode&ModePersistentRecursive != 0 {
		m.recursive++
	}
	paths := m.byWatcher[w]
	if paths == nil {
		paths = make(map[string]struct{})
		m.byWatcher[w] = paths
	}
	if _, ok := paths[path]; ok {
		return false
	}
	paths[path] = struct{}{}
	return true
}

// Triggered is the set of watchers one Trigger matched, suppressed ones
// included. It is small in practice, so it is a slice with linear lookup.
type Triggered []Watcher

// Contains reports whether w is in t.
func (t Triggered) Contains(w Watcher) bool {
	for _, x := range t {
		if x == w {
			return true
		}
	}
	return false
}

// Trigger fires the watches an event of type typ on path matches, the way
// ZooKeeper's WatchManager.triggerWatch does:
//   - standard and persistent watches on path itself fire; standard ones are
//     removed (even for a suppressed watcher);
//   - persistent-recursive watches on path or any ancestor fire, except for
//     NodeChildrenChanged, which they never receive;
//   - each watcher is notified once, with the event path being path;
//   - watchers in suppress are matched (and their standard watches
//     consumed) but not notified.
//
// acl is passed to every Notify (see Watcher).
//
// Notify is called after the Manager's lock is released. Trigger returns
// the matched watchers (nil if none).
func (m *Manager) Trigger(path string, typ proto.EventType, acl []proto.ACL, suppress Triggered) Triggered {
	var hit Triggered
	m.mu.Lock()
	walkParents := m.recursive > 0
	atParent := false
	for p := path; ; {
		if ws := m.table[p]; len(ws) > 0 {
			for w, modes := range ws {
				fire := false
				if modes&ModePersistentRecursive != 0 && typ != proto.EventNodeChildrenChanged {
					fire = true
				}
				if !atParent && modes&(ModeStandard|ModePersistent) != 0 {
					fire = true
					if modes&ModeStandard != 0 {
						modes &^= ModeStandard
						if modes == 0 {
							delete(ws, w)
							m.dropPath(w, p)
						} else {
							ws[w] = modes
						}
					}
				}
				if fire && (!atParent || !hit.Contains(w)) {
					hit = append(hit, w)
				}
			}
			if len(ws) == 0 {
				delete(m.table, p)
			}
		}
		if !walkParents || p == "/" || p == "" {
			break
		}
		p = parent(p)
		atParent = true
	}
	m.mu.Unlock()
	if len(hit) == 0 {
		return nil
	}
	ev := proto.WatcherEvent{Type: typ, State: proto.StateSyncConnected, Path: path}
	for _, w := range hit {
		if suppress.Contains(w) {
			continue
		}
		w.Notify(ev, acl)
	}
	return hit
}

// parent returns the parent of an absolute path ("/a" → "/", "/a/b" → "/a").
func parent(p string) string {
	i := strings.LastIndexByte(p, '/')
	if i <= 0 {
		return "/"
	}
	return p[:i]
}

// dropPath forgets path in w's path set. m.mu must be held.
func (m *Manager) dropPath(w Watcher, path string) {
	if paths := m.byWatcher[w]; paths != nil {
		delete(paths, path)
		if len(paths) == 0 {
			delete(m.byWatcher, w)
		}
	}
}

// RemoveWatcher drops every watch of w (its connection closed).
func (m *Manager) RemoveWatcher(w Watcher) {
	m.mu.Lock()
	defer m.mu.Unlock()
	paths := m.byWatcher[w]
	delete(m.byWatcher, w)
	for p := range paths {
		ws := m.table[p]
		if modes, ok := ws[w]; ok {
			if modes&ModePersistentRecursive != 0 {
				m.recursive--
			}
			delete(ws, w)
			if len(ws) == 0 {
				delete(m.table, p)
			}
		}
	}
}

// Contains reports whether w holds a watch on exactly path with any of the
// modes in mode (ModeAny: any watch at all).
func (m *Manager) Contains(path string, w Watcher, mode Mode) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.table[path][w]&mode != 0
}

// Remove drops the modes in mode (ModeAny: the whole watch) that w holds on
// path, and reports whether anything was removed.
func (m *Manager) Remove(path string, w Watcher, mode Mode) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	ws := m.table[path]
	old := ws[w]
	if old&mode == 0 {
		return false
	}
	left := old &^ mode
	if old&ModePersistentRecursive != 0 && left&ModePersistentRecursive == 0 {
		m.recursive--
	}
	if left == 0 {
		delete(ws, w)
		if len(ws) == 0 {
			delete(m.table, path)
		}
		m.dropPath(w, path)
	} else {
		ws[w] = left
	}
	return true
}

// Size returns the number of (path, watcher) pairs, as WatchManager.size.
func (m *Manager) Size() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, ws := range m.table {
		n += len(ws)
	}
	return n
}

// RecursiveCount returns the number of persistent-recursive watches.
func (m *Manager) RecursiveCount() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.recursive
}

// Summary is the content of the wchs four-letter word:
// "<Connections> connections watching <Paths> paths\nTotal watches:<Total>".
type Summary struct {
	Connections int // watchers with at least one watch
	Paths       int // watched paths
	Total       int // (watcher, path) pairs
}

// Summary counts the watches.
func (m *Manager) Summary() Summary {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := Summary{Connections: len(m.byWatcher), Paths: len(m.table)}
	for _, paths := range m.byWatcher {
		s.Total += len(paths)
	}
	return s
}

// BySession returns, per session id, the sorted paths its watchers watch
// (the wchc dump).
func (m *Manager) BySession() map[int64][]string {
	m.mu.Lock()
	out := make(map[int64][]string, len(m.byWatcher))
	for w, paths := range m.byWatcher {
		id := w.SessionID()
		for p := range paths {
			out[id] = append(out[id], p)
		}
	}
	m.mu.Unlock()
	for id, ps := range out {
		slices.Sort(ps)
		out[id] = slices.Compact(ps)
	}
	return out
}

// ByPath returns, per watched path, the sorted session ids watching it (the
// wchp dump).
func (m *Manager) ByPath() map[string][]int64 {
	m.mu.Lock()
	out := make(map[string][]int64, len(m.table))
	for p, ws := range m.table {
		ids := make([]int64, 0, len(ws))
		for w := range ws {
			ids = append(ids, w.SessionID())
		}
		out[p] = ids
	}
	m.mu.Unlock()
	for p, ids := range out {
		slices.Sort(ids)
		out[p] = slices.Compact(ids)
	}
	return out
}
