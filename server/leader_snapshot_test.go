package server_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/client"
	"github.com/zkit-go/zkit/internal/proto"
	"github.com/zkit-go/zkit/server"
	zktesting "github.com/zkit-go/zkit/testing"
)

// newestSnapshotZxid is the zxid of the newest snapshot.<hex> in a
// member's dataDir (-1 if none).
func newestSnapshotZxid(t *testing.T, dataDir string) int64 {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(dataDir, "version-2"))
	require.NoError(t, err)
	newest := int64(-1)
	for _, e := range ents {
		h, ok := strings.CutPrefix(e.Name(), "snapshot.")
		if !ok {
			continue
		}
		if z, err := strconv.ParseInt(h, 16, 64); err == nil {
			newest = max(newest, z)
		}
	}
	return newest
}

var replayedRe = regexp.MustCompile(`txns_replayed=(\d+)`)

// A member that starts leading writes a snapshot of the history it leads
// from, as ZooKeeper's leader does (Leader.lead → loadData → takeSnapshot).
// Without it a leader's dataDir held only its older snapshot, and a restart
// on it (of Java, when a migration is rolled back, or of zkit) replayed
// every txn since: a Java member that took over a zkit leader's dataDir
// loaded the whole migration's history before its client port served,
// holding clients that tried it meanwhile (its port is bound before the
// load), which lengthened the rollback's leader step.
func TestLeaderSnapshotsWhenItStartsLeading(t *testing.T) {
	const writes = 300
	dirs := map[int64]string{}
	logs := newMemberLogs()
	ens := zktesting.StartEnsemble(t, 3, logs.option(), zktesting.WithMemberConfig(func(id int64, c *server.Config) {
		dirs[id] = c.DataDir
	}))
	old := ens.WaitLeader(timeout(30 * time.Second))

	ctx := context.Background()
	var survivor string
	for _, m := range followersOf(ens, old) {
		survivor = m.Addr()
	}
	c, err := client.Dial(ctx, survivor, client.WithSessionTimeout(20*time.Second))
	require.NoError(t, err)
	for i := 0; i < writes; i++ {
		_, err := c.Create(ctx, fmt.Sprintf("/s%03d", i), nil, 0, proto.OpenACLUnsafe)
		require.NoError(t, err)
	}
	st, err := c.Exists(ctx, fmt.Sprintf("/s%03d", writes-1), false)
	require.NoError(t, err)
	last := st.Mzxid
	c.Close()

	old.Stop()
	var leader *zktesting.Member
	zktesting.Eventually(t, timeout(30*time.Second), func() bool {
		leader = ens.Leader()
		return leader != nil && leader != old
	}, "the others elect a leader")
	zktesting.Eventually(t, timeout(30*time.Second), func() bool {
		return newestSnapshotZxid(t, dirs[leader.ID]) >= last
	}, fmt.Sprintf("member %d, leading, has a snapshot of its history (0x%x)", leader.ID, last))

	// Restarted on that dataDir, it replays this epoch's txns only.
	logs.forget()
	leader.Restart()
	var replayed []string
	zktesting.Eventually(t, timeout(30*time.Second), func() bool {
		replayed = logs.grep(leader.ID, "database loaded")
		return len(replayed) > 0
	}, "the restarted member loads its database")
	m := replayedRe.FindStringSubmatch(replayed[0])
	require.NotNil(t, m, replayed[0])
	n, err := strconv.Atoi(m[1])
	require.NoError(t, err)
	assert.Less(t, n, writes, "the restart replayed the txns before the leader's snapshot: %s", replayed[0])
}
