package clienttest

import (
	"time"

	"github.com/zkit-go/zkit/internal/javatest"
	"github.com/zkit-go/zkit/internal/testport"
)

// JavaJar is where Debian's zookeeper package puts the server jar.
const JavaJar = javatest.Jar

// ErrNoJava reports that Java ZooKeeper is not installed.
var ErrNoJava = javatest.ErrNoJava

// JavaFlags are the oracle's JVM settings (package javatest).
var JavaFlags = javatest.Flags

// JavaServer is a standalone Java ZooKeeper 3.8 run as an oracle.
type JavaServer struct {
	Addr string
	s    *javatest.Standalone
}

// StartJavaServer starts a standalone Java ZooKeeper on a free loopback
// port with a fresh dataDir under dir, tickTime 2000 (session timeouts
// 4s–40s), TTL nodes enabled, every four-letter word allowed, and extra
// zoo.cfg lines. It returns ErrNoJava when the jar is absent.
func StartJavaServer(dir string, extra ...string) (*JavaServer, error) {
	return StartJavaServerWith(dir, nil, extra...)
}

// StartJavaServerWith is StartJavaServer with extra JVM flags, for the
// settings Java reads only as system properties (for example
// -Dznode.container.checkIntervalMs).
func StartJavaServerWith(dir string, jvmFlags []string, extra ...string) (*JavaServer, error) {
	s, err := javatest.StartStandalone(dir, jvmFlags, extra...)
	if err != nil {
		return nil, err
	}
	return &JavaServer{Addr: s.Addr, s: s}, nil
}

func waitServing(addr string, d time.Duration) error { return javatest.WaitServing(addr, d) }

// Stop kills the server and waits for it.
func (s *JavaServer) Stop() { s.s.Stop() }

// FourLetter sends a four-letter word and returns the answer ("" on error).
func FourLetter(addr, word string) string { return javatest.FourLetter(addr, word) }

// freePort picks a port below the ephemeral range (package testport), so
// that a restarted member can bind it again.
func freePort() (int, error) { return testport.Free() }
