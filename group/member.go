package group

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/go-zookeeper/zk"
	"github.com/zkit-go/zkit/node"
	"github.com/zkit-go/zkit/recipes"
)

// Errors returned by this package.
var (
	// ErrClosed is returned by calls on a closed Member.
	ErrClosed = errors.New("group: closed")
	// ErrBadArgument is returned for an invalid group path or id.
	ErrBadArgument = errors.New("group: invalid argument")
)

// Member is this process's membership in a group (Curator's GroupMember):
// an ephemeral node <group>/<id> holding this member's data, kept by a
// node.Persistent (so it comes back after a session loss), and a cache of
// the group's children, so Members lists every member with its data.
type Member struct {
	group string
	id    string
	pn    *node.Persistent
	cache *recipes.ChildrenCache

	mu     sync.Mutex // guards closed
	closed bool
}

// NewMember joins group as id with data and returns once both this
// member's node is created and the list of members is loaded, or ctx ends
// (the membership is then given up). Close leaves the group.
func NewMember(ctx context.Context, c *recipes.Client, group, id string, data []byte) (*Member, error) {
	if id == "" || strings.Contains(id, "/") || id == "." || id == ".." {
		return nil, fmt.Errorf("%w: member id %q", ErrBadArgument, id)
	}
	if group == "" || group[0] != '/' {
		return nil, fmt.Errorf("%w: group path %q", ErrBadArgument, group)
	}
	pn, err := node.NewPersistent(c, recipes.JoinPath(group, id), zk.FlagEphemeral, data)
	if err != nil {
		return nil, fmt.Errorf("group: %w", err)
	}
	m := &Member{group: group, id: id, pn: pn, cache: recipes.NewChildrenCache(c, group)}
	if err := pn.Start(); err != nil {
		return nil, fmt.Errorf("group: %w", err)
	}
	if err := m.cache.Start(); err != nil {
		m.Close(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("group: %w", err)
	}
	if err := pn.WaitReady(ctx); err != nil {
		m.Close(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("group: join %s: %w", group, err)
	}
	if err := m.cache.WaitReady(ctx); err != nil {
		m.Close(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("group: load %s: %w", group, err)
	}
	return m, nil
}

// ID returns this member's id.
func (m *Member) ID() string { return m.id }

// Path returns this member's node path.
func (m *Member) Path() string { return recipes.JoinPath(m.group, m.id) }

// SetData changes this member's data (Curator's setThisData).
func (m *Member) SetData(ctx context.Context, data []byte) error {
	m.mu.Lock()
	closed := m.closed
	m.mu.Unlock()
	if closed {
		return ErrClosed
	}
	if err := m.pn.SetData(ctx, data); err != nil {
		return fmt.Errorf("group: %w", err)
	}
	return nil
}

// Members returns the group's members by id with their data, as last read
// (Curator's getCurrentMembers). This member is always included, with the
// data it was last given, even before its node shows in the cache.
func (m *Member) Members() map[string][]byte {
	out := map[string][]byte{}
	for _, n := range m.cache.Snapshot() {
		_, id := recipes.SplitPath(n.Path)
		out[id] = n.Data
	}
	if _, ok := out[m.id]; !ok {
		out[m.id] = m.pn.Data()
	}
	return out
}

// Listen registers fn for changes of the member list (the cache's events:
// NodeAdded, NodeUpdated, NodeRemoved, with the member's node; the path's
// last element is the member id). The returned function removes fn.
func (m *Member) Listen(fn func(recipes.CacheEvent)) (remove func()) {
	return m.cache.Listen(fn)
}

// Close leaves the group: it stops the cache and deletes this member's
// node (retrying until ctx ends; the node goes with the session anyway).
// Close is idempotent.
func (m *Member) Close(ctx context.Context) error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	m.mu.Unlock()
	cerr := m.cache.Close(ctx)
	if err := m.pn.Close(ctx); err != nil {
		return fmt.Errorf("group: leave %s: %w", m.group, err)
	}
	return cerr
}
