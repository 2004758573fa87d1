package recipes_test

// The recipes tests that need a server are an external test package so
// that they can use recipes/recipestest, which imports recipes.

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/zkit-go/zkit/recipes"
	rt "github.com/zkit-go/zkit/recipes/recipestest"
)

func TestMain(m *testing.M) { rt.Main(m) }

// stateLog records the states a client reports.
type stateLog struct {
	mu     sync.Mutex
	states []recipes.State
}

func recordStates(c *recipes.Client) *stateLog {
	l := &stateLog{}
	c.Listen(func(s recipes.State) {
		l.mu.Lock()
		l.states = append(l.states, s)
		l.mu.Unlock()
	})
	return l
}

func (l *stateLog) get() []recipes.State {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]recipes.State(nil), l.states...)
}

// waitFor waits until the log ends with want.
func (l *stateLog) waitFor(t testing.TB, timeout time.Duration, want ...recipes.State) {
	t.Helper()
	rt.Eventually(t, timeout, func() bool {
		got := l.get()
		if len(got) < len(want) {
			return false
		}
		for i := range want {
			if got[len(got)-len(want)+i] != want[i] {
				return false
			}
		}
		return true
	}, "states %v, want suffix %v", l, want)
}

func (l *stateLog) String() string { return fmt.Sprint(l.get()) }
