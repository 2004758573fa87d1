package lock_test

import (
	"context"
	"fmt"
	"log"

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
