package server_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	zktesting "github.com/zkit-go/zkit/testing"
)

// TestConfigNodeHoldsEnsembleConfig: every member's /zookeeper/config holds
// the ensemble's QuorumVerifier text, with the stat Java 3.8 shows for it
// (checked against a three-member Java ensemble: "server.N=host:qport:eport:
// participant[;clientHost:clientPort]" lines, then "version=0"; dataVersion
// -1, aclVersion -1, mZxid 0).
func TestConfigNodeHoldsEnsembleConfig(t *testing.T) {
	ens := zktesting.StartEnsemble(t, 3)
	var want strings.Builder
	for _, m := range ens.Members {
		qs := m.Server().Config().Servers[m.ID-1]
		fmt.Fprintf(&want, "server.%d=%s:%d:%d:participant;%s\n", qs.ID, qs.Host, qs.QuorumPort, qs.ElectionPort, qs.ClientAddress)
	}
	want.WriteString("version=0")
	for _, m := range ens.Members {
		c, _ := connectTo(t, []string{m.Addr()})
		data, st, err := c.Get("/zookeeper/config")
		require.NoError(t, err, "member %d", m.ID)
		require.Equal(t, want.String(), string(data), "member %d", m.ID)
		require.Equal(t, int32(-1), st.Version)
		require.Equal(t, int32(-1), st.Aversion)
		require.Equal(t, int64(0), st.Mzxid)
		require.Equal(t, int64(0), st.Czxid)
		c.Close()
	}
}
