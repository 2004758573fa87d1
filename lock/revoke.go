package lock

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-zookeeper/zk"
	"github.com/zkit-go/zkit/recipes"
)

// RevokeMessage is the data a revocation request writes into the holder's
// node (Curator's LockInternals.REVOKE_MESSAGE), so a Curator holder and a
// zkit holder hear each other's requests.
var RevokeMessage = []byte("__REVOKE__")

// Revoke asks the holder of the lock node at nodePath to release it
// (Curator's Revoker.attemptRevoke): it writes RevokeMessage into the
// node. A holder that listens (Mutex.Revoked, Curator's RevocationListener)
// may then release; one that does not keeps the lock. A node already gone
// is no error.
func Revoke(ctx context.Context, c *recipes.Client, nodePath string) error {
	_, err := c.Set(ctx, nodePath, RevokeMessage, -1)
	if err != nil && !errors.Is(err, zk.ErrNoNode) {
		return fmt.Errorf("lock: revoke %s: %w", nodePath, err)
	}
	return nil
}

// HolderNode returns the path of the node that holds the Mutex (or the
// write side of an RWMutex's writer queue, which is the same rule) at lock
// path dir: the first contender by sequence. "" when nobody holds it.
// Pass it to Revoke to ask that holder to release.
func HolderNode(ctx context.Context, c *recipes.Client, dir string) (string, error) {
	kids, _, err := c.Children(ctx, dir)
	if errors.Is(err, zk.ErrNoNode) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("lock: list %s: %w", dir, err)
	}
	sorted := sortContenders(kids)
	if len(sorted) == 0 {
		return "", nil
	}
	return recipes.JoinPath(dir, sorted[0]), nil
}

// Revoked returns a channel closed when, during the current hold, someone
// asked the holder to release (Revoke, or Curator's Revoker, wrote
// RevokeMessage into our node; a request made while we waited counts when
// we get the lock). Releasing is up to the holder: Unlock when it suits
// (Curator's RevocationListener). When the lock is not held the channel
// is nil (it never fires).
func (m *Mutex) Revoked() <-chan struct{} {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.h == nil {
		return nil
	}
	return m.h.revoked
}
