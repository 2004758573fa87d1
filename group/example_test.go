package group_test

import (
	"context"
	"fmt"
	"log"

	"github.com/zkit-go/zkit/group"
	"github.com/zkit-go/zkit/recipes"
)

var client *recipes.Client // a connected client (recipes.Connect)

func ExampleNewMember() {
	ctx := context.Background()
	m, err := group.NewMember(ctx, client, "/groups/indexers", "host-1", []byte("10.0.0.7:9000"))
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close(context.WithoutCancel(ctx))
	for id, addr := range m.Members() {
		fmt.Println(id, string(addr))
	}
}
