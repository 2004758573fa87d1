package config_test

// These examples need a ZooKeeper server at 127.0.0.1:2181, so they are
// compiled but not run by go test.

import (
	"context"
	"errors"
	"log"

	"github.com/zkit-go/zkit/config"
	"github.com/zkit-go/zkit/recipes"
)

type Limits struct {
	MaxConns int `json:"maxConns"`
}

func ExampleStore_Publish() {
	ctx := context.Background()
	c, err := recipes.Connect(ctx, []string{"127.0.0.1:2181"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	st := config.NewStore[Limits](c)
	defer st.Close(context.Background())
	// Read-modify-write with compare-and-set.
	for {
		cur, err := st.Get(ctx, "/config/limits")
		if err != nil {
			log.Fatal(err)
		}
		opt := config.IfAbsent()
		if cur.Exists {
			opt = config.IfVersion(cur.Version)
		}
		_, err = st.Publish(ctx, "/config/limits", Limits{MaxConns: cur.Value.MaxConns + 10}, opt)
		if errors.Is(err, config.ErrConflict) {
			continue // someone else published first
		}
		if err != nil {
			log.Fatal(err)
		}
		break
	}
}

func ExampleStore_Watch() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c, err := recipes.Connect(ctx, []string{"127.0.0.1:2181"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	st := config.NewStore[Limits](c)
	defer st.Close(context.Background())
	values, err := st.Watch(ctx, "/config/limits")
	if err != nil {
		log.Fatal(err)
	}
	for v := range values {
		switch {
		case !v.Exists:
			log.Print("not configured")
		case v.Err != nil:
			log.Printf("bad config: %v", v.Err)
		default:
			log.Printf("max conns now %d", v.Value.MaxConns)
		}
	}
}

func ExampleStore_WatchTree() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c, err := recipes.Connect(ctx, []string{"127.0.0.1:2181"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	flags := config.NewStore[bool](c)
	defer flags.Close(context.Background())
	trees, err := flags.WatchTree(ctx, "/config/flags")
	if err != nil {
		log.Fatal(err)
	}
	for tree := range trees {
		log.Printf("new checkout enabled: %v", tree["checkout/new"].Value)
	}
}
