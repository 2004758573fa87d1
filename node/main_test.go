package node_test

import (
	"testing"

	"github.com/zkit-go/zkit/internal/curatortest"
)

// TestMain checks for leaked goroutines; curatortest.Main also removes the
// Curator driver that the interop tests compile.
func TestMain(m *testing.M) { curatortest.Main(m) }
