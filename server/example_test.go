package server_test

import (
	"fmt"
	"log"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/zkit-go/zkit/server"
)

// An embedded standalone server on a free loopback port, used by an
// ordinary ZooKeeper client.
func Example() {
	dir, err := os.MkdirTemp("", "zkit-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	cfg := server.DefaultConfig() // standalone, 127.0.0.1
	cfg.ClientPort = 0            // any free port
	cfg.DataDir = dir
	cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	s, err := server.New(cfg)
	if err != nil {
		log.Fatal(err)
	}
	if err := s.Start(); err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	<-s.Ready()

	conn, _, err := zk.Connect([]string{s.Addr().String()}, 10*time.Second, zk.WithLogInfo(false))
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Create("/hello", []byte("world"), 0, zk.WorldACL(zk.PermAll)); err != nil {
		log.Fatal(err)
	}
	data, _, err := conn.Get("/hello")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(s.Role(), string(data))
	// Output: standalone world
}

// ParseConfig reads ZooKeeper's zoo.cfg keys.
func ExampleParseConfig() {
	dir, err := os.MkdirTemp("", "zkit-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "zoo.cfg")
	cfg := "tickTime=2000\ndataDir=" + dir + "\nclientPort=2181\n" +
		"server.1=10.0.0.1:2888:3888\nserver.2=10.0.0.2:2888:3888\nserver.3=10.0.0.3:2888:3888\n"
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "myid"), []byte("2\n"), 0o644); err != nil {
		log.Fatal(err)
	}
	c, err := server.ParseConfig(path)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(c.TickTime, c.ClientPort, len(c.Servers), "servers, myid", c.ServerID)
	fmt.Println(server.Validate(c))
	// Output:
	// 2s 2181 3 servers, myid 2
	// <nil>
}

// Validate reports what New would refuse, without opening storage.
func ExampleValidate() {
	cfg := server.DefaultConfig()
	cfg.MinSessionTimeout = 30 * time.Second
	cfg.MaxSessionTimeout = 10 * time.Second
	fmt.Println(server.Validate(cfg))
	// Output: server: config: minSessionTimeout 30s must not be larger than maxSessionTimeout 10s
}
