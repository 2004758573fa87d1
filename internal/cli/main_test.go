package cli

import (
	"testing"

	"go.uber.org/goleak"
)

// The session, its connections and the shells under test must all be
// gone when the tests end.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
