package node_test

import (
	"context"
	"log"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/zkit-go/zkit/node"
	"github.com/zkit-go/zkit/recipes"
)

var client *recipes.Client // a connected client (recipes.Connect)

func ExamplePersistent() {
	ctx := context.Background()
	// An ephemeral node that comes back after the session is lost.
	n, err := node.NewPersistent(client, "/workers/w1", zk.FlagEphemeral, []byte("10.0.0.7:8080"))
	if err != nil {
		log.Fatal(err)
	}
	if err := n.Start(); err != nil {
		log.Fatal(err)
	}
	defer n.Close(context.WithoutCancel(ctx)) // deletes it
	if err := n.WaitReady(ctx); err != nil {
		log.Fatal(err)
	}
	// Kept with the new data from now on, across re-creates too.
	if err := n.SetData(ctx, []byte("10.0.0.7:8081")); err != nil {
		log.Print(err)
	}
}

func ExampleTTL() {
	ctx := context.Background()
	// Present while this process runs, through any session loss; gone
	// about 2*ttl after it stops. The server needs extendedTypesEnabled.
	n, err := node.NewTTL(client, "/presence/w1", 30*time.Second, []byte("w1"))
	if err != nil {
		log.Fatal(err)
	}
	if err := n.Start(); err != nil {
		log.Fatal(err)
	}
	defer n.Close(ctx)
	if err := n.WaitReady(ctx); err != nil {
		log.Fatal(err)
	}
}
