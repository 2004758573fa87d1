package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/server"
	zktesting "github.com/zkit-go/zkit/testing"
)

func TestReconfigCommand(t *testing.T) {
	ens := zktesting.StartEnsemble(t, 3, zktesting.WithMemberConfig(func(id int64, c *server.Config) {
		c.ReconfigEnabled = true
		c.SkipACL = true
	}))
	leader := ens.WaitLeader(zktesting.Scale(30 * time.Second))
	addr := leader.Addr()

	out, errOut, rc := runZkit(addr, []string{"config"})
	require.Equal(t, 0, rc, errOut)
	assert.Contains(t, out, "server.1=127.0.0.1:")
	// Java 3.8 with reconfig enabled versions the first configuration with
	// the first NEWLEADER zxid (ZOOKEEPER-1783).
	assert.True(t, strings.HasSuffix(out, "version=100000000\n"), out)

	// Usage and option errors, as ReconfigCommand.parse.
	_, errOut, rc = runZkit(addr, []string{"reconfig"})
	assert.NotEqual(t, 0, rc)
	assert.Contains(t, errOut, "reconfig [-s] [-v version]")
	_, errOut, _ = runZkit(addr, []string{"reconfig", "-members", "server.1=a:1:2;3", "-remove", "2"})
	assert.Contains(t, errOut, "Can't use -file or -members together with -add or -remove")
	_, errOut, _ = runZkit(addr, []string{"reconfig", "-remove", "3", "-v", "zz"})
	assert.Contains(t, errOut, "-v must be followed by a long (configuration version)")
	_, errOut, _ = runZkit(addr, []string{"reconfig", "-remove", "3", "-v", "5"})
	assert.Contains(t, errOut, "version No is not valid : null")

	var other int64
	for _, m := range ens.Members {
		if m.ID != leader.ID {
			other = m.ID
		}
	}
	out, errOut, rc = runZkit(addr, []string{"reconfig", "-s", "-remove", fmt.Sprint(other), "-v", "100000000"})
	require.Equal(t, 0, rc, errOut)
	require.Contains(t, out, "Committed new configuration:\nserver.")
	assert.NotContains(t, out, fmt.Sprintf("server.%d=", other))
	assert.Contains(t, out, "\ndataVersion = -1\n")

	// -file: a dynamic configuration file, non-incremental.
	var lines []string
	for _, m := range ens.Members {
		if m.ID != other {
			lines = append(lines, m.ServerSpec())
		}
	}
	f := filepath.Join(t.TempDir(), "zoo.cfg.dynamic")
	require.NoError(t, os.WriteFile(f, []byte(strings.Join(lines, "\n")+"\n"), 0o644))
	out, errOut, rc = runZkit(addr, []string{"reconfig", "-file", f})
	require.Equal(t, 0, rc, errOut)
	assert.Contains(t, out, "Committed new configuration:\n"+lines[0]+"\n")
}
