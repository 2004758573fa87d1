package txnlog

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/proto"
	"github.com/zkit-go/zkit/internal/vfs"
)

// A top-level check txn (as Java before 3.9.3 logs one) stops the replay
// with an error that names the txn and says what the operator can do.
func TestUnreplayableTxnNamed(t *testing.T) {
	m := newMem(t)
	w := NewWriter(Options{FS: m, Dir: dir, PreAllocSize: -1})
	appendN(t, w, 1, 2)
	check := &proto.TxnHeader{ClientID: 0x1000, Cxid: 3, Zxid: 3, Time: 1700000000003, Type: proto.OpCheck}
	require.NoError(t, w.Append(check, &proto.CheckVersionTxn{Path: "/n1", Version: 1}, nil))
	appendN(t, w, 4, 4)
	require.NoError(t, w.Sync())
	require.NoError(t, w.Close())

	got, err := readAll(t, m, 1)
	assert.Equal(t, seq(1, 2), got, "the txns before the bad one are read")
	require.ErrorIs(t, err, ErrCorrupt)
	require.ErrorIs(t, err, proto.ErrUnknownTxn)
	for _, want := range []string{"zxid 0x3", "type check", "session 0x1000", "truncate the log before zxid 0x3", "--chop --zxid 0x2", "restore a backup"} {
		assert.Contains(t, err.Error(), want)
	}
}

// A process killed after a new log file is grown but before its entries
// are written leaves a file that reads as an empty log, never one of
// zeros (a bad magic number that stops the next start).
func TestKilledAfterPreallocationReadsEmpty(t *testing.T) {
	m := newMem(t)
	writes := 0
	m.SetInjector(func(op vfs.Op, name string) error {
		if op == vfs.OpWrite && strings.Contains(name, Prefix) {
			writes++
			if writes == 2 { // the write after the file first grows: the process dies here
				return vfs.ErrInjected
			}
		}
		return nil
	})
	w := NewWriter(Options{FS: m, Dir: dir, PreAllocSize: 4096})
	h, r := txn(1)
	require.NoError(t, w.Append(h, r, nil))
	require.Error(t, w.Sync())
	m.SetInjector(nil)

	got, err := readAll(t, m, 1)
	require.NoError(t, err)
	assert.Empty(t, got)
}
