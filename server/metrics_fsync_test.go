package server_test

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/stretchr/testify/require"

	zktesting "github.com/zkit-go/zkit/testing"
)

// mntrInts reads a member's mntr as numbers by key.
func mntrInts(t *testing.T, addr string) map[string]int64 {
	t.Helper()
	vals := map[string]int64{}
	for _, l := range parseMntr(t, fourLetter(t, addr, "mntr")) {
		if v, err := strconv.ParseInt(l.value, 10, 64); err == nil {
			vals[l.key] = v
		}
	}
	return vals
}

// TestEnsembleMntrFsyncTime: every member's log reports its group commit
// as standalone's does (Java's SyncRequestProcessor, in every mode): the
// fsync time and batch size summaries count each fsync, and the requests
// queued to the log count each txn, on the leader and on the followers.
func TestEnsembleMntrFsyncTime(t *testing.T) {
	ens := zktesting.StartEnsemble(t, 3)
	require.NotNil(t, ens.WaitLeader(zktesting.Scale(30*time.Second)))
	c, _ := connectTo(t, ens.Servers())
	const writes = 20
	for i := 0; i < writes; i++ {
		_, err := c.Create(fmt.Sprintf("/fsync-%d", i), []byte("v"), 0, zk.WorldACL(zk.PermAll))
		require.NoError(t, err)
	}
	for _, m := range ens.Members {
		zktesting.Eventually(t, 30*time.Second, func() bool {
			v := mntrInts(t, m.Addr())
			return v["zk_cnt_fsynctime"] > 0 && v["zk_cnt_sync_processor_batch_size"] == v["zk_cnt_fsynctime"] &&
				v["zk_sync_processor_request_queued"] >= writes && v["zk_max_sync_processor_batch_size"] >= 1
		}, fmt.Sprintf("member %d reports its log's fsyncs in mntr", m.ID))
	}
}
