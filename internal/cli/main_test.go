package cli

import (
	"testing"

	"go.uber.org/goleak"
)

// The session, its connections and the shells under test must all be
// gone when the tests end. gokrb5 keeps one replay cache per process,
// cleaned by a goroutine that never ends, started by the Kerberos tests'
// in-process servers. Its closure is named after the function it was
// inlined into in some builds (-race changes inlining): both names.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		goleak.IgnoreAnyFunction("github.com/jcmturner/gokrb5/v8/service.GetReplayCache.func1.1"),
		goleak.IgnoreAnyFunction("github.com/jcmturner/gokrb5/v8/service.VerifyAPREQ.GetReplayCache.func1.1"))
}
