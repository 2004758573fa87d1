package server_test

import (
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/server"
	zktesting "github.com/zkit-go/zkit/testing"
)

// TestEnsembleSurvivesLosingOneFollower: with one of three members gone the
// others keep their roles, and a client on the remaining follower keeps
// its connection.
func TestEnsembleSurvivesLosingOneFollower(t *testing.T) {
	ens := zktesting.StartEnsemble(t, 3)
	leader := ens.WaitLeader(30 * time.Second)
	var followers []*zktesting.Member
	for _, m := range ens.Members {
		if m != leader {
			followers = append(followers, m)
		}
	}
	c, ev := connectTo(t, []string{followers[1].Addr()})
	_, err := c.Create("/before", nil, 0, openACL)
	require.NoError(t, err)
	followers[0].Stop()
	for i := 0; i < 20; i++ {
		_, err := c.Create("/after", nil, 0, openACL)
		if i == 0 {
			require.NoError(t, err)
		}
	}
	assert.Equal(t, server.RoleLeader, leader.Role())
	assert.Equal(t, server.RoleFollower, followers[1].Role())
	select {
	case e := <-ev:
		if e.Type == zk.EventSession {
			assert.NotEqual(t, zk.StateDisconnected, e.State, "the client on the remaining follower was disconnected")
		}
	default:
	}
}
