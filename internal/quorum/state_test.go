package quorum

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestStateStrings(t *testing.T) {
	// The names the peer logs; a serving state's is srvr's Mode.
	for s, want := range map[State]string{
		Looking: "looking", Leading: "leading", Following: "following", Observing: "observing",
		Leader: "leader", Follower: "follower", Observer: "observer", ReadOnly: "read-only",
		State(-1): "unknown", ReadOnly + 1: "unknown",
	} {
		assert.Equal(t, want, s.String())
	}
	var zero State
	assert.Equal(t, Looking, zero, "a new peer looks")
}
