package queue_test

// These examples need a ZooKeeper server at 127.0.0.1:2181, so they are
// compiled but not run by go test.

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/zkit-go/zkit/queue"
	"github.com/zkit-go/zkit/recipes"
)

func ExampleQueue() {
	ctx := context.Background()
	c, err := recipes.Connect(ctx, []string{"127.0.0.1:2181"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	q := queue.New(c, "/jobs")
	defer q.Close()
	if _, err := q.Put(ctx, []byte("resize image 42")); err != nil {
		log.Fatal(err)
	}
	it, err := q.Take(ctx) // blocks until there is an item
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s\n", it.Data)
}

// Consume removes the item only when the function succeeds.
func ExampleQueue_Consume() {
	ctx := context.Background()
	c, err := recipes.Connect(ctx, []string{"127.0.0.1:2181"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	q := queue.New(c, "/jobs")
	defer q.Close()
	for {
		err := q.Consume(ctx, func(ctx context.Context, it queue.Item) error {
			// ctx ends if this consumer's session is lost: another
			// consumer may then take the item over.
			return process(ctx, it.Data)
		})
		if err != nil {
			log.Print(err) // the item stays in the queue
		}
	}
}

func process(context.Context, []byte) error { return nil }

func ExamplePriorityQueue() {
	ctx := context.Background()
	c, err := recipes.Connect(ctx, []string{"127.0.0.1:2181"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	q := queue.NewPriority(c, "/tasks")
	defer q.Close()
	_, _ = q.Put(ctx, []byte("later"), 10)
	_, _ = q.Put(ctx, []byte("urgent"), -1)
	it, err := q.Take(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s\n", it.Data) // urgent
}

func ExampleDelayQueue() {
	ctx := context.Background()
	c, err := recipes.Connect(ctx, []string{"127.0.0.1:2181"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	q := queue.NewDelay(c, "/reminders")
	defer q.Close()
	_, _ = q.Put(ctx, []byte("ping"), time.Now().Add(time.Minute))
	it, err := q.Take(ctx) // returns in about a minute
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s due %v\n", it.Data, it.Due)
}

func ExampleIDQueue() {
	ctx := context.Background()
	c, err := recipes.Connect(ctx, []string{"127.0.0.1:2181"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	q := queue.NewID(c, "/orders")
	defer q.Close()
	_, _ = q.Put(ctx, []byte("order body"), "order-17")
	n, err := q.Remove(ctx, "order-17") // cancelled before anyone took it
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(n)
}
