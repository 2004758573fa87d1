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
	defer q.Close(context.Background())
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
	defer q.Close(context.Background())
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
	defer q.Close(context.Background())
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
	defer q.Close(context.Background())
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
	defer q.Close(context.Background())
	_, _ = q.Put(ctx, []byte("order body"), "order-17")
	n, err := q.Remove(ctx, "order-17") // cancelled before anyone took it
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(n)
}

// A queue shared with a Java service: Curator's
// QueueBuilder.builder(client, consumer, serializer, "/jobs").buildQueue()
// with a Jackson QueueSerializer<Job> reads what Put writes here, and Take
// reads what its put and putMulti write.
func ExampleTyped() {
	ctx := context.Background()
	c, err := recipes.Connect(ctx, []string{"127.0.0.1:2181"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	type job struct {
		ID   int    `json:"id"`
		Kind string `json:"kind"`
	}
	q := queue.NewTyped(c, "/jobs", queue.JSON[job]())
	defer q.Close(context.Background())
	if _, err := q.Put(ctx, job{ID: 42, Kind: "resize"}); err != nil {
		log.Fatal(err)
	}
	// A Java putMulti node yields several jobs at once.
	err = q.Consume(ctx, func(ctx context.Context, jobs []job) error {
		for _, j := range jobs {
			fmt.Println(j.ID, j.Kind)
		}
		return nil // removes the node
	})
	if err != nil {
		log.Fatal(err)
	}
}

func ExampleEncodeItems() {
	data := queue.EncodeItems([][]byte{[]byte("a"), []byte("bc")})
	fmt.Printf("% x\n", data)
	items, _ := queue.DecodeItems(data)
	fmt.Printf("%q\n", items)
	// Output:
	// 00 01 00 01 01 00 00 00 01 61 01 00 00 00 02 62 63 02
	// ["a" "bc"]
}
