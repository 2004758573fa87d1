package server_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/client"
	"github.com/zkit-go/zkit/internal/proto"
	"github.com/zkit-go/zkit/server"
	zktesting "github.com/zkit-go/zkit/testing"
)

// resumeOutcome counts what resuming a session on one member gave.
type resumeOutcome struct {
	ok, refused, expired atomic.Int64
}

// hammerResumes resumes every session on every member over and over (a
// fresh connection each time, dropped without closing the session) until
// the returned stop is called (the test's cleanup calls it too), counting
// outcomes per member. A refused connection (the member is between roles)
// is fine; an expired answer is the bug.
func hammerResumes(t *testing.T, members []*zktesting.Member, sessions []*client.Conn) (map[int64]*resumeOutcome, func()) {
	t.Helper()
	stopCh := make(chan struct{})
	var once sync.Once
	stop := func() { once.Do(func() { close(stopCh) }) }
	out := make(map[int64]*resumeOutcome)
	for _, m := range members {
		out[m.ID] = &resumeOutcome{}
	}
	var wg sync.WaitGroup
	for _, m := range members {
		for _, s := range sessions {
			wg.Add(1)
			go func() {
				defer wg.Done()
				o := out[m.ID]
				for {
					select {
					case <-stopCh:
						return
					default:
					}
					ctx, cancel := context.WithTimeout(context.Background(), timeout(5*time.Second))
					c, err := client.Dial(ctx, m.Addr(), client.WithSession(s.SessionID(), s.Passwd()),
						client.WithSessionTimeout(s.Timeout()))
					if err == nil {
						_, err = c.Exists(ctx, "/", false)
						c.Drop()
						if err == nil {
							o.ok.Add(1)
						}
					}
					cancel()
					switch {
					case errors.Is(err, proto.ErrSessionExpired):
						o.expired.Add(1)
						t.Errorf("member %d answered session 0x%x as expired", m.ID, s.SessionID())
					case err != nil:
						o.refused.Add(1)
					}
					time.Sleep(5 * time.Millisecond) // pacing, not synchronisation
				}
			}()
		}
	}
	t.Cleanup(func() {
		stop()
		wg.Wait()
	})
	return out, stop
}

// TestSessionsSurviveLeaderRemoval is the go-zookeeper reconfig case as a
// script: a reconfig removes the leader, the designated member takes over
// (the old leader follows it), and all the while clients resume their
// sessions on every member. No member may call a live session expired, the
// reconfig's client gets its answer, and afterwards every session resumes
// everywhere and its ephemeral is still there.
func TestSessionsSurviveLeaderRemoval(t *testing.T) {
	for round := 0; round < 3; round++ {
		t.Run(strconv.Itoa(round), func(t *testing.T) {
			ens := zktesting.StartEnsemble(t, 3, reconfigOpts())
			leader := ens.WaitLeader(timeout(30 * time.Second))
			ctx, cancel := context.WithTimeout(context.Background(), timeout(60*time.Second))
			defer cancel()
			// One session created on each member, each with an ephemeral.
			var sessions []*client.Conn
			for _, m := range ens.Members {
				c, err := client.Dial(ctx, m.Addr(), client.WithSessionTimeout(4*time.Second))
				require.NoError(t, err)
				t.Cleanup(c.Drop)
				_, err = c.Create(ctx, fmt.Sprintf("/eph%d", m.ID), nil, proto.FlagEphemeral, proto.OpenACLUnsafe)
				require.NoError(t, err)
				sessions = append(sessions, c)
			}
			for _, c := range sessions {
				c.Drop() // the sessions live on; the hammer resumes them
			}
			counts, stop := hammerResumes(t, ens.Members, sessions)

			// The reconfig goes through a member that is not the leader,
			// so its reply comes after the member's own role change.
			var via *zktesting.Member
			for _, m := range ens.Members {
				if m.ID != leader.ID {
					via = m
					break
				}
			}
			rc := superConn(t, []string{via.Addr()})
			_, err := rc.IncrementalReconfig(nil, []string{strconv.FormatInt(leader.ID, 10)}, -1)
			require.NoError(t, err, "the reconfig's answer must reach its client")

			waitFor(t, 30*time.Second, "the old leader to follow", func() bool {
				return leader.Role() == server.RoleFollower
			})
			// Keep resuming until every member has served resumes after
			// the handover.
			base := make(map[int64]int64)
			for id, o := range counts {
				base[id] = o.ok.Load()
			}
			waitFor(t, 30*time.Second, "resumes on every member after the handover", func() bool {
				for id, o := range counts {
					if o.ok.Load() < base[id]+int64(2*len(sessions)) {
						return false
					}
				}
				return true
			})
			stop()
			for id, o := range counts {
				t.Logf("member %d: %d resumed, %d refused, %d expired", id, o.ok.Load(), o.refused.Load(), o.expired.Load())
				require.Zero(t, o.expired.Load(), "member %d", id)
			}
			// Every session still lives: its ephemeral is there.
			w, _ := connectTo(t, ens.Servers())
			for _, m := range ens.Members {
				ok, _, err := w.Exists(fmt.Sprintf("/eph%d", m.ID))
				require.NoError(t, err)
				require.True(t, ok, "ephemeral of the session created on member %d", m.ID)
			}
		})
	}
}
