package lock_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/zkit-go/zkit/lock"
	"github.com/zkit-go/zkit/recipes"
	rt "github.com/zkit-go/zkit/recipes/recipestest"
)

// BenchmarkMutex measures acquire+release cycles per second with N
// contenders, each on its own client, all on one in-process zkit server.
// b.N cycles are shared among the contenders.
func BenchmarkMutex(b *testing.B) {
	for _, n := range []int{1, 4, 16} {
		b.Run(fmt.Sprintf("contenders=%d", n), func(b *testing.B) {
			env := rt.StartServer(b)
			ns := rt.Namespace("bench")
			ctx := context.Background()
			ms := make([]*lock.Mutex, n)
			for i := range ms {
				ms[i] = lock.NewMutex(env.ObserverConnect(b, recipes.WithNamespace(ns)), "/bench")
			}
			var left atomic.Int64
			left.Store(int64(b.N))
			b.ResetTimer()
			var wg sync.WaitGroup
			for _, m := range ms {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for left.Add(-1) >= 0 {
						if err := m.Lock(ctx); err != nil {
							b.Error(err)
							return
						}
						if err := m.Unlock(ctx); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "locks/s")
		})
	}
}
