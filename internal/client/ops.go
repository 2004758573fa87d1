package client

import (
	"context"
	"fmt"
	"time"

	"github.com/zkit-go/zkit/internal/proto"
)

// Create creates a node with the given CreateMode flags (proto.Flag*) and
// ACL and returns its path (with the sequence suffix, if sequential).
func (c *Conn) Create(ctx context.Context, path string, data []byte, flags int32, acl []proto.ACL) (string, error) {
	var resp proto.CreateResponse
	_, err := c.Do(ctx, proto.OpCreate, &proto.CreateRequest{Path: path, Data: data, ACL: acl, Flags: flags}, &resp)
	return resp.Path, err
}

// Create2 is Create returning the new node's Stat too.
func (c *Conn) Create2(ctx context.Context, path string, data []byte, flags int32, acl []proto.ACL) (string, proto.Stat, error) {
	var resp proto.Create2Response
	_, err := c.Do(ctx, proto.OpCreate2, &proto.CreateRequest{Path: path, Data: data, ACL: acl, Flags: flags}, &resp)
	return resp.Path, resp.Stat, err
}

// CreateContainer creates a container node (deleted by the server once it
// has had children and has none left).
func (c *Conn) CreateContainer(ctx context.Context, path string, data []byte, acl []proto.ACL) (string, proto.Stat, error) {
	var resp proto.Create2Response
	_, err := c.Do(ctx, proto.OpCreateContainer,
		&proto.CreateRequest{Path: path, Data: data, ACL: acl, Flags: proto.FlagContainer}, &resp)
	return resp.Path, resp.Stat, err
}

// CreateTTL creates a node that the server deletes once it has had no
// children and no change for ttl. flags is proto.FlagPersistentWithTTL or
// proto.FlagPersistentSequentialWithTTL; the server needs
// extendedTypesEnabled.
func (c *Conn) CreateTTL(ctx context.Context, path string, data []byte, flags int32, acl []proto.ACL, ttl time.Duration) (string, proto.Stat, error) {
	var resp proto.Create2Response
	_, err := c.Do(ctx, proto.OpCreateTTL, &proto.CreateTTLRequest{
		Path: path, Data: data, ACL: acl, Flags: flags, TTL: int64(ttl / time.Millisecond),
	}, &resp)
	return resp.Path, resp.Stat, err
}

// Delete deletes a node if its version matches (-1: any).
func (c *Conn) Delete(ctx context.Context, path string, version int32) error {
	_, err := c.Do(ctx, proto.OpDelete, &proto.DeleteRequest{Path: path, Version: version}, nil)
	return err
}

// Exists returns a node's Stat, or proto.ErrNoNode. With watch, it leaves
// a watch that fires on create, delete or data change, either way.
func (c *Conn) Exists(ctx context.Context, path string, watch bool) (proto.Stat, error) {
	var resp proto.ExistsResponse
	_, err := c.Do(ctx, proto.OpExists, &proto.ExistsRequest{Path: path, Watch: watch}, &resp)
	return resp.Stat, err
}

// GetData returns a node's data and Stat, leaving a data watch if asked.
func (c *Conn) GetData(ctx context.Context, path string, watch bool) ([]byte, proto.Stat, error) {
	var resp proto.GetDataResponse
	_, err := c.Do(ctx, proto.OpGetData, &proto.GetDataRequest{Path: path, Watch: watch}, &resp)
	return resp.Data, resp.Stat, err
}

// SetData replaces a node's data if its version matches (-1: any).
func (c *Conn) SetData(ctx context.Context, path string, data []byte, version int32) (proto.Stat, error) {
	var resp proto.SetDataResponse
	_, err := c.Do(ctx, proto.OpSetData, &proto.SetDataRequest{Path: path, Data: data, Version: version}, &resp)
	return resp.Stat, err
}

// GetACL returns a node's ACL and Stat.
func (c *Conn) GetACL(ctx context.Context, path string) ([]proto.ACL, proto.Stat, error) {
	var resp proto.GetACLResponse
	_, err := c.Do(ctx, proto.OpGetACL, &proto.GetACLRequest{Path: path}, &resp)
	return resp.ACL, resp.Stat, err
}

// SetACL replaces a node's ACL if its aversion matches (-1: any).
func (c *Conn) SetACL(ctx context.Context, path string, acl []proto.ACL, version int32) (proto.Stat, error) {
	var resp proto.SetACLResponse
	_, err := c.Do(ctx, proto.OpSetACL, &proto.SetACLRequest{Path: path, ACL: acl, Version: version}, &resp)
	return resp.Stat, err
}

// GetChildren returns a node's children, leaving a child watch if asked.
func (c *Conn) GetChildren(ctx context.Context, path string, watch bool) ([]string, error) {
	var resp proto.GetChildrenResponse
	_, err := c.Do(ctx, proto.OpGetChildren, &proto.GetChildrenRequest{Path: path, Watch: watch}, &resp)
	return resp.Strings, err
}

// GetChildren2 returns a node's children and Stat.
func (c *Conn) GetChildren2(ctx context.Context, path string, watch bool) ([]string, proto.Stat, error) {
	var resp proto.GetChildren2Response
	_, err := c.Do(ctx, proto.OpGetChildren2, &proto.GetChildren2Request{Path: path, Watch: watch}, &resp)
	return resp.Children, resp.Stat, err
}

// Sync waits until the server has applied everything the leader had
// committed when the sync arrived; it returns the path echoed back.
func (c *Conn) Sync(ctx context.Context, path string) (string, error) {
	var resp proto.SyncResponse
	_, err := c.Do(ctx, proto.OpSync, &proto.SyncRequest{Path: path}, &resp)
	return resp.Path, err
}

// Check sends a stand-alone check (opcode 13), which clients normally
// send only inside a multi. A successful reply carries a Stat body.
func (c *Conn) Check(ctx context.Context, path string, version int32) error {
	var resp proto.SetDataResponse
	_, err := c.Do(ctx, proto.OpCheck, &proto.CheckVersionRequest{Path: path, Version: version}, &resp)
	return err
}

// MultiError reports a failed multi: ZooKeeper answers a failed multi with
// an OK header and every result an error (0 before the failing op, its
// code at the failing op, -2 after). It unwraps to the failing op's Code.
type MultiError struct {
	Index   int        // the failing op
	Code    proto.Code // its error
	Results []proto.MultiResult
}

func (e *MultiError) Error() string {
	return fmt.Sprintf("client: multi op %d failed: %v", e.Index, e.Code)
}

func (e *MultiError) Unwrap() error { return e.Code }

// Multi runs write ops (create, create2, createTTL, createContainer,
// delete, setData, check) atomically. On failure it returns the results
// and a *MultiError.
func (c *Conn) Multi(ctx context.Context, ops ...proto.MultiOp) ([]proto.MultiResult, error) {
	var resp proto.MultiResponse
	if _, err := c.Do(ctx, proto.OpMulti, &proto.MultiRequest{Ops: ops}, &resp); err != nil {
		return nil, err
	}
	for i, r := range resp.Results {
		if r.Type == proto.OpError && r.Err != proto.OK && r.Err != proto.ErrRuntimeInconsistency {
			return resp.Results, &MultiError{Index: i, Code: r.Err, Results: resp.Results}
		}
	}
	for i, r := range resp.Results {
		if r.Type == proto.OpError && r.Err != proto.OK {
			return resp.Results, &MultiError{Index: i, Code: r.Err, Results: resp.Results}
		}
	}
	return resp.Results, nil
}

// MultiRead runs getData and getChildren ops together. Each result stands
// alone: a failed read is an error result and the others still return.
func (c *Conn) MultiRead(ctx context.Context, ops ...proto.MultiOp) ([]proto.MultiResult, error) {
	var resp proto.MultiResponse
	_, err := c.Do(ctx, proto.OpMultiRead, &proto.MultiRequest{Ops: ops}, &resp)
	return resp.Results, err
}

// Multi op constructors.

// CreateOp is a create sub-op (opcode create; result CreateResponse).
func CreateOp(path string, data []byte, flags int32, acl []proto.ACL) proto.MultiOp {
	return proto.MultiOp{Type: proto.OpCreate, Record: &proto.CreateRequest{Path: path, Data: data, ACL: acl, Flags: flags}}
}

// Create2Op is a create2 sub-op (result Create2Response).
func Create2Op(path string, data []byte, flags int32, acl []proto.ACL) proto.MultiOp {
	return proto.MultiOp{Type: proto.OpCreate2, Record: &proto.CreateRequest{Path: path, Data: data, ACL: acl, Flags: flags}}
}

// DeleteOp is a delete sub-op.
func DeleteOp(path string, version int32) proto.MultiOp {
	return proto.MultiOp{Type: proto.OpDelete, Record: &proto.DeleteRequest{Path: path, Version: version}}
}

// SetDataOp is a setData sub-op.
func SetDataOp(path string, data []byte, version int32) proto.MultiOp {
	return proto.MultiOp{Type: proto.OpSetData, Record: &proto.SetDataRequest{Path: path, Data: data, Version: version}}
}

// CheckOp is a check sub-op: the multi fails unless path has version.
func CheckOp(path string, version int32) proto.MultiOp {
	return proto.MultiOp{Type: proto.OpCheck, Record: &proto.CheckVersionRequest{Path: path, Version: version}}
}

// GetDataOp is a getData sub-op of a multiRead.
func GetDataOp(path string) proto.MultiOp {
	return proto.MultiOp{Type: proto.OpGetData, Record: &proto.GetDataRequest{Path: path}}
}

// GetChildrenOp is a getChildren sub-op of a multiRead.
func GetChildrenOp(path string) proto.MultiOp {
	return proto.MultiOp{Type: proto.OpGetChildren, Record: &proto.GetChildrenRequest{Path: path}}
}

// AddWatch sets a persistent watch (mode proto.AddWatchPersistent) or a
// persistent recursive one (proto.AddWatchPersistentRecursive) on path.
func (c *Conn) AddWatch(ctx context.Context, path string, mode int32) error {
	var resp proto.ErrorResponse
	if _, err := c.Do(ctx, proto.OpAddWatch, &proto.AddWatchRequest{Path: path, Type: mode}, &resp); err != nil {
		return err
	}
	if resp.Err != proto.OK {
		return resp.Err
	}
	return nil
}

// CheckWatches asks whether this session has a watch of type typ on path
// (proto.ErrNoWatcher if not).
func (c *Conn) CheckWatches(ctx context.Context, path string, typ proto.WatcherType) error {
	_, err := c.Do(ctx, proto.OpCheckWatches, &proto.CheckWatchesRequest{Path: path, Type: int32(typ)}, nil)
	return err
}

// RemoveWatches removes this session's watches of type typ on path
// (proto.ErrNoWatcher if there are none).
func (c *Conn) RemoveWatches(ctx context.Context, path string, typ proto.WatcherType) error {
	_, err := c.Do(ctx, proto.OpRemoveWatches, &proto.RemoveWatchesRequest{Path: path, Type: int32(typ)}, nil)
	return err
}

// SetWatches re-registers watches after a reconnect; the server fires at
// once those whose node changed after sw.RelativeZxid.
func (c *Conn) SetWatches(ctx context.Context, sw proto.SetWatches) error {
	_, err := c.Do(ctx, proto.OpSetWatches, &sw, nil)
	return err
}

// SetWatches2 is SetWatches with persistent and persistent recursive watches.
func (c *Conn) SetWatches2(ctx context.Context, sw proto.SetWatches2) error {
	_, err := c.Do(ctx, proto.OpSetWatches2, &sw, nil)
	return err
}

// AddAuth adds an identity to the session (xid -4), e.g. scheme "digest"
// with auth "user:password". A failure (proto.ErrAuthFailed) makes the
// server close the connection.
func (c *Conn) AddAuth(ctx context.Context, scheme string, auth []byte) error {
	_, err := c.Do(ctx, proto.OpAuth, &proto.AuthPacket{Scheme: scheme, Auth: auth}, nil)
	return err
}

// GetEphemerals returns the paths of this session's ephemeral nodes that
// start with prefix ("/" for all).
func (c *Conn) GetEphemerals(ctx context.Context, prefix string) ([]string, error) {
	var resp proto.GetEphemeralsResponse
	_, err := c.Do(ctx, proto.OpGetEphemerals, &proto.GetEphemeralsRequest{Path: prefix}, &resp)
	return resp.Strings, err
}

// GetAllChildrenNumber returns the number of descendants of path.
func (c *Conn) GetAllChildrenNumber(ctx context.Context, path string) (int32, error) {
	var resp proto.GetAllChildrenNumberResponse
	_, err := c.Do(ctx, proto.OpGetAllChildrenNumber, &proto.GetAllChildrenNumberRequest{Path: path}, &resp)
	return resp.TotalNumber, err
}

// WhoAmI returns the session's identities.
func (c *Conn) WhoAmI(ctx context.Context) ([]proto.ClientInfo, error) {
	var resp proto.WhoAmIResponse
	_, err := c.Do(ctx, proto.OpWhoAmI, nil, &resp)
	return resp.ClientInfo, err
}

// ConfigPath is the node holding the ensemble's dynamic configuration.
const ConfigPath = "/zookeeper/config"

// GetConfig returns the ensemble configuration (getData on ConfigPath).
func (c *Conn) GetConfig(ctx context.Context, watch bool) ([]byte, proto.Stat, error) {
	return c.GetData(ctx, ConfigPath, watch)
}

// Ping sends a ping (xid -2) and waits for the reply; the ping loop sends
// them by itself every third of the session timeout.
func (c *Conn) Ping(ctx context.Context) error {
	_, err := c.Do(ctx, proto.OpPing, nil, nil)
	return err
}
