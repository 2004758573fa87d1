package datatree

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestInitConfig(t *testing.T) {
	tr := New()
	d0 := tr.Digest()
	tr.InitConfig([]byte("server.1=h:1:2:participant\nversion=0"), 0x100000002, 77)
	data, st, err := tr.GetData(ConfigPath, nil)
	require.NoError(t, err)
	require.Equal(t, "server.1=h:1:2:participant\nversion=0", string(data))
	require.Equal(t, int32(-1), st.Version)
	require.Equal(t, int32(-1), st.Aversion)
	require.Equal(t, int64(0x100000002), st.Mzxid)
	require.Equal(t, int64(77), st.Mtime)
	require.Equal(t, d0, tr.Digest(), "/zookeeper/ is outside the digest")
	require.Equal(t, int64(0), tr.LastProcessedZxid())
}
