package recipes

import (
	"context"
	"fmt"
	"time"

	"github.com/go-zookeeper/zk"
)

// CreateTTL creates a TTL node: flags is zk.FlagTTL (a persistent node the
// server deletes once it has had no children and no change for ttl) or
// zk.FlagPersistentSequentialWithTTL. The server must allow them
// (extendedTypesEnabled=true); one that does not answers Unimplemented,
// which comes back as ErrUnimplemented. Retries and ambiguity are as for
// Create; a nil acl means the ACL provider's or the default ACL.
func (c *Client) CreateTTL(ctx context.Context, path string, data []byte, flags int32, acl []zk.ACL, ttl time.Duration) (string, error) {
	if flags != zk.FlagTTL && flags != zk.FlagPersistentSequentialWithTTL {
		return "", fmt.Errorf("%w: TTL create flags %d", ErrBadOption, flags)
	}
	if ttl <= 0 {
		return "", fmt.Errorf("%w: TTL %v", ErrBadOption, ttl)
	}
	fp, err := c.prepare(ctx, path)
	if err != nil {
		return "", err
	}
	acl = c.aclFor(fp, acl)
	var created string
	err = c.retry(ctx, "create ttl", true, func(conn *zk.Conn, _ bool) error {
		var err error
		created, err = conn.CreateTTL(fp, data, flags, acl, ttl)
		return err
	}, nil)
	if err != nil {
		return "", err
	}
	return c.short(created), nil
}
