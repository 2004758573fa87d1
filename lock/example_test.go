package lock_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"sync"

	"github.com/go-zookeeper/zk"
	"github.com/zkit-go/zkit/lock"
	"github.com/zkit-go/zkit/recipes"
)

var client *recipes.Client // a connected client (recipes.Connect)

func ExampleMutex() {
	ctx := context.Background()
	m := lock.NewMutex(client, "/locks/orders")
	if err := m.Lock(ctx); err != nil {
		log.Fatal(err)
	}
	defer m.Unlock(context.WithoutCancel(ctx))
	token := m.Token() // hand to the resource: it refuses lower tokens
	select {
	case <-m.Lost():
		log.Print("lock lost; stop writing")
	default:
		fmt.Println("writing with token", token)
	}
}

func ExampleRWMutex() {
	ctx := context.Background()
	rw := lock.NewRWMutex(client, "/locks/catalog")
	r := rw.Reader()
	if err := r.Lock(ctx); err != nil {
		log.Fatal(err)
	}
	defer r.Unlock(ctx)
	// Read while writers wait; writers queued before us go first.
}

func ExampleSemaphore() {
	ctx := context.Background()
	s := lock.NewSemaphore(client, "/limits/downloads", 10)
	leases, err := s.Acquire(ctx, 2)
	if err != nil {
		log.Fatal(err)
	}
	defer s.Release(context.WithoutCancel(ctx), leases...)
}

func ExampleMultiLock() {
	ctx := context.Background()
	// Give overlapping sets in the same order everywhere.
	ml := lock.NewMultiLock(lock.NewMutex(client, "/locks/a"), lock.NewMutex(client, "/locks/b"))
	if err := ml.Lock(ctx); err != nil {
		log.Fatal(err)
	}
	defer ml.Unlock(context.WithoutCancel(ctx))
}

func ExampleMutex_Revoked() {
	ctx := context.Background()
	m := lock.NewMutex(client, "/locks/report")
	if err := m.Lock(ctx); err != nil {
		log.Fatal(err)
	}
	defer m.Unlock(context.WithoutCancel(ctx))
	select {
	case <-m.Revoked(): // someone called lock.Revoke on our node: finish up and release
	case <-m.Lost():
	}
}

func ExampleRevoke() {
	ctx := context.Background()
	holder, err := lock.HolderNode(ctx, client, "/locks/report")
	if err != nil || holder == "" {
		return
	}
	// Ask the holder (zkit or Curator) to release.
	if err := lock.Revoke(ctx, client, holder); err != nil {
		log.Print(err)
	}
}

func ExampleMutex_Txn() {
	ctx := context.Background()
	m := lock.NewMutex(client, "/locks/orders")
	if err := m.Lock(ctx); err != nil {
		log.Fatal(err)
	}
	defer m.Unlock(context.WithoutCancel(ctx))
	// Commits only while we hold the lock.
	_, err := m.Txn(ctx, &zk.SetDataRequest{Path: "/orders/next", Data: []byte("42"), Version: -1})
	if errors.Is(err, lock.ErrLost) {
		log.Print("lost the lock; nothing written")
	}
}

func ExampleSyncLocker() {
	var mu sync.Locker = lock.NewSyncLocker(client, "/locks/legacy")
	mu.Lock() // blocks until held; never fails
	defer mu.Unlock()
}
