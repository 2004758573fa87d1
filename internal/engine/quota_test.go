package engine

import (
	"io"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/datatree"
	"github.com/zkit-go/zkit/internal/proto"
)

// quotaTree builds a tree with /q holding two nodes of 3 bytes each and a
// quota on /q with the given limits text.
func quotaTree(t *testing.T, limits string) *datatree.Tree {
	t.Helper()
	tree := datatree.New()
	zxid := int64(0)
	create := func(path, data string) {
		zxid++
		tree.ProcessTxn(&proto.TxnHeader{Zxid: zxid, Type: proto.OpCreate},
			&proto.CreateTxn{Path: path, Data: []byte(data), ACL: proto.OpenACLUnsafe})
	}
	create("/q", "abc")
	create("/q/a", "def")
	create("/zookeeper/quota/q", "")
	create("/zookeeper/quota/q/zookeeper_limits", limits)
	create("/zookeeper/quota/q/zookeeper_stats", "count=0,bytes=0")
	return tree
}

func TestCheckQuota(t *testing.T) {
	for _, tc := range []struct {
		name      string
		limits    string
		enforce   bool
		path      string
		bytes     int64
		count     int64
		wantError error
	}{
		{"soft count only logged", "count=2,bytes=-1", true, "/q/b", 0, 1, nil},
		{"hard count refused", "count=-1,bytes=-1=;countHardLimit=2", true, "/q/b", 0, 1, proto.ErrQuotaExceeded},
		{"hard count at the limit", "count=-1,bytes=-1=;countHardLimit=3", true, "/q/b", 0, 1, nil},
		{"hard bytes refused", "count=-1,bytes=-1=;byteHardLimit=7", true, "/q/a", 2, 0, proto.ErrQuotaExceeded},
		{"hard bytes fits", "count=-1,bytes=-1=;byteHardLimit=8", true, "/q/a", 2, 0, nil},
		{"hard wins over soft", "count=100,bytes=-1=;countHardLimit=2", true, "/q/b", 0, 1, proto.ErrQuotaExceeded},
		{"not enforced", "count=-1,bytes=-1=;countHardLimit=1", false, "/q/b", 0, 1, nil},
		{"outside the quota", "count=-1,bytes=-1=;countHardLimit=1", true, "/r", 0, 1, nil},
		// As Java: a write that shrinks data is still refused while the usage stays over a hard limit.
		{"shrinking but still over", "count=-1,bytes=-1=;byteHardLimit=1", true, "/q/a", -3, 0, proto.ErrQuotaExceeded},
		{"shrinking under the limit", "count=-1,bytes=-1=;byteHardLimit=4", true, "/q/a", -3, 0, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := New(Config{Tree: quotaTree(t, tc.limits), EnforceQuota: tc.enforce, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			require.NoError(t, err)
			_, _, usage, ok := e.tree.QuotaFor("/q/x")
			require.True(t, ok)
			require.Equal(t, datatree.QuotaStats{Count: 2, Bytes: 6, CountHardLimit: -1, ByteHardLimit: -1}, usage)
			err = e.checkQuota(tc.path, tc.bytes, tc.count)
			if tc.wantError == nil {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, tc.wantError)
			}
		})
	}
}
