package curatortest_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkit-go/zkit/lock"
	rt "github.com/zkit-go/zkit/recipes/recipestest"
)

// Curator's InterProcessMutex and lock.Mutex on one path exclude each
// other in both directions, and a holder whose session ends (expired on
// either side, or a killed JVM) lets the other side's waiter in.
func TestMutexInterop(t *testing.T) {
	t.Parallel()
	env, d, javaSID, c := setup(t)
	const path = "/interop/mutex"
	d.Do(t, "mutex", "m", "c", path)
	m := lock.NewMutex(c, path)

	// Java holds: Go cannot take it, and gets it once Java releases.
	require.Equal(t, "true", d.Do(t, "acquire", "m", 10000))
	ok, err := m.TryLock(ctx(t))
	require.NoError(t, err)
	require.False(t, ok, "Go took a mutex Curator holds")
	got := make(chan error, 1)
	go func() { got <- m.Lock(ctx(t)) }()
	d.Do(t, "release", "m")
	require.NoError(t, rt.Receive(t, 30*time.Second, got, "Go lock after Curator release"))

	// Go holds: Curator waits, and gets it once Go unlocks.
	acq := d.Go("acquire", "m", 60000)
	notDone(t, acq, "Curator acquire while Go holds")
	require.NoError(t, m.Unlock(ctx(t)))
	require.Equal(t, "true", acq.Wait(t))

	// Curator's session expires while it holds: the Go waiter gets in.
	go func() { got <- m.Lock(ctx(t)) }()
	env.ExpireSession(javaSID)
	require.NoError(t, rt.Receive(t, 30*time.Second, got, "Go lock after Curator session expired"))
	d.WaitEvent(t, "c", "state LOST")
	// Curator's re-entrancy is per thread and never looks at the node
	// again: release the dead hold (the node is gone) before waiting anew.
	_, _ = d.Try(t, "release", "m")

	// Go's session expires while it holds: Curator's waiter gets in, and
	// Go is told it lost the lock.
	acq = d.Go("acquire", "m", 60000)
	notDone(t, acq, "Curator acquire while Go holds")
	env.ExpireSession(c.Session().ID)
	require.Equal(t, "true", acq.Wait(t))
	rt.Receive(t, 30*time.Second, m.Lost(), "Go lock lost after its session expired")
	require.NoError(t, m.Unlock(ctx(t)))

	// The JVM dies holding the lock: Go gets it when its session times out.
	go func() { got <- m.Lock(ctx(t)) }()
	d.Kill()
	require.NoError(t, rt.Receive(t, 30*time.Second, got, "Go lock after the Curator process died"))
	require.NoError(t, m.Unlock(ctx(t)))
}

// A Go holder cut off from the server for less than its session timeout
// keeps the lock: the Curator waiter does not get in until Go unlocks.
func TestMutexInteropConnectionLoss(t *testing.T) {
	t.Parallel()
	env, d, _, c := setup(t)
	const path = "/interop/mutex-cut"
	d.Do(t, "mutex", "m", "c", path)
	m := lock.NewMutex(c, path)
	require.NoError(t, m.Lock(ctx(t)))
	acq := d.Go("acquire", "m", 60000)
	env.Proxy.SetDown(true)
	rt.Eventually(t, 10*time.Second, func() bool { return !c.State().IsConnected() }, "Go client suspended")
	notDone(t, acq, "Curator acquire while the Go holder is disconnected")
	env.Proxy.SetDown(false)
	rt.Eventually(t, 20*time.Second, func() bool { return c.State().IsConnected() }, "Go client reconnected")
	select {
	case <-m.Lost():
		t.Fatal("Go lock reported lost after a short disconnection")
	default:
	}
	notDone(t, acq, "Curator acquire after Go reconnected")
	require.NoError(t, m.Unlock(ctx(t)))
	require.Equal(t, "true", acq.Wait(t))
}

// InterProcessReadWriteLock and lock.RWMutex: readers share across
// languages, a writer on either side excludes readers and writers on the
// other.
func TestRWMutexInterop(t *testing.T) {
	t.Parallel()
	env, d, javaSID, c := setup(t)
	const path = "/interop/rw"
	d.Do(t, "rwlock", "rw", "c", path)
	rw := lock.NewRWMutex(c, path)

	// Readers on both sides at once.
	require.Equal(t, "true", d.Do(t, "acquire", "rw.r", 10000))
	require.NoError(t, rw.Reader().Lock(ctx(t)))
	// A Go writer waits for both readers.
	ok, err := rw.Writer().TryLock(ctx(t))
	require.NoError(t, err)
	require.False(t, ok, "Go writer got in beside a Curator reader")
	require.NoError(t, rw.Reader().Unlock(ctx(t)))
	got := make(chan error, 1)
	go func() { got <- rw.Writer().Lock(ctx(t)) }()
	d.Do(t, "release", "rw.r")
	require.NoError(t, rt.Receive(t, 30*time.Second, got, "Go writer after readers left"))

	// Curator readers and writers wait for the Go writer.
	rd := d.Go("acquire", "rw.r", 60000)
	notDone(t, rd, "Curator reader while Go writes")
	require.NoError(t, rw.Writer().Unlock(ctx(t)))
	require.Equal(t, "true", rd.Wait(t))
	d.Do(t, "release", "rw.r")

	// A Curator writer excludes Go readers; its session expiring lets them in.
	d.Client(t, "c2", javaSession)
	require.Equal(t, "true", d.Do(t, "acquire", "rw.w", 10000))
	ok, err = rw.Reader().TryLock(ctx(t))
	require.NoError(t, err)
	require.False(t, ok, "Go reader got in beside a Curator writer")
	go func() { got <- rw.Reader().Lock(ctx(t)) }()
	env.ExpireSession(javaSID)
	require.NoError(t, rt.Receive(t, 30*time.Second, got, "Go reader after the Curator writer's session expired"))
	require.NoError(t, rw.Reader().Unlock(ctx(t)))

	// Downgrade: Go takes the read lock under its write lock and then
	// releases the write lock. Its read node keeps its writer's place: a
	// Curator reader queued before a Curator writer gets in beside it, the
	// writer waits for both readers.
	d.Do(t, "rwlock", "rw2", "c2", path)
	d.Do(t, "rwlock", "rw3", "c2", path)
	require.NoError(t, rw.Writer().Lock(ctx(t)))
	queued := func(n int) func() bool {
		return func() bool {
			kids, _, err := c.Children(ctx(t), path)
			return err == nil && len(kids) == n
		}
	}
	rd = d.Go("acquire", "rw3.r", 60000)
	rt.Eventually(t, 10*time.Second, queued(2), "Curator reader queued")
	wr := d.Go("acquire", "rw2.w", 60000)
	rt.Eventually(t, 10*time.Second, queued(3), "Curator writer queued")
	require.NoError(t, rw.Reader().Lock(ctx(t)))
	require.NoError(t, rw.Writer().Unlock(ctx(t)))
	require.Equal(t, "true", rd.Wait(t))
	notDone(t, wr, "Curator writer while Go holds a downgraded read lock")
	require.NoError(t, rw.Reader().Unlock(ctx(t)))
	notDone(t, wr, "Curator writer while a Curator reader holds")
	d.Do(t, "release", "rw3.r")
	require.Equal(t, "true", wr.Wait(t))
}

// InterProcessSemaphoreV2 and lock.Semaphore count each other's leases.
func TestSemaphoreInterop(t *testing.T) {
	t.Parallel()
	env, d, javaSID, c := setup(t)
	const path = "/interop/sem"
	d.Do(t, "semaphore", "s", "c", path, 3)
	s := lock.NewSemaphore(c, path, 3)

	// Java takes 2 of 3: Go gets 1, not 2.
	require.Equal(t, "true", d.Do(t, "lease", "s", 2, 10000))
	_, ok, err := s.TryAcquire(ctx(t), 2)
	require.NoError(t, err)
	require.False(t, ok, "Go took 2 leases while Curator holds 2 of 3")
	one, ok, err := s.TryAcquire(ctx(t), 1)
	require.NoError(t, err)
	require.True(t, ok)
	// The semaphore is full: Curator's next lease waits for Go's.
	more := d.Go("lease", "s", 1, 60000)
	notDone(t, more, "Curator lease on a full semaphore")
	require.NoError(t, s.Release(ctx(t), one...))
	require.Equal(t, "true", more.Wait(t))
	// Java holds all 3; Go's session is not involved. Go waits for 2,
	// gets them after Java returns its leases.
	got := make(chan error, 1)
	var leases []*lock.Lease
	go func() {
		var err error
		leases, err = s.Acquire(ctx(t), 2)
		got <- err
	}()
	require.Equal(t, "3", d.Do(t, "returnall", "s"))
	require.NoError(t, rt.Receive(t, 30*time.Second, got, "Go leases after Curator returned its own"))
	// Go holds 2: Curator gets 1 but not 2.
	require.Equal(t, "false", d.Do(t, "lease", "s", 2, 300))
	require.Equal(t, "true", d.Do(t, "lease", "s", 1, 10000))
	// Go's session expires: its leases go and Curator gets 2 more.
	more = d.Go("lease", "s", 2, 60000)
	env.ExpireSession(c.Session().ID)
	require.Equal(t, "true", more.Wait(t))
	for _, l := range leases {
		rt.Receive(t, 30*time.Second, l.Lost(), "Go lease lost with its session")
		assert.NoError(t, l.Release(ctx(t)))
	}

	// Curator holds all 3 and its session expires: Go gets 3.
	go func() {
		var err error
		leases, err = s.Acquire(ctx(t), 3)
		got <- err
	}()
	env.ExpireSession(javaSID)
	require.NoError(t, rt.Receive(t, 30*time.Second, got, "Go leases after Curator's session expired"))
	require.NoError(t, s.Release(ctx(t), leases...))
}
