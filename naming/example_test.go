package naming_test

// These examples need a ZooKeeper server at 127.0.0.1:2181, so they are
// compiled but not run by go test.

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/zkit-go/zkit/naming"
	"github.com/zkit-go/zkit/recipes"
)

func ExampleDiscovery_Register() {
	ctx := context.Background()
	c, err := recipes.Connect(ctx, []string{"127.0.0.1:2181"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	d := naming.NewDiscovery(c, "/services")
	defer d.Close(context.Background()) // unregisters
	in := naming.NewInstance("10.0.0.7", 8080)
	in.Metadata = map[string]string{"zone": "eu-1"}
	if _, err := d.Register(ctx, "api", in); err != nil {
		log.Fatal(err)
	}
	// The instance is registered again by itself after a session loss.
}

func ExampleProvider() {
	ctx := context.Background()
	c, err := recipes.Connect(ctx, []string{"127.0.0.1:2181"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	d := naming.NewDiscovery(c, "/services")
	defer d.Close(context.Background())
	p, err := d.Provider("api", naming.RoundRobin())
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close(context.Background())
	<-p.Cache().Initialized()
	in, err := p.Instance()
	if err != nil {
		log.Fatal(err) // naming.ErrNoInstances
	}
	fmt.Printf("%s:%d\n", in.Address, in.Port)
}

func ExampleUniqueName() {
	ctx := context.Background()
	c, err := recipes.Connect(ctx, []string{"127.0.0.1:2181"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	name, _, err := naming.UniqueName(ctx, c, "/names/jobs", "job-", nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(name) // job-0000000000, job-0000000001, ...
}

// A service that Java clients read with a typed Curator
// ServiceDiscovery<InstanceDetails>: the payload names its Java class.
func ExampleInstance_SetPayload() {
	ctx := context.Background()
	c, err := recipes.Connect(ctx, []string{"127.0.0.1:2181"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	type details struct {
		Zone   string `json:"zone"`
		Weight int    `json:"weight"`
	}
	d := naming.NewDiscovery(c, "/services")
	defer d.Close(context.Background())
	in := naming.NewInstance("10.0.0.7", 8080)
	if err := in.SetPayload("com.example.InstanceDetails", details{Zone: "eu-1", Weight: 3}); err != nil {
		log.Fatal(err)
	}
	if _, err := d.Register(ctx, "api", in); err != nil {
		log.Fatal(err)
	}

	// Reading Java's instances: the class comes back in PayloadClass.
	all, err := d.Instances(ctx, "api")
	if err != nil {
		log.Fatal(err)
	}
	for _, in := range all {
		var det details
		if in.PayloadClass == "com.example.InstanceDetails" && in.DecodePayload(&det) == nil {
			fmt.Println(in.ID, det.Zone)
		}
	}
}

// A provider that skips other zones and instances that failed twice in 10
// seconds.
func ExampleWithDownInstancePolicy() {
	ctx := context.Background()
	c, err := recipes.Connect(ctx, []string{"127.0.0.1:2181"})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	d := naming.NewDiscovery(c, "/services")
	defer d.Close(context.Background())
	p, err := d.Provider("api", naming.RoundRobin(),
		naming.WithInstanceFilter(func(in naming.Instance) bool { return in.Metadata["zone"] == "eu-1" }),
		naming.WithDownInstancePolicy(naming.DownInstancePolicy{Timeout: 10 * time.Second, ErrorThreshold: 2}))
	if err != nil {
		log.Fatal(err)
	}
	defer p.Close(context.Background())
	<-p.Cache().Initialized()
	in, err := p.Instance()
	if err != nil {
		log.Fatal(err)
	}
	if err := call(in); err != nil {
		p.NoteError(in) // skipped after the second error
	}
}

func call(naming.Instance) error { return nil }
