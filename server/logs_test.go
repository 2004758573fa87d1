package server_test

import (
	"bytes"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/server"
	zktesting "github.com/zkit-go/zkit/testing"
)

// syncBuffer is a bytes.Buffer several members' loggers write to.
type syncBuffer struct {
	mu sync.Mutex // guards b
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var logKey = regexp.MustCompile(`(?:^| )([A-Za-z_][A-Za-z0-9_.]*)=`)

// TestLogAttributesOnce: an ensemble's election, leadership and a lost
// leader log each attribute once a line (myid was logged twice), and a
// lost leader says which leader and what happens next.
func TestLogAttributesOnce(t *testing.T) {
	var out syncBuffer
	ens := zktesting.StartEnsemble(t, 3, zktesting.WithMemberConfig(func(id int64, c *server.Config) {
		c.Logger = slog.New(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}))
	leader := ens.WaitLeader(zktesting.Scale(30 * time.Second))
	require.NotNil(t, leader)
	leader.Stop()
	ens.WaitLeader(zktesting.Scale(30 * time.Second))

	logs := out.String()
	lines := strings.Split(strings.TrimSpace(logs), "\n")
	require.NotEmpty(t, lines)
	for _, l := range lines {
		// Values may be quoted and contain "k=v"; look at keys outside quotes.
		unquoted := regexp.MustCompile(`"(?:[^"\\]|\\.)*"`).ReplaceAllString(l, `""`)
		seen := map[string]bool{}
		for _, m := range logKey.FindAllStringSubmatch(unquoted, -1) {
			assert.False(t, seen[m[1]], "attribute %s twice in %q", m[1], l)
			seen[m[1]] = true
		}
	}
	assert.Regexp(t, `msg="lost the connection to the leader: this member stops serving clients and looks for a leader" myid=\d+ leader=\d+ addr=`, logs)
}
