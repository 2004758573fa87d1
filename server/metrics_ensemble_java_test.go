package server_test

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/client/clienttest"
	"github.com/zkit-go/zkit/internal/metrics"
	zktesting "github.com/zkit-go/zkit/testing"
)

// txnDigestSize is the TxnDigest (version int, digest long) Java appends
// to each PROPOSAL body; zkit's proposals carry none, so Java's proposal
// sizes are this much larger for the same txns.
const txnDigestSize = 12

var perNamespaceStat = regexp.MustCompile(`^zk_(cnt|sum|min|max)_.+_(read|write)_per_namespace$`)

// ensembleMntr runs mntrWorkload on an ensemble's leader, waits until the
// follower F has received every commit, and returns the leader's and F's
// mntr.
func ensembleMntr(t *testing.T, tg *ensTarget) (leader, follower map[string]string, order [2][]string) {
	t.Helper()
	tg.assignRoles(t)
	c := mntrWorkload(t, tg.roleAddr("L"))
	t.Cleanup(func() { _ = c.Close() })
	read := func(role string) (map[string]string, []string) {
		vals := map[string]string{}
		var keys []string
		for _, l := range parseMntr(t, clienttest.FourLetter(tg.roleAddr(role), "mntr")) {
			vals[l.key] = l.value
			keys = append(keys, l.key)
		}
		return vals, keys
	}
	zktesting.Eventually(t, 30*time.Second, func() bool {
		leader, order[0] = read("L")
		follower, order[1] = read("F")
		return leader["zk_commit_count"] != "" && leader["zk_commit_count"] == follower["zk_learner_commit_received_count"]
	}, tg.name+": the follower received every commit")
	return leader, follower, order
}

// TestMntrEnsembleMatchesJava runs one workload on the leader of a Java
// ZooKeeper 3.8 ensemble and of a zkit ensemble (3 members each) and
// compares mntr on the leader and on a follower: zkit prints Java's keys
// in Java's order, leaving out exactly the Omitted metrics and the
// quorum-pipeline ones it does not measure yet (ZeroStandalone), and
// agrees on the role gauges and the counts the workload fixes.
func TestMntrEnsembleMatchesJava(t *testing.T) {
	je := startJava(t, nil, nil)
	java := newJavaTarget(je)
	ze := zktesting.StartEnsemble(t, 3)
	zkit := newZkitTarget(ze)

	jl, jf, jorder := ensembleMntr(t, java)
	zl, zf, zorder := ensembleMntr(t, zkit)

	for i, role := range []string{"leader", "follower"} {
		jv, zv := []map[string]string{jl, jf}[i], []map[string]string{zl, zf}[i]
		pos := map[string]int{}
		for p, k := range jorder[i] {
			pos[k] = p
		}
		last := -1
		for _, k := range zorder[i] {
			p, ok := pos[k]
			if !assert.True(t, ok, "%s: zkit key %s is not in Java's mntr", role, k) {
				continue
			}
			assert.Greater(t, p, last, "%s: %s out of Java's order", role, k)
			last = p
		}
		for _, k := range jorder[i][2:] {
			if k == "zk_peer_state" {
				assert.Equal(t, jv[k], zv[k], "%s: %s", role, k)
				continue
			}
			d, ok := javaDef(k)
			if !assert.True(t, ok, "%s: Java key %s is not in metrics.Java38", role, k) {
				continue
			}
			_, have := zv[k]
			want := d.Status != metrics.Omitted && d.Status != metrics.ZeroStandalone
			assert.Equal(t, want, have, "%s: %s (status %v) reported iff measured", role, k, d.Status)
			if d.Status == metrics.ZeroAlways {
				assert.Equal(t, jv[k], zv[k], "%s: %s", role, k)
			}
		}
		// Counts the workload and the ensemble's shape fix.
		for _, k := range []string{"zk_server_state", "zk_peer_state", "zk_quorum_size", "zk_znode_count",
			"zk_ephemerals_count", "zk_proposal_count", "zk_commit_count", "zk_learner_proposal_received_count",
			"zk_learner_commit_received_count", "zk_learners", "zk_synced_followers",
			"zk_synced_non_voting_followers", "zk_synced_observers", "zk_pending_syncs",
			"zk_cnt_follower_sync_time", "zk_cnt_observer_sync_time",
			"zk_cnt_node_created_watch_count", "zk_sum_node_created_watch_count", "zk_cnt_node_deleted_watch_count",
			"zk_sum_node_deleted_watch_count", "zk_cnt_node_changed_watch_count", "zk_sum_node_changed_watch_count",
			"zk_cnt_node_children_watch_count", "zk_sum_node_children_watch_count", "zk_revalidate_count",
			"zk_cnt_quorum_ack_latency", "zk_cnt_commit_propagation_latency", "zk_cnt_proposal_ack_creation_latency",
			"zk_cnt_proposal_latency", "zk_watch_bytes"} {
			assert.Equal(t, jv[k], zv[k], "%s: %s", role, k)
		}
		// Bytes read (leader) and written (every member applies) per
		// namespace: the same requests, the same numbers.
		// A learner rewrites /zookeeper/config at each sync, so a
		// member's "zookeeper" writes count its syncs: timing, not workload.
		nsKeys := 0
		for k, v := range jv {
			if perNamespaceStat.MatchString(k) && !(role == "follower" && strings.Contains(k, "_zookeeper_write_")) {
				nsKeys++
				assert.Equal(t, v, zv[k], "%s: %s", role, k)
			}
		}
		assert.Positive(t, nsKeys, "%s: Java reports bytes per namespace", role)
		for _, v := range []map[string]string{jv, zv} {
			assert.GreaterOrEqual(t, atoi(t, v["zk_looking_count"]), int64(1), "%s: looked for a leader", role)
			assert.GreaterOrEqual(t, atoi(t, v["zk_cnt_election_time"]), int64(1), "%s: an election decided", role)
			assert.GreaterOrEqual(t, atoi(t, v["zk_cnt_unavailable_time"]), int64(1), "%s: unavailable until it served", role)
			if role == "follower" {
				assert.Equal(t, "0", v["zk_cnt_leader_unavailable_time"], "a follower that never led")
			}
		}
	}
	assert.Equal(t, "27", jl["zk_proposal_count"], "the workload's txns") // not a tautology: both sides must agree too
	// The leader synced both followers, by DIFF or SNAP depending on timing.
	for _, v := range []map[string]string{jl, zl} {
		assert.Equal(t, int64(2), atoi(t, v["zk_diff_count"])+atoi(t, v["zk_snap_count"]), "learners synced")
		assert.Positive(t, atoi(t, v["zk_leader_uptime"]))
	}
	for _, k := range []string{"zk_last_proposal_size", "zk_min_proposal_size", "zk_max_proposal_size"} {
		assert.Equal(t, atoi(t, jl[k]), atoi(t, zl[k])+txnDigestSize, "%s: same txns, Java's carry a TxnDigest", k)
	}
}

func atoi(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	require.NoError(t, err, "%q", s)
	return n
}
