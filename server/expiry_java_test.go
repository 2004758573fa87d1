package server_test

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/client"
	"github.com/zkit-go/zkit/internal/client/clienttest"
	"github.com/zkit-go/zkit/internal/proto"
	zktesting "github.com/zkit-go/zkit/testing"
)

// slowLink is a loopback TCP proxy whose connections hold everything the
// client sends until the test opens the gate: a connect request that
// leaves the client at once and reaches the server late, as over a slow
// link (go-zookeeper's TestIntegration_SlowServer). The client's TCP
// connect succeeds at once; the proxy dials the server when the gate
// opens, then copies both ways.
type slowLink struct {
	ln     net.Listener
	target string
	gate   chan struct{}
	once   sync.Once
	wg     sync.WaitGroup
	mu     sync.Mutex // guards conns
	conns  []net.Conn
}

func startSlowLink(t *testing.T, target string) *slowLink {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	l := &slowLink{ln: ln, target: target, gate: make(chan struct{})}
	l.wg.Add(1)
	go l.accept()
	t.Cleanup(l.close)
	return l
}

func (l *slowLink) Addr() string { return l.ln.Addr().String() }

// Open lets the held bytes through, and everything after them.
func (l *slowLink) Open() { l.once.Do(func() { close(l.gate) }) }

func (l *slowLink) track(c net.Conn) {
	l.mu.Lock()
	l.conns = append(l.conns, c)
	l.mu.Unlock()
}

func (l *slowLink) accept() {
	defer l.wg.Done()
	for {
		in, err := l.ln.Accept()
		if err != nil {
			return
		}
		l.track(in)
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			defer in.Close()
			<-l.gate
			out, err := net.Dial("tcp", l.target)
			if err != nil {
				return
			}
			l.track(out)
			defer out.Close()
			done := make(chan struct{})
			go func() {
				defer close(done)
				_, _ = io.Copy(out, in)
				out.Close()
			}()
			_, _ = io.Copy(in, out)
			in.Close()
			<-done
		}()
	}
}

func (l *slowLink) close() {
	l.ln.Close()
	l.Open()
	l.mu.Lock()
	for _, c := range l.conns {
		c.Close()
	}
	l.mu.Unlock()
	l.wg.Wait()
}

// expiryTarget is a standalone server with tickTime 1 s, Java or zkit.
type expiryTarget struct {
	name string
	addr string
}

const (
	expiryTick    = time.Second
	expiryTimeout = 4 * time.Second // 4 ticks: within [2, 20] ticks, as asked
)

// expiryScript is the slow-link and resume script; it returns what each
// step gave, for the comparison with Java.
func expiryScript(t *testing.T, tg expiryTarget) []string {
	ctx, cancel := context.WithTimeout(context.Background(), zktesting.Scale(2*time.Minute))
	defer cancel()
	var got []string
	observer, err := client.Dial(ctx, tg.addr)
	require.NoError(t, err)
	defer observer.Close()
	exists := func(path string) bool {
		_, err := observer.Exists(ctx, path, false)
		if errors.Is(err, proto.ErrNoNode) {
			return false
		}
		require.NoError(t, err)
		return true
	}
	newSession := func(eph string) (int64, []byte, time.Time) {
		c, err := client.Dial(ctx, tg.addr, client.WithSessionTimeout(expiryTimeout))
		require.NoError(t, err)
		require.Equal(t, expiryTimeout, c.Timeout(), "%s negotiated timeout", tg.name)
		_, err = c.Create(ctx, eph, nil, proto.FlagEphemeral, proto.OpenACLUnsafe)
		require.NoError(t, err)
		id, pw := c.SessionID(), c.Passwd()
		c.Drop() // the last touch was at or before now
		return id, pw, time.Now()
	}
	// resumeLate resumes through a slow link whose gate opens at at.
	resumeLate := func(id int64, pw []byte, at time.Time) (*client.Conn, error) {
		link := startSlowLink(t, tg.addr)
		type dialed struct {
			c   *client.Conn
			err error
		}
		dc := make(chan dialed, 1)
		go func() {
			c, err := client.Dial(ctx, link.Addr(), client.WithSession(id, pw), client.WithSessionTimeout(expiryTimeout))
			dc <- dialed{c, err}
		}()
		time.Sleep(time.Until(at)) // the link's latency: part of the scenario, not synchronisation
		link.Open()
		d := <-dc
		return d.c, d.err
	}

	// 1. A connect request that reaches the server after the session's
	// bucket expired is answered expired, and the expiry is never early:
	// not before the timeout has passed since the last touch, and within
	// a tick (plus the close's own time) after it.
	id, pw, dropped := newSession("/slow-expired")
	zktesting.Eventually(t, 30*time.Second, func() bool { return !exists("/slow-expired") }, tg.name+": the session expires")
	gone := time.Since(dropped)
	require.GreaterOrEqual(t, gone, expiryTimeout-expiryTimeout/3, "%s expired the session early", tg.name)
	require.Less(t, gone, expiryTimeout+expiryTick+zktesting.Scale(2*time.Second), "%s expired the session late", tg.name)
	_, err = resumeLate(id, pw, time.Now())
	require.ErrorIs(t, err, proto.ErrSessionExpired, "%s: a resume after expiry", tg.name)
	got = append(got, "late connect after expiry: expired")

	// 2. A connect request delayed by half the timeout resumes the
	// session, and that resume moves its deadline: a tick and a half after
	// the first deadline's latest bucket the ephemeral is still there and
	// the session resumes again.
	id, pw, dropped = newSession("/slow-resumed")
	c, err := resumeLate(id, pw, dropped.Add(expiryTimeout/2))
	require.NoError(t, err, "%s: a resume half a timeout late", tg.name)
	require.Equal(t, id, c.SessionID())
	c.Drop()
	// The first deadline's bucket is at most dropped+timeout+tick; the
	// resume's at least resumed+timeout = dropped+1.5 timeouts.
	time.Sleep(time.Until(dropped.Add(expiryTimeout + expiryTick + expiryTick/2))) // scenario time
	require.True(t, exists("/slow-resumed"), "%s: the resume did not move the deadline", tg.name)
	c, err = client.Dial(ctx, tg.addr, client.WithSession(id, pw), client.WithSessionTimeout(expiryTimeout))
	require.NoError(t, err, "%s: a resume after the first deadline", tg.name)
	got = append(got, "late connect before expiry: resumed; deadline moved: resumed again")
	require.NoError(t, c.Close())
	return got
}

// TestSessionExpiryOverSlowLinkAsJava runs the slow-link script against
// Java ZooKeeper 3.8 and zkit, both standalone with tickTime 1 s, and
// compares what each step gave.
func TestSessionExpiryOverSlowLinkAsJava(t *testing.T) {
	var java, zkit []string
	t.Run("zkit", func(t *testing.T) {
		s := zktesting.StartServer(t, zktesting.WithTickTime(expiryTick))
		zkit = expiryScript(t, expiryTarget{name: "zkit", addr: s.Addr()})
	})
	t.Run("java", func(t *testing.T) {
		js, err := clienttest.StartJavaServer(t.TempDir(), "tickTime=1000")
		if errors.Is(err, clienttest.ErrNoJava) {
			t.Skip(err.Error())
		}
		require.NoError(t, err)
		t.Cleanup(js.Stop)
		java = expiryScript(t, expiryTarget{name: "java", addr: js.Addr})
	})
	if java != nil && zkit != nil {
		require.Equal(t, java, zkit)
	}
}
