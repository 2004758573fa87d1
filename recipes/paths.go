package recipes

import (
	"context"
	"errors"
	"strings"

	"github.com/go-zookeeper/zk"
)

// EnsurePath creates path and every missing parent. New nodes are container
// nodes (which the server deletes once they have had children and are
// empty again), or persistent nodes on a server without containers
// (answering Unimplemented). Existing nodes are left as they are.
func (c *Client) EnsurePath(ctx context.Context, path string) error {
	fp, err := c.prepare(ctx, path)
	if err != nil {
		return err
	}
	return c.ensureFull(ctx, fp, true)
}

// ensureFull creates the server path fp and its parents, checking existence
// first so that an existing node under a parent we may not write to is no
// error.
func (c *Client) ensureFull(ctx context.Context, fp string, containers bool) error {
	if fp == "/" {
		return nil
	}
	ok, err := c.existsFull(ctx, fp)
	if err != nil || ok {
		return err
	}
	segs := strings.Split(fp[1:], "/")
	p := ""
	for _, s := range segs {
		p += "/" + s
		ok, err := c.existsFull(ctx, p)
		if err != nil {
			return err
		}
		if ok {
			continue
		}
		if err := c.createParent(ctx, p, containers); err != nil && !errors.Is(err, zk.ErrNodeExists) {
			return err
		}
	}
	return nil
}

func (c *Client) existsFull(ctx context.Context, fp string) (bool, error) {
	var ok bool
	err := c.retry(ctx, "exists", false, func(conn *zk.Conn, _ bool) error {
		var err error
		ok, _, err = conn.Exists(fp)
		return err
	}, nil)
	if err != nil {
		return false, err // an abandoned attempt may still write ok
	}
	return ok, nil
}

// createParent creates one structural node, as a container when asked and
// the server has them.
func (c *Client) createParent(ctx context.Context, fp string, container bool) error {
	acl := c.aclFor(fp, nil)
	if container && c.containers.Load() != 2 {
		err := c.retry(ctx, "create container", true, func(conn *zk.Conn, _ bool) error {
			_, err := conn.CreateContainer(fp, nil, zk.FlagContainer, acl)
			return err
		}, nil)
		if !errors.Is(err, ErrUnimplemented) {
			if err == nil {
				c.containers.Store(1)
			}
			return err
		}
		c.log.Info("server has no container nodes; creating persistent parents")
		c.containers.Store(2)
	}
	_, err := c.create(ctx, fp, nil, zk.FlagPersistent, acl)
	return err
}

// CreateWithParents is Create that first creates missing parents as
// EnsurePath does (containers where the server has them).
func (c *Client) CreateWithParents(ctx context.Context, path string, data []byte, flags int32, acl []zk.ACL) (string, error) {
	fp, err := c.prepare(ctx, path)
	if err != nil {
		return "", err
	}
	return c.createWithParentsFull(ctx, fp, data, flags, acl)
}

func (c *Client) createWithParentsFull(ctx context.Context, fp string, data []byte, flags int32, acl []zk.ACL) (string, error) {
	for tries := 0; ; tries++ {
		created, err := c.create(ctx, fp, data, flags, acl)
		if err == nil {
			return c.short(created), nil
		}
		// A container parent can vanish between ensure and create; a few
		// rounds settle it.
		if !errors.Is(err, zk.ErrNoNode) || tries == 3 {
			return "", err
		}
		parent, _ := SplitPath(fp)
		if err := c.ensureFull(ctx, parent, true); err != nil {
			return "", err
		}
	}
}

// DeleteAll deletes path and everything under it. A missing node is no
// error. For "/" it deletes everything under the namespace (or under the
// root without one) but not the namespace node itself. Children created
// concurrently are deleted too, within a few rounds.
func (c *Client) DeleteAll(ctx context.Context, path string) error {
	fp, err := c.prepare(ctx, path)
	if err != nil {
		return err
	}
	if path == "/" {
		kids, err := c.childrenFull(ctx, fp)
		if err != nil {
			return err
		}
		for _, k := range kids {
			if fp == "/" && k == "zookeeper" {
				continue
			}
			if err := c.deleteTree(ctx, JoinPath(fp, k)); err != nil {
				return err
			}
		}
		return nil
	}
	return c.deleteTree(ctx, fp)
}

func (c *Client) childrenFull(ctx context.Context, fp string) ([]string, error) {
	var kids []string
	err := c.retry(ctx, "children", false, func(conn *zk.Conn, _ bool) error {
		var err error
		kids, _, err = conn.Children(fp)
		return err
	}, nil)
	if err != nil {
		return nil, err // an abandoned attempt may still write kids
	}
	return kids, nil
}

func (c *Client) deleteTree(ctx context.Context, fp string) error {
	for tries := 0; ; tries++ {
		kids, err := c.childrenFull(ctx, fp)
		if errors.Is(err, zk.ErrNoNode) {
			return nil
		}
		if err != nil {
			return err
		}
		for _, k := range kids {
			if err := c.deleteTree(ctx, JoinPath(fp, k)); err != nil {
				return err
			}
		}
		err = c.deleteFull(ctx, fp, -1)
		switch {
		case err == nil, errors.Is(err, zk.ErrNoNode):
			return nil
		case errors.Is(err, zk.ErrNotEmpty) && tries < 5:
			continue
		default:
			return err
		}
	}
}
