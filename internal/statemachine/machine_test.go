package statemachine_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/datatree"
	"github.com/zkit-go/zkit/internal/jute"
	"github.com/zkit-go/zkit/internal/proto"
	"github.com/zkit-go/zkit/internal/statemachine"
)

// A txn built at prep and the same txn decoded from its entry are equal,
// and the entry is the log's encoding (EncodeTxnEntry).
func TestTxnEncodesOnceAndDecodesBack(t *testing.T) {
	hdr := proto.TxnHeader{ClientID: 7, Cxid: 3, Zxid: 0x100000001, Time: 1234, Type: proto.OpSetData}
	rec := &proto.SetDataTxn{Path: "/a", Data: []byte("x"), Version: 2}
	built := statemachine.NewTxn(hdr, rec)
	got, err := statemachine.Decode(built.Entry)
	require.NoError(t, err)
	assert.Equal(t, hdr, got.Hdr)
	assert.Equal(t, rec, got.Record)
	assert.Equal(t, built.Entry, got.Entry)
	assert.Nil(t, got.Origin)

	_, err = statemachine.Decode(built.Entry[:10])
	require.Error(t, err)
}

// Apply keeps the tree and the committed sessions together: a session is
// recorded when its createSession applies, dropped with its closeSession
// (its ephemerals with it), and a snapshot sees both at one zxid.
func TestMachineAppliesTxnsAndSessions(t *testing.T) {
	m := statemachine.New(datatree.New(), map[int64]int32{1: 4000})
	zxid := int64(0)
	apply := func(session int64, typ proto.OpCode, rec jute.Record) datatree.Result {
		zxid++
		return m.Apply(statemachine.NewTxn(proto.TxnHeader{ClientID: session, Zxid: zxid, Time: 1, Type: typ}, rec))
	}
	apply(2, proto.OpCreateSession, &proto.CreateSessionTxn{TimeOut: 6000})
	res := apply(2, proto.OpCreate, &proto.CreateTxn{Path: "/e", ACL: proto.OpenACLUnsafe, Ephemeral: true, ParentCVersion: 1})
	require.Equal(t, proto.OK, res.Err)
	sessions, last, tree := m.Snapshot()
	assert.Equal(t, map[int64]int32{1: 4000, 2: 6000}, sessions)
	assert.Equal(t, zxid, last)
	_, ok := tree.Lookup("/e")
	assert.True(t, ok)

	apply(2, proto.OpCloseSession, &proto.CloseSessionTxn{Paths2Delete: []string{"/e"}})
	sessions, last, tree = m.Snapshot()
	assert.Equal(t, map[int64]int32{1: 4000}, sessions)
	assert.Equal(t, zxid, last)
	_, ok = tree.Lookup("/e")
	assert.False(t, ok)

	// Reset (a SNAP sync) replaces both; the caller's map is not shared.
	fresh := map[int64]int32{9: 5000}
	m.Reset(datatree.New(), fresh)
	fresh[10] = 1
	sessions, _, _ = m.Snapshot()
	assert.Equal(t, map[int64]int32{9: 5000}, sessions)
}
