package election

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"

	"github.com/go-zookeeper/zk"
	"github.com/zkit-go/zkit/recipes"
)

// Errors returned by this package.
var (
	// ErrClosed is returned by a Latch or Selector after Close.
	ErrClosed = errors.New("election: closed")
	// ErrStarted is returned by a second Start.
	ErrStarted = errors.New("election: already started")
	// ErrNoLeader is returned by LeaderID when nobody takes part.
	ErrNoLeader = errors.New("election: no leader")
)

// SuspendPolicy says what a participant does with leadership while the
// client is Suspended (connection gone, session maybe still alive).
type SuspendPolicy int

const (
	// DropOnSuspend gives leadership up as soon as the client is
	// Suspended, and takes it back after Reconnected if our node is still
	// first (Curator's default, its StandardConnectionStateErrorPolicy).
	// With it, an old leader stops believing it leads before the server
	// can expire its session and let another take over.
	DropOnSuspend SuspendPolicy = iota
	// KeepUntilLost keeps leadership through Suspended and gives it up
	// only on Lost (Curator's SessionConnectionStateErrorPolicy). A short
	// network blip then does not move leadership, but an old leader may
	// believe it leads for up to about one session timeout after the
	// server expired its session and a new leader was chosen.
	KeepUntilLost
)

func (p SuspendPolicy) String() string {
	switch p {
	case DropOnSuspend:
		return "drop-on-suspend"
	case KeepUntilLost:
		return "keep-until-lost"
	}
	return "SuspendPolicy(" + strconv.Itoa(int(p)) + ")"
}

// Option configures a Latch or a Selector.
type Option func(*config)

type config struct {
	policy    SuspendPolicy
	requeue   bool
	closeMode CloseMode
}

// CloseMode says whether a Latch's listeners hear that leadership ended
// when the latch is closed (Curator's LeaderLatch.CloseMode).
type CloseMode int

const (
	// NotifyLeader: a leader's listeners are called with false when it is
	// closed (Curator's NOTIFY_LEADER). zkit's default.
	NotifyLeader CloseMode = iota
	// Silent: listeners are removed before leadership is dropped, so
	// Close calls none of them (Curator's SILENT, Curator's default).
	// Leader and NotLeader still change.
	Silent
)

func (m CloseMode) String() string {
	switch m {
	case NotifyLeader:
		return "notify-leader"
	case Silent:
		return "silent"
	}
	return "CloseMode(" + strconv.Itoa(int(m)) + ")"
}

// WithCloseMode sets a Latch's default CloseMode (NotifyLeader unless
// given). Selector ignores it.
func WithCloseMode(m CloseMode) Option {
	return func(c *config) { c.closeMode = m }
}

// WithSuspendPolicy sets what happens to leadership on Suspended
// (default DropOnSuspend).
func WithSuspendPolicy(p SuspendPolicy) Option {
	return func(c *config) { c.policy = p }
}

// WithAutoRequeue makes a Selector compete again each time its function
// returns or its leadership ends (Curator's autoRequeue). Latch ignores it:
// a latch always competes until closed.
func WithAutoRequeue() Option {
	return func(c *config) { c.requeue = true }
}

func newConfig(opts []Option) config {
	var c config
	for _, o := range opts {
		o(&c)
	}
	return c
}

// Participant is one contender in an election.
type Participant struct {
	ID     string // the id given to NewLatch or NewSelector (the node's data)
	Node   string // its node's path
	Leader bool   // first in line
}

const seqLen = 10

// sortContenders keeps names ending in a sequence number, sorted by it.
func sortContenders(kids []string) []string {
	out := make([]string, 0, len(kids))
	for _, k := range kids {
		if len(k) >= seqLen {
			if _, err := strconv.ParseUint(k[len(k)-seqLen:], 10, 64); err == nil {
				out = append(out, k)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i][len(out[i])-seqLen:], out[j][len(out[j])-seqLen:]
		if a != b {
			return a < b
		}
		return out[i] < out[j]
	})
	return out
}

// participants reads the contenders under dir, in line order.
func participants(ctx context.Context, c *recipes.Client, dir string) ([]Participant, error) {
	kids, _, err := c.Children(ctx, dir)
	if errors.Is(err, zk.ErrNoNode) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("election: list %s: %w", dir, err)
	}
	var out []Participant
	for _, k := range sortContenders(kids) {
		p := recipes.JoinPath(dir, k)
		data, _, err := c.Get(ctx, p)
		if errors.Is(err, zk.ErrNoNode) {
			continue // gone meanwhile
		}
		if err != nil {
			return nil, fmt.Errorf("election: read %s: %w", p, err)
		}
		out = append(out, Participant{ID: string(data), Node: p, Leader: len(out) == 0})
	}
	return out, nil
}

func leaderID(ctx context.Context, c *recipes.Client, dir string) (string, error) {
	ps, err := participants(ctx, c, dir)
	if err != nil {
		return "", err
	}
	if len(ps) == 0 {
		return "", ErrNoLeader
	}
	return ps[0].ID, nil
}
