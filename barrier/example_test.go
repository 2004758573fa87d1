package barrier_test

// These examples need a ZooKeeper server at 127.0.0.1:2181, so they are
// compiled but not run by go test.

import (
	"context"
	"log"

	"github.com/zkit-go/zkit/barrier"
	"github.com/zkit-go/zkit/recipes"
)

func ExampleBarrier() {
	ctx := context.Background()
	c, err := recipes.Connect(ctx, []string{"127.0.0.1:2181"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	b := barrier.NewBarrier(c, "/deploy/hold")
	defer b.Close(context.Background())
	// A coordinator raised it with b.Set(ctx); workers wait for Remove.
	if err := b.Wait(ctx); err != nil {
		log.Fatal(err)
	}
	log.Print("released")
}

func ExampleDoubleBarrier() {
	ctx := context.Background()
	c, err := recipes.Connect(ctx, []string{"127.0.0.1:2181"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	b, err := barrier.NewDoubleBarrier(c, "/jobs/round-1", 5)
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close(context.Background())
	if err := b.Enter(ctx); err != nil { // all 5 start together
		log.Fatal(err)
	}
	// ... compute ...
	if err := b.Leave(ctx); err != nil { // and finish together
		log.Fatal(err)
	}
}
