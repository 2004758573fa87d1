package counter_test

// These examples need a ZooKeeper server at 127.0.0.1:2181, so they are
// compiled but not run by go test.

import (
	"context"
	"fmt"
	"log"

	"github.com/zkit-go/zkit/counter"
	"github.com/zkit-go/zkit/recipes"
)

func ExampleSharedCount() {
	ctx := context.Background()
	c, err := recipes.Connect(ctx, []string{"127.0.0.1:2181"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	sc := counter.NewSharedCount(c, "/limits/workers", 4)
	if err := sc.Start(ctx); err != nil {
		log.Fatal(err)
	}
	defer sc.Close(context.Background())
	sc.Listen(func(v counter.VersionedValue) { log.Printf("workers now %d", v.Value) })

	// Raise the limit unless someone else changed it first.
	cur := sc.Versioned()
	ok, err := sc.TrySetCount(ctx, cur, cur.Value+1)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(ok)
}

func ExampleAtomicLong() {
	ctx := context.Background()
	c, err := recipes.Connect(ctx, []string{"127.0.0.1:2181"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	ids := counter.NewAtomicLong(c, "/ids/orders")
	defer ids.Close(context.Background())
	r, err := ids.Increment(ctx)
	if err != nil {
		log.Fatal(err)
	}
	if r.Succeeded {
		fmt.Println("next order id", r.PostValue)
	}
}
