package quorum

import (
	"io"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/datatree"
	"github.com/zkit-go/zkit/internal/engine"
	"github.com/zkit-go/zkit/internal/proto"
	"github.com/zkit-go/zkit/internal/statemachine"
	"github.com/zkit-go/zkit/internal/zab"
)

// Committed entries come back typed: a leader's own proposal as the very
// txn its engine handed over (with the request it answers), anything else
// decoded from its bytes. Applied with no engine serving, they change the
// tree and the committed sessions together, which is what snapshots see.
func TestCommittedEntriesComeBackTypedAndApplyOnce(t *testing.T) {
	tree := datatree.New()
	p := &Peer{log: slog.New(slog.NewTextHandler(io.Discard, nil)), sm: statemachine.New(tree, nil)}

	session := statemachine.NewTxn(proto.TxnHeader{ClientID: 5, Zxid: 1, Time: 1, Type: proto.OpCreateSession},
		&proto.CreateSessionTxn{TimeOut: 6000})
	session.Origin = "the engine's request"
	p.proposed = map[int64]*engine.Txn{1: session}
	create := statemachine.NewTxn(proto.TxnHeader{ClientID: 5, Cxid: 1, Zxid: 2, Time: 1, Type: proto.OpCreate},
		&proto.CreateTxn{Path: "/e", ACL: proto.OpenACLUnsafe, Ephemeral: true, ParentCVersion: 1})
	entries := []zab.Entry{{Zxid: 1, Data: session.Entry}, {Zxid: 2, Data: create.Entry}}

	txns, err := p.committedTxns(entries)
	require.NoError(t, err)
	require.Len(t, txns, 2)
	assert.Same(t, session, txns[0], "the leader's proposal comes back as proposed")
	assert.Empty(t, p.proposed, "a committed proposal is forgotten")
	assert.Nil(t, txns[1].Origin, "another member's txn is decoded from its bytes")
	assert.Equal(t, create.Hdr, txns[1].Hdr)

	require.NoError(t, p.applyCommitted(nil, entries, txns))
	sessions, zxid, _ := p.SnapshotState()
	assert.Equal(t, map[int64]int32{5: 6000}, sessions)
	assert.Equal(t, int64(2), zxid)
	_, ok := tree.Lookup("/e")
	assert.True(t, ok)
	assert.Len(t, p.history, 2, "committed entries are kept for DIFF")

	_, err = p.committedTxns([]zab.Entry{{Zxid: 3, Data: []byte{1, 2, 3}}})
	require.Error(t, err, "a committed entry that does not decode is fatal")
}
