package client_test

import (
	"errors"
	"fmt"
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/zkit-go/zkit/internal/client/clienttest"
)

// java is the shared Java ZooKeeper oracle, nil when not installed.
var java *clienttest.JavaServer

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "zkit-client-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	java, err = clienttest.StartJavaServer(dir)
	if err != nil && !errors.Is(err, clienttest.ErrNoJava) {
		fmt.Fprintln(os.Stderr, err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	if java != nil {
		java.Stop()
	}
	os.RemoveAll(dir)
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

func javaAddr(t *testing.T) string {
	t.Helper()
	if java == nil {
		t.Skip("Java ZooKeeper not installed (/usr/share/java/zookeeper.jar); apt-get install -y zookeeper")
	}
	return java.Addr
}

// TestConformanceJava runs every shared scenario against Java ZooKeeper 3.8.
func TestConformanceJava(t *testing.T) {
	clienttest.RunAll(t, javaAddr(t))
}
