package lock

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-zookeeper/zk"
)

// GuardOp returns the multi op that holds only while this Mutex holds the
// lock: a version check, any version, of our lock node. Put it first in a
// recipes.Client.Multi to make the writes in it conditional on holding
// the lock (etcd's IsOwner compare). The lock node is deleted when the
// lock is released or its session ends, and never made again under that
// name, so the check fails from then on. ErrNotLocked when not held,
// ErrLost when known lost.
func (m *Mutex) GuardOp() (*zk.CheckVersionRequest, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.h == nil {
		return nil, ErrNotLocked
	}
	if m.h.isLost() {
		return nil, ErrLost
	}
	return &zk.CheckVersionRequest{Path: m.h.n.path, Version: -1}, nil
}

// Txn runs ops (as recipes.Client.Multi takes them) in one multi that
// commits only while this Mutex holds the lock: GuardOp comes first. It
// returns the responses of ops (without the guard's). If the lock is not
// held it fails with ErrNotLocked; if it was lost, before or when the
// multi ran, with ErrLost (the multi then changed nothing). Other failures
// are Multi's.
func (m *Mutex) Txn(ctx context.Context, ops ...any) ([]zk.MultiResponse, error) {
	guard, err := m.GuardOp()
	if err != nil {
		return nil, err
	}
	res, err := m.q.c.Multi(ctx, append([]any{guard}, ops...)...)
	if err != nil {
		// go-zookeeper/zk returns no per-op results when the server puts
		// the failure in the reply header, so when the failure could be
		// the guard's, look at the node.
		if errors.Is(err, zk.ErrNoNode) || len(res) > 0 && errors.Is(res[0].Error, zk.ErrNoNode) {
			if ok, _, xerr := m.q.c.Exists(ctx, guard.Path); xerr == nil && !ok {
				return nil, fmt.Errorf("%w: lock node %s is gone: %w", ErrLost, guard.Path, err)
			}
		}
		if len(res) > 1 {
			res = res[1:]
		}
		return res, fmt.Errorf("lock: guarded multi: %w", err)
	}
	return res[1:], nil
}
