package recipes

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/go-zookeeper/zk"
)

// validatePath checks a client path: absolute, no empty, "." or ".."
// segments, no trailing slash (except "/"), no NUL.
func validatePath(p string) error {
	if p == "" || p[0] != '/' {
		return fmt.Errorf("%w: %q is not absolute", ErrBadPath, p)
	}
	if p == "/" {
		return nil
	}
	if strings.HasSuffix(p, "/") || strings.ContainsRune(p, 0) {
		return fmt.Errorf("%w: %q", ErrBadPath, p)
	}
	for _, seg := range strings.Split(p[1:], "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("%w: %q", ErrBadPath, p)
		}
	}
	return nil
}

// full maps a client path to the server's path (applies the namespace).
func (c *Client) full(p string) (string, error) {
	if err := validatePath(p); err != nil {
		return "", err
	}
	if c.ns == "" {
		return p, nil
	}
	if p == "/" {
		return c.ns, nil
	}
	return c.ns + p, nil
}

// short maps a server path back to a client path (strips the namespace).
func (c *Client) short(p string) string {
	if c.ns == "" || !strings.HasPrefix(p, c.ns) {
		return p
	}
	if len(p) == len(c.ns) {
		return "/"
	}
	if p[len(c.ns)] != '/' {
		return p
	}
	return p[len(c.ns):]
}

// JoinPath joins a parent path and a child name.
func JoinPath(parent, name string) string {
	if parent == "/" {
		return "/" + name
	}
	return parent + "/" + name
}

// SplitPath returns the parent path and the last name of p ("/a/b" gives
// "/a" and "b"; "/a" gives "/" and "a").
func SplitPath(p string) (parent, name string) {
	i := strings.LastIndexByte(p, '/')
	if i <= 0 {
		return "/", p[i+1:]
	}
	return p[:i], p[i+1:]
}

// prepare applies the namespace and, on first use, creates the namespace
// node.
func (c *Client) prepare(ctx context.Context, p string) (string, error) {
	fp, err := c.full(p)
	if err != nil {
		return "", err
	}
	if c.ns == "" {
		return fp, nil
	}
	c.mu.Lock()
	ready := c.nsReady
	c.mu.Unlock()
	if ready {
		return fp, nil
	}
	if err := c.ensureFull(ctx, c.ns, false); err != nil {
		return "", fmt.Errorf("recipes: creating namespace %s: %w", c.ns, err)
	}
	c.mu.Lock()
	c.nsReady = true
	c.mu.Unlock()
	return fp, nil
}

// Get returns the data and stat of the node at path.
func (c *Client) Get(ctx context.Context, path string) ([]byte, *zk.Stat, error) {
	fp, err := c.prepare(ctx, path)
	if err != nil {
		return nil, nil, err
	}
	var data []byte
	var st *zk.Stat
	err = c.retry(ctx, "get", false, func(conn *zk.Conn, _ bool) error {
		var err error
		data, st, err = conn.Get(fp)
		return err
	}, nil)
	if err != nil {
		return nil, nil, err
	}
	return data, st, nil
}

// GetW is Get that also sets a one-shot data watch. See Watcher for a
// watch that stays armed.
func (c *Client) GetW(ctx context.Context, path string) ([]byte, *zk.Stat, <-chan zk.Event, error) {
	fp, err := c.prepare(ctx, path)
	if err != nil {
		return nil, nil, nil, err
	}
	var data []byte
	var st *zk.Stat
	var ch <-chan zk.Event
	err = c.retry(ctx, "getw", false, func(conn *zk.Conn, _ bool) error {
		var err error
		data, st, ch, err = conn.GetW(fp)
		return err
	}, nil)
	if err != nil {
		return nil, nil, nil, err
	}
	return data, st, c.watchChan(ch), nil
}

// Children returns the names of the children of path, sorted as the server
// sends them (unsorted).
func (c *Client) Children(ctx context.Context, path string) ([]string, *zk.Stat, error) {
	fp, err := c.prepare(ctx, path)
	if err != nil {
		return nil, nil, err
	}
	var kids []string
	var st *zk.Stat
	err = c.retry(ctx, "children", false, func(conn *zk.Conn, _ bool) error {
		var err error
		kids, st, err = conn.Children(fp)
		return err
	}, nil)
	if err != nil {
		return nil, nil, err
	}
	return kids, st, nil
}

// ChildrenW is Children that also sets a one-shot child watch.
func (c *Client) ChildrenW(ctx context.Context, path string) ([]string, *zk.Stat, <-chan zk.Event, error) {
	fp, err := c.prepare(ctx, path)
	if err != nil {
		return nil, nil, nil, err
	}
	var kids []string
	var st *zk.Stat
	var ch <-chan zk.Event
	err = c.retry(ctx, "childrenw", false, func(conn *zk.Conn, _ bool) error {
		var err error
		kids, st, ch, err = conn.ChildrenW(fp)
		return err
	}, nil)
	if err != nil {
		return nil, nil, nil, err
	}
	return kids, st, c.watchChan(ch), nil
}

// Exists reports whether path exists, with its stat (nil when it does not).
func (c *Client) Exists(ctx context.Context, path string) (bool, *zk.Stat, error) {
	fp, err := c.prepare(ctx, path)
	if err != nil {
		return false, nil, err
	}
	var ok bool
	var st *zk.Stat
	err = c.retry(ctx, "exists", false, func(conn *zk.Conn, _ bool) error {
		var err error
		ok, st, err = conn.Exists(fp)
		return err
	}, nil)
	if err != nil || !ok {
		return false, nil, err
	}
	return true, st, nil
}

// ExistsW is Exists that also sets a one-shot watch: for creation when the
// node does not exist, for data changes and deletion when it does.
func (c *Client) ExistsW(ctx context.Context, path string) (bool, *zk.Stat, <-chan zk.Event, error) {
	fp, err := c.prepare(ctx, path)
	if err != nil {
		return false, nil, nil, err
	}
	var ok bool
	var st *zk.Stat
	var ch <-chan zk.Event
	err = c.retry(ctx, "existsw", false, func(conn *zk.Conn, _ bool) error {
		var err error
		ok, st, ch, err = conn.ExistsW(fp)
		return err
	}, nil)
	if err != nil {
		return false, nil, nil, err
	}
	if !ok {
		st = nil
	}
	return ok, st, c.watchChan(ch), nil
}

// Create creates a node; flags are zk.Flag* values; a nil acl means the
// default ACL. It returns the created path (with the sequence number for
// sequential nodes).
//
// After a connection loss Create is retried. If the retry finds the node
// already there, the earlier attempt may have created it: for a
// non-sequential ephemeral node owned by this client's session that is
// taken as success; otherwise the error wraps both ErrAmbiguous and
// zk.ErrNodeExists. A retried sequential create can leave an orphan node
// behind; use CreateProtected for those.
func (c *Client) Create(ctx context.Context, path string, data []byte, flags int32, acl []zk.ACL) (string, error) {
	fp, err := c.prepare(ctx, path)
	if err != nil {
		return "", err
	}
	created, err := c.create(ctx, fp, data, flags, acl)
	if err != nil {
		return "", err
	}
	return c.short(created), nil
}

func (c *Client) create(ctx context.Context, fp string, data []byte, flags int32, acl []zk.ACL) (string, error) {
	acl = c.aclFor(fp, acl)
	ephemeral := flags == zk.FlagEphemeral
	var created string
	err := c.retry(ctx, "create", true, func(conn *zk.Conn, maybeApplied bool) error {
		var err error
		created, err = conn.Create(fp, data, flags, acl)
		if errors.Is(err, zk.ErrNodeExists) && maybeApplied && ephemeral {
			ok, st, err2 := conn.Exists(fp)
			if err2 == nil && ok && st.EphemeralOwner == conn.SessionID() {
				created = fp
				return nil
			}
		}
		return err
	}, nil)
	if err != nil {
		return "", err // an abandoned attempt may still write created
	}
	return created, nil
}

// Set writes data to path if its version matches (-1 matches any).
// A retried Set that fails with zk.ErrBadVersion wraps ErrAmbiguous: the
// earlier attempt may have been the one that bumped the version.
func (c *Client) Set(ctx context.Context, path string, data []byte, version int32) (*zk.Stat, error) {
	fp, err := c.prepare(ctx, path)
	if err != nil {
		return nil, err
	}
	var st *zk.Stat
	err = c.retry(ctx, "set", true, func(conn *zk.Conn, _ bool) error {
		var err error
		st, err = conn.Set(fp, data, version)
		return err
	}, nil)
	if err != nil {
		return nil, err
	}
	return st, nil
}

// Delete deletes path if its version matches (-1 matches any). A retried
// Delete that finds no node returns an error wrapping both ErrAmbiguous and
// zk.ErrNoNode: the earlier attempt has probably deleted it. Callers that
// only want the node gone treat errors.Is(err, zk.ErrNoNode) as success.
func (c *Client) Delete(ctx context.Context, path string, version int32) error {
	fp, err := c.prepare(ctx, path)
	if err != nil {
		return err
	}
	return c.deleteFull(ctx, fp, version)
}

func (c *Client) deleteFull(ctx context.Context, fp string, version int32) error {
	return c.retry(ctx, "delete", true, func(conn *zk.Conn, _ bool) error {
		return conn.Delete(fp, version)
	}, nil)
}

// Sync makes the server this client talks to catch up with the leader for
// path, so that a following read sees every write committed before it.
func (c *Client) Sync(ctx context.Context, path string) (string, error) {
	fp, err := c.prepare(ctx, path)
	if err != nil {
		return "", err
	}
	var out string
	err = c.retry(ctx, "sync", false, func(conn *zk.Conn, _ bool) error {
		var err error
		out, err = conn.Sync(fp)
		return err
	}, nil)
	if err != nil {
		return "", err
	}
	return c.short(out), nil
}

// GetACL returns the ACL of path.
func (c *Client) GetACL(ctx context.Context, path string) ([]zk.ACL, *zk.Stat, error) {
	fp, err := c.prepare(ctx, path)
	if err != nil {
		return nil, nil, err
	}
	var acl []zk.ACL
	var st *zk.Stat
	err = c.retry(ctx, "getacl", false, func(conn *zk.Conn, _ bool) error {
		var err error
		acl, st, err = conn.GetACL(fp)
		return err
	}, nil)
	if err != nil {
		return nil, nil, err
	}
	return acl, st, nil
}

// SetACL sets the ACL of path if its ACL version matches (-1 matches any).
func (c *Client) SetACL(ctx context.Context, path string, acl []zk.ACL, version int32) (*zk.Stat, error) {
	fp, err := c.prepare(ctx, path)
	if err != nil {
		return nil, err
	}
	var st *zk.Stat
	err = c.retry(ctx, "setacl", true, func(conn *zk.Conn, _ bool) error {
		var err error
		st, err = conn.SetACL(fp, acl, version)
		return err
	}, nil)
	if err != nil {
		return nil, err
	}
	return st, nil
}

// Multi runs ops atomically: all of them or none. Each op is one of
// *zk.CreateRequest, *zk.SetDataRequest, *zk.DeleteRequest and
// *zk.CheckVersionRequest, with client paths (the namespace is applied to
// copies; the caller's values are not changed). When the transaction fails
// the error is the first failing op's error (e.g. zk.ErrNoNode) and the
// responses, when the server sent them, carry each op's error. A retried
// Multi that fails wraps ErrAmbiguous: the earlier attempt may have
// committed.
func (c *Client) Multi(ctx context.Context, ops ...any) ([]zk.MultiResponse, error) {
	fixed := make([]any, 0, len(ops))
	fix := func(p string) (string, error) { return c.prepare(ctx, p) }
	for _, op := range ops {
		switch r := op.(type) {
		case *zk.CreateRequest:
			p, err := fix(r.Path)
			if err != nil {
				return nil, err
			}
			cp := *r
			cp.Path = p
			cp.Acl = c.aclFor(p, cp.Acl)
			fixed = append(fixed, &cp)
		case *zk.SetDataRequest:
			p, err := fix(r.Path)
			if err != nil {
				return nil, err
			}
			cp := *r
			cp.Path = p
			fixed = append(fixed, &cp)
		case *zk.DeleteRequest:
			p, err := fix(r.Path)
			if err != nil {
				return nil, err
			}
			cp := *r
			cp.Path = p
			fixed = append(fixed, &cp)
		case *zk.CheckVersionRequest:
			p, err := fix(r.Path)
			if err != nil {
				return nil, err
			}
			cp := *r
			cp.Path = p
			fixed = append(fixed, &cp)
		default:
			return nil, fmt.Errorf("%w: unknown multi op %T", ErrBadOption, op)
		}
	}
	var res []zk.MultiResponse
	err := c.retry(ctx, "multi", true, func(conn *zk.Conn, _ bool) error {
		var err error
		res, err = conn.Multi(fixed...)
		return err
	}, nil)
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		// retry gave up waiting; the attempt may still be writing res.
		return nil, err
	}
	for i := range res {
		if res[i].String != "" {
			res[i].String = c.short(res[i].String)
		}
		res[i].Error = normalize(res[i].Error)
	}
	return res, err
}

// watchChan strips the namespace from the path of a one-shot watch's
// event. Without a namespace the channel is go-zk's own.
func (c *Client) watchChan(ch <-chan zk.Event) <-chan zk.Event {
	if c.ns == "" || ch == nil {
		return ch
	}
	out := make(chan zk.Event, 1)
	if !c.goTracked(func() {
		defer close(out)
		ev, ok := <-ch
		if !ok {
			return
		}
		ev.Path = c.short(ev.Path)
		out <- ev
	}) {
		close(out)
	}
	return out
}
