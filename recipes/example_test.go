package recipes_test

// These examples need a ZooKeeper server at 127.0.0.1:2181, so they are
// compiled but not run by go test.

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"os/signal"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/zkit-go/zkit/recipes"
)

func ExampleConnect() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := recipes.Connect(ctx, []string{"127.0.0.1:2181"},
		recipes.WithSessionTimeout(10*time.Second),
		recipes.WithNamespace("app"),
		recipes.WithRetry(recipes.ExponentialRetry(100*time.Millisecond, 2*time.Second, 10, 30*time.Second)),
	)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	// /config is /app/config on the server.
	if _, err := c.CreateWithParents(ctx, "/config/db", []byte("postgres://db"), zk.FlagPersistent, nil); err != nil &&
		!errors.Is(err, zk.ErrNodeExists) {
		log.Fatal(err)
	}
	data, stat, err := c.Get(ctx, "/config/db")
	if errors.Is(err, zk.ErrNoNode) {
		fmt.Println("not configured")
		return
	}
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s (version %d)\n", data, stat.Version)
}

// A recipe that holds an ephemeral node reacts to the connection states.
func ExampleClient_Listen() {
	ctx := context.Background()
	c, err := recipes.Connect(ctx, []string{"127.0.0.1:2181"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	start := c.Session()
	remove := c.Listen(func(s recipes.State) {
		switch s {
		case recipes.Suspended:
			log.Print("connection lost: pause, our node may or may not still exist")
		case recipes.Reconnected:
			if c.Session().Epoch == start.Epoch {
				log.Print("same session: carry on")
			} else {
				log.Print("new session: our ephemeral node is gone, start again")
			}
		case recipes.Lost:
			log.Print("session lost: give up what we held")
		}
	})
	defer remove()

	if _, err := c.Create(ctx, "/workers/me", nil, zk.FlagEphemeral, nil); err != nil {
		log.Fatal(err)
	}
	<-start.Done() // closed when this session is lost (or the client closed)
}

// Protected ephemeral-sequential nodes are how locks and elections queue up
// without leaving orphans after a connection loss.
func ExampleClient_CreateProtected() {
	ctx := context.Background()
	c, err := recipes.Connect(ctx, []string{"127.0.0.1:2181"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	p, err := c.CreateProtected(ctx, "/locks/orders/lock-", nil, zk.FlagEphemeralSequential, nil)
	if err != nil {
		log.Fatal(err)
	}
	_, name := recipes.SplitPath(p)
	fmt.Println(recipes.NormalizeProtected(name)) // lock-0000000000
}

// A Watcher keeps a watch armed across events, reconnects and new sessions.
func ExampleClient_NewWatcher() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	c, err := recipes.Connect(ctx, []string{"127.0.0.1:2181"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	w, err := c.NewWatcher(func(r recipes.WatchResult) {
		if !r.Exists {
			fmt.Println(r.Path, "does not exist")
			return
		}
		fmt.Printf("%s = %s\n", r.Path, r.Data)
	})
	if err != nil {
		log.Fatal(err)
	}
	defer w.Close()
	if err := w.Add("/config/feature-flag", recipes.WatchData); err != nil {
		log.Fatal(err)
	}
	<-ctx.Done() // watch until interrupted
}

func ExampleNewTreeCache() {
	ctx := context.Background()
	c, err := recipes.Connect(ctx, []string{"127.0.0.1:2181"}, recipes.WithNamespace("app"))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	tc := recipes.NewTreeCache(c, "/config")
	tc.Listen(func(ev recipes.CacheEvent) {
		switch ev.Type {
		case recipes.NodeAdded, recipes.NodeUpdated:
			fmt.Printf("%s %s = %s\n", ev.Type, ev.Node.Path, ev.Node.Data)
		case recipes.NodeRemoved:
			fmt.Println("removed", ev.Node.Path)
		case recipes.CacheInitialized:
			fmt.Println("loaded")
		}
	})
	if err := tc.Start(); err != nil {
		log.Fatal(err)
	}
	defer tc.Close(context.Background())
	<-tc.Initialized()
	for path, n := range tc.Snapshot() {
		fmt.Printf("%s: %d bytes\n", path, len(n.Data))
	}
}

func ExampleNewChildrenCache() {
	ctx := context.Background()
	c, err := recipes.Connect(ctx, []string{"127.0.0.1:2181"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	members := recipes.NewChildrenCache(c, "/services/api")
	if err := members.Start(); err != nil {
		log.Fatal(err)
	}
	defer members.Close(context.Background())
	if err := members.WaitReady(ctx); err != nil {
		log.Fatal(err)
	}
	for _, n := range members.Snapshot() {
		fmt.Println(n.Path, string(n.Data))
	}
}

func ExampleWithStateListener() {
	ctx := context.Background()
	// Registered before the first session: it sees Connected too.
	c, err := recipes.Connect(ctx, []string{"127.0.0.1:2181"},
		recipes.WithStateListener(func(s recipes.State) { log.Printf("zookeeper: %s", s) }))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
}

func ExampleWithACLProvider() {
	ctx := context.Background()
	// Nodes under /app/secrets get a digest ACL; all others world:anyone.
	acls := recipes.PathACLs{
		ByPath: map[string][]zk.ACL{
			"/app/secrets": zk.DigestACL(zk.PermAll, "admin", "secret"),
		},
	}
	c, err := recipes.Connect(ctx, []string{"127.0.0.1:2181"},
		recipes.WithNamespace("app"), // provider paths include the namespace
		recipes.WithAuth("digest", []byte("admin:secret")),
		recipes.WithACLProvider(acls))
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	if _, err := c.CreateWithParents(ctx, "/secrets/db", []byte("..."), zk.FlagPersistent, nil); err != nil {
		log.Fatal(err)
	}
}
