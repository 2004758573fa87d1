package quorum

import (
	"io"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/datatree"
	"github.com/zkit-go/zkit/internal/jute"
	"github.com/zkit-go/zkit/internal/proto"
	"github.com/zkit-go/zkit/internal/zab"
	"github.com/zkit-go/zkit/internal/zkdb"
)

// A member synced by SNAP keeps a txn log that begins after the snapshot.
// When it leads, a learner whose last txn is older than that log (a new
// member at zxid 0) must get a SNAP: a DIFF from the log would skip every
// txn before it. (A Java member that joined a zkit-led ensemble by reconfig
// was synced so, without the sessions and nodes older than the leader's
// log, and when it led, those sessions were expired.)
func TestDiskHistoryRefusesALogThatBeginsAfterTheLearner(t *testing.T) {
	dir := t.TempDir()
	db, err := zkdb.Open(zkdb.Config{DataDir: dir, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	snapAt := zab.MakeZxid(1, 0x237)
	require.NoError(t, db.InstallSnapshot(datatree.New(), map[int64]int32{7: 4000}, snapAt))
	for z := snapAt + 1; z <= snapAt+3; z++ {
		var enc jute.Encoder
		hdr := proto.TxnHeader{ClientID: 7, Cxid: int32(z), Zxid: z, Time: 1, Type: proto.OpCreate}
		proto.EncodeTxnEntry(&enc, &hdr, &proto.CreateTxn{Path: "/n" + string(rune('a'+z-snapAt)), ACL: proto.OpenACLUnsafe, ParentCVersion: 1}, nil)
		require.NoError(t, db.AppendRaw(z, enc.Bytes()))
	}
	require.NoError(t, db.SyncRaw())
	h := diskHistory{db}

	require.Nil(t, h.From(0), "a new member must not be sent a DIFF from a log that begins at 0x%x", snapAt+1)
	plan := zab.PlanSync(0, snapAt+3, nil, h, false)
	require.Equal(t, zab.ModeSnap, plan.Mode)

	// A learner inside the log still gets a DIFF of what it lacks.
	es := h.From(snapAt + 1)
	require.NotEmpty(t, es)
	require.Equal(t, snapAt+1, es[0].Zxid)
	plan = zab.PlanSync(snapAt+1, snapAt+3, nil, h, false)
	require.Equal(t, zab.ModeDiff, plan.Mode)
	require.Len(t, plan.Proposals, 2)
}
