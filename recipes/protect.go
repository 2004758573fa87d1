package recipes

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/go-zookeeper/zk"
	"github.com/google/uuid"
)

// Protected names are Curator's: the last name of the path is prefixed with
// "_c_", a canonical (36 character) UUID and "-", so
// /locks/lock- becomes /locks/_c_53345f98-9423-4e0c-a7b5-9f819e3ec2e1-lock-0000000007.
// zkit and Curator recipes can therefore share nodes.
const (
	protectedPrefix    = "_c_"
	protectedPrefixLen = len(protectedPrefix) + 36 + 1
)

// ProtectedName returns name with the protected prefix for id (a UUID).
func ProtectedName(name, id string) string {
	return protectedPrefix + id + "-" + name
}

// IsProtected reports whether the node name carries a protected prefix.
func IsProtected(name string) bool {
	_, ok := ProtectedID(name)
	return ok
}

// ProtectedID returns the UUID of a protected node name.
func ProtectedID(name string) (string, bool) {
	if len(name) <= protectedPrefixLen || !strings.HasPrefix(name, protectedPrefix) || name[protectedPrefixLen-1] != '-' {
		return "", false
	}
	id := name[len(protectedPrefix) : protectedPrefixLen-1]
	if _, err := uuid.Parse(id); err != nil || len(id) != 36 {
		return "", false
	}
	return id, true
}

// NormalizeProtected strips a protected prefix from a node name, so
// "_c_<uuid>-lock-0000000007" gives "lock-0000000007". Other names are
// returned unchanged.
func NormalizeProtected(name string) string {
	if IsProtected(name) {
		return name[protectedPrefixLen:]
	}
	return name
}

// CreateProtected creates a node whose name carries a fresh UUID so that,
// after a connection loss during the create, the client can find out
// whether the create was applied: before retrying, it lists the parent and
// takes a child with its UUID as its own. This is how to create
// ephemeral-sequential nodes (flags zk.FlagEphemeralSequential) without
// leaving orphans behind; any flags may be used.
//
// For ephemeral nodes a found node must be owned by the current session.
// One left by an earlier session of this client (the client may abandon a
// session that the server still keeps, see Lost) is deleted and the create
// is retried under a new UUID, as Curator does since CURATOR-498.
//
// If the create fails after an attempt whose outcome is unknown (ctx ended,
// the retry policy gave up), a background task owned by the client waits for
// that attempt to finish and deletes any node it created. Missing parents
// are created as EnsurePath does.
//
// A create whose reply was lost may still be pending in the ensemble and
// commit later, even after a leader change; so every search for a node by
// its protected id (before a retry, and in the background cleanup) first
// makes a write on the session (see settle) that commits only after the
// earlier ones are decided.
func (c *Client) CreateProtected(ctx context.Context, path string, data []byte, flags int32, acl []zk.ACL) (string, error) {
	fp, err := c.prepare(ctx, path)
	if err != nil {
		return "", err
	}
	if fp == "/" {
		return "", ErrBadPath
	}
	parent, name := SplitPath(fp)
	ephemeral := flags == zk.FlagEphemeral || flags == zk.FlagEphemeralSequential
	ids := []string{uuid.NewString()}
	var created string
	var last <-chan struct{}
	err = c.retry(ctx, "create protected", true, func(conn *zk.Conn, maybeApplied bool) error {
		// Once per attempt: an attempt whose parent creation was cut
		// short by a connection loss must make the parents again.
		parentsMade := false
		if maybeApplied {
			if err := settle(conn, parent); err != nil {
				return err
			}
			found, err := findProtected(conn, parent, ids[len(ids)-1])
			if err != nil && !errors.Is(err, zk.ErrNoNode) {
				return err
			}
			if found != "" {
				if !ephemeral {
					created = found
					return nil
				}
				ok, st, err := conn.Exists(found)
				if err != nil {
					return err
				}
				if ok && st.EphemeralOwner == conn.SessionID() {
					created = found
					return nil
				}
				if ok {
					if err := conn.Delete(found, -1); err != nil && !errors.Is(err, zk.ErrNoNode) {
						return err
					}
				}
				ids = append(ids, uuid.NewString())
			}
		}
		target := JoinPath(parent, ProtectedName(name, ids[len(ids)-1]))
		p, err := conn.Create(target, data, flags, c.aclFor(target, acl))
		if errors.Is(err, zk.ErrNoNode) && !parentsMade {
			parentsMade = true
			if err := ensureParents(conn, parent, c); err != nil {
				return err
			}
			p, err = conn.Create(target, data, flags, c.aclFor(target, acl))
		}
		if err != nil {
			return err
		}
		created = p
		return nil
	}, &last)
	if err != nil {
		if isRetryable(err) || errors.Is(err, ErrRetriesExhausted) || errors.Is(err, context.Canceled) ||
			errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrAmbiguous) {
			c.cleanupProtected(parent, &ids, last)
		}
		return "", err
	}
	return c.short(created), nil
}

// ensureParents creates missing parents of a protected node on conn, within
// the current attempt.
func ensureParents(conn *zk.Conn, fp string, c *Client) error {
	if fp == "/" {
		return nil
	}
	p := ""
	for _, s := range strings.Split(fp[1:], "/") {
		p += "/" + s
		ok, _, err := conn.Exists(p)
		if err != nil {
			return err
		}
		if ok {
			continue
		}
		if c.containers.Load() != 2 {
			_, err = conn.CreateContainer(p, nil, zk.FlagContainer, c.aclFor(p, nil))
			if errors.Is(normalize(err), ErrUnimplemented) {
				c.containers.Store(2)
			} else if err == nil || errors.Is(err, zk.ErrNodeExists) {
				continue
			} else {
				return err
			}
		}
		if _, err := conn.Create(p, nil, zk.FlagPersistent, c.aclFor(p, nil)); err != nil && !errors.Is(err, zk.ErrNodeExists) {
			return err
		}
	}
	return nil
}

// deleteProtected deletes the child of parent carrying id, if there is one.
func (c *Client) deleteProtected(ctx context.Context, parent, id string) error {
	var found string
	err := c.retry(ctx, "find protected", false, func(conn *zk.Conn, _ bool) error {
		if err := settle(conn, parent); err != nil {
			return err
		}
		var err error
		found, err = findProtected(conn, parent, id)
		return err
	}, nil)
	if errors.Is(err, zk.ErrNoNode) || (err == nil && found == "") {
		return nil
	}
	if err != nil {
		return err
	}
	err = c.deleteFull(ctx, found, -1)
	if err == nil || errors.Is(err, zk.ErrNoNode) {
		c.log.Info("deleted orphaned protected node", "path", found)
		return nil
	}
	return err
}

// settle returns once every write this session sent before it is decided,
// so that a following findProtected sees a create whose reply was lost if,
// and only if, that create was applied.
//
// A lost reply does not mean a decided create: the create may sit in the
// leader's log, proposed but not yet committed, and commit later, even
// after a leader change (a new leader commits what its log holds, and a
// partitioned old leader can win the next election once healed). A read
// does not wait for it: the member now serving the session (possibly that
// very leader, still cut off) answers from what it has applied, and a
// member serving a later epoch is the only one sure to have decided it. A
// write does wait: writes commit in log order, so the write below commits
// only after every earlier proposal of this session is committed or
// dropped; while the leader is cut off it fails with a connection loss and
// is retried on the next connection. Sync is not enough: a sync asked of
// the leader itself is answered at once by zkit (ZooKeeper holds it behind
// the session's own pending writes, but only those that reached it).
//
// The write is a multi holding one version check of the parent, which
// changes nothing; it takes a zxid even when it fails (missing parent, no
// READ permission), so only errors meaning "no answer" are returned.
func settle(conn *zk.Conn, parent string) error {
	_, err := conn.Multi(&zk.CheckVersionRequest{Path: parent, Version: -1})
	if err = normalize(err); err != nil && isRetryable(err) {
		return err
	}
	return nil
}

// findProtected returns the full path of the child of parent carrying id.
func findProtected(conn *zk.Conn, parent, id string) (string, error) {
	kids, _, err := conn.Children(parent)
	if err != nil {
		return "", err
	}
	prefix := protectedPrefix + id + "-"
	for _, k := range kids {
		if strings.HasPrefix(k, prefix) {
			return JoinPath(parent, k), nil
		}
	}
	return "", nil
}

// waitConnected waits until the client reports a connected state, and
// reports false if it closes first. The cleanup starts when its create
// failed, typically with the connection gone; a request made then would
// wait in go-zk's queue and go out the moment the connection is back,
// racing go-zk's re-registration of watches (go-zk v1.0.4's data race on
// Conn.lastZxid).
func (c *Client) waitConnected() bool {
	for {
		st, ch := c.stateChange()
		if st.IsConnected() {
			return true
		}
		select {
		case <-ch:
		case <-c.closing:
			return false
		}
	}
}

// cleanupProtected deletes, in the background, nodes that a failed
// protected create may have left. It first waits for the last attempt to
// finish, so a create still on its way cannot land after the search; only
// then does it read idsp, which that attempt may still extend.
func (c *Client) cleanupProtected(parent string, idsp *[]string, last <-chan struct{}) {
	c.goTracked(func() {
		if last != nil {
			select {
			case <-last:
			case <-c.closing:
				return
			}
		}
		ids := *idsp
		ctx := c.bg
		b := DefaultRetry().NewBackOff()
		for _, id := range ids {
			for {
				if !c.waitConnected() {
					return
				}
				err := c.deleteProtected(ctx, parent, id)
				if err == nil || !(isRetryable(err) || errors.Is(err, ErrRetriesExhausted)) {
					if err != nil {
						c.log.Warn("cannot delete orphaned protected node", "parent", parent, "id", id, "err", err)
					}
					break
				}
				d := b.NextBackOff()
				if d == backoff.Stop {
					c.log.Warn("gave up deleting orphaned protected node", "parent", parent, "id", id, "err", err)
					break
				}
				t := time.NewTimer(d)
				select {
				case <-t.C:
				case <-c.closing:
					t.Stop()
					return
				}
			}
		}
	})
}
