package recipes

import "github.com/go-zookeeper/zk"

// ACLProvider chooses the ACL of each node the client creates without an
// explicit one (Curator's ACLProvider). Give one to Connect with
// WithACLProvider.
type ACLProvider interface {
	// DefaultACL is the ACL of a path ACLForPath has nothing for.
	DefaultACL() []zk.ACL
	// ACLForPath returns the ACL for a node about to be created, or nil
	// for DefaultACL. path is the path as the server sees it: with the
	// namespace (/app/x for the client path /x under WithNamespace("app"))
	// and, for a protected create, with the protected name, as Curator
	// passes it.
	ACLForPath(path string) []zk.ACL
}

// PathACLs is an ACLProvider from a table: the ACL of the longest prefix
// in ByPath that is the node's path or one of its ancestors, else Default
// (zk.WorldACL(zk.PermAll) when empty). Keys are server paths, namespace
// included.
type PathACLs struct {
	Default []zk.ACL
	ByPath  map[string][]zk.ACL
}

// DefaultACL implements ACLProvider.
func (p PathACLs) DefaultACL() []zk.ACL {
	if len(p.Default) == 0 {
		return zk.WorldACL(zk.PermAll)
	}
	return p.Default
}

// ACLForPath implements ACLProvider.
func (p PathACLs) ACLForPath(path string) []zk.ACL {
	for q := path; ; {
		if acl, ok := p.ByPath[q]; ok {
			return acl
		}
		if q == "/" || q == "" {
			return nil
		}
		q, _ = SplitPath(q)
	}
}

// aclFor is the ACL for a create of fp (a server path): acl when given,
// else the provider's choice, else WithDefaultACL's.
func (c *Client) aclFor(fp string, acl []zk.ACL) []zk.ACL {
	if len(acl) > 0 {
		return acl
	}
	if p := c.opts.aclProvider; p != nil {
		if a := p.ACLForPath(fp); len(a) > 0 {
			return a
		}
		if a := p.DefaultACL(); len(a) > 0 {
			return a
		}
	}
	return c.opts.acl
}
