package election_test

import (
	"context"
	"log"

	"github.com/zkit-go/zkit/election"
	"github.com/zkit-go/zkit/recipes"
)

var client *recipes.Client // a connected client (recipes.Connect)

func ExampleLatch() {
	ctx := context.Background()
	l := election.NewLatch(client, "/services/indexer/leader", "host-1")
	l.Listen(func(leader bool) { log.Printf("leader: %v", leader) })
	if err := l.Start(); err != nil {
		log.Fatal(err)
	}
	defer l.Close(context.Background())
	if err := l.Await(ctx); err != nil {
		log.Fatal(err)
	}
	select {
	case <-l.NotLeader(): // leadership ended: stop leader-only work
	case <-ctx.Done():
	}
}

func ExampleSelector() {
	s := election.NewSelector(client, "/services/indexer/leader", "host-1",
		func(ctx context.Context) {
			// Lead until ctx ends, then return promptly.
			<-ctx.Done()
		},
		election.WithAutoRequeue(),
		election.WithSuspendPolicy(election.KeepUntilLost))
	if err := s.Start(); err != nil {
		log.Fatal(err)
	}
	defer s.Close(context.Background())
}

func ExampleObserve() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for p := range election.Observe(ctx, client, "/services/indexer/leader") {
		if p.Node == "" {
			log.Print("nobody leads")
			continue
		}
		log.Printf("leader is %s", p.ID)
	}
}

func ExampleWithCloseMode() {
	l := election.NewLatch(client, "/services/indexer/leader", "host-1",
		election.WithCloseMode(election.Silent)) // Curator's default
	l.Listen(func(leader bool) { log.Printf("leader: %v", leader) })
	if err := l.Start(); err != nil {
		log.Fatal(err)
	}
	defer l.Close(context.Background()) // listeners are not called
}
