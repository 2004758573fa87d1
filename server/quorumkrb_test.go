package server_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/sasl/krbtest"
	"github.com/zkit-go/zkit/server"
	zktesting "github.com/zkit-go/zkit/testing"
)

// quorumHostPrincipal is the principal a member on 127.0.0.1 has, and the
// one quorum.auth.kerberos.servicePrincipal=zkquorum/_HOST names when a
// learner connects to a server.N=127.0.0.1:... member.
const quorumHostPrincipal = "zkquorum/127.0.0.1"

// quorumKrbJAAS writes a JAAS file whose QuorumServer section accepts as
// quorumHostPrincipal with serverKeytab and whose QuorumLearner section
// logs in as learner with learnerKeytab, as Java's documentation has it.
func quorumKrbJAAS(t testing.TB, dir, serverKeytab, learner, learnerKeytab string) string {
	path := filepath.Join(dir, "jaas.conf")
	text := fmt.Sprintf(`QuorumServer {
  com.sun.security.auth.module.Krb5LoginModule required
  useKeyTab=true keyTab=%q storeKey=true useTicketCache=false
  debug=false principal="%s@%s";
};
QuorumLearner {
  com.sun.security.auth.module.Krb5LoginModule required
  useKeyTab=true keyTab=%q storeKey=true useTicketCache=false
  debug=false principal="%s@%s";
};
`, serverKeytab, quorumHostPrincipal, krbtest.Realm, learnerKeytab, learner, krbtest.Realm)
	require.NoError(t, os.WriteFile(path, []byte(text), 0o600))
	return path
}

func quorumKrbProps(kdc *krbtest.KDC, jaasPath string) map[string]string {
	p := quorumSASLProps(jaasPath)
	p["quorum.auth.kerberos.servicePrincipal"] = "zkquorum/_HOST"
	p["java.security.krb5.conf"] = kdc.KRB5Conf
	return p
}

// TestEnsembleQuorumKerberos forms an all-zkit ensemble whose members
// authenticate each other with Kerberos on both quorum ports, against a
// loopback KDC. Then one member restarts logged in as a principal whose
// host is not one of the ensemble's (valid keys, wrong identity): the
// others refuse it (Java's authzHosts) and it stays out while they go on;
// with its own principal back it rejoins and catches up.
func TestEnsembleQuorumKerberos(t *testing.T) {
	kdc := krbtest.Start(t)
	keytab := kdc.AddPrincipal(quorumHostPrincipal)
	intruderKeytab := kdc.AddPrincipal("zkquorum/10.11.12.13")
	dirs := map[int64]string{}
	props := map[int64]map[string]string{}
	logs := newMemberLogs()
	ens := zktesting.StartEnsemble(t, 3, logs.option(), withProps(func(id int64) map[string]string {
		if props[id] == nil {
			dirs[id] = t.TempDir()
			props[id] = quorumKrbProps(kdc, quorumKrbJAAS(t, dirs[id], keytab, quorumHostPrincipal, keytab))
		}
		return props[id]
	}))
	leader := ens.WaitLeader(timeout(30 * time.Second))
	replicates(t, ens, "/krb1")
	for _, m := range ens.Members {
		assert.True(t, logs.has(m.ID, "quorum SASL server: GSSAPI"), "member %d", m.ID)
		assert.True(t, logs.has(m.ID, "quorum SASL learner: GSSAPI"), "member %d", m.ID)
	}

	var outsider *zktesting.Member
	for _, m := range ens.Members {
		if m != leader {
			outsider = m
		}
	}
	outsider.Stop()
	quorumKrbJAAS(t, dirs[outsider.ID], keytab, "zkquorum/10.11.12.13", intruderKeytab)
	logs.forget()
	outsider.Restart()
	zktesting.Eventually(t, timeout(30*time.Second), func() bool {
		return logs.has(leader.ID, "not a server of the ensemble")
	}, "the leader refuses a principal of a host outside the ensemble")
	c, _ := connectTo(t, []string{leader.Addr()})
	_, err := c.Create("/krb2", nil, 0, openACL)
	require.NoError(t, err, "the other two keep a quorum")
	// Well past initLimit (20 ticks of 100 ms): still not in.
	deadline := time.Now().Add(timeout(4 * time.Second))
	for time.Now().Before(deadline) {
		require.Equal(t, server.RoleLooking, outsider.Role(), "a member with an unauthorized principal joined")
		time.Sleep(50 * time.Millisecond)
	}

	outsider.Stop()
	quorumKrbJAAS(t, dirs[outsider.ID], keytab, quorumHostPrincipal, keytab)
	outsider.Restart()
	ens.WaitServing(timeout(60 * time.Second))
	assert.Contains(t, syncedChildren(t, outsider, "/"), "krb2")
}

// TestQuorumKerberosStaleKeytabRefused: a QuorumLearner keytab whose keys
// the KDC no longer has stops the server at start, naming the section and
// the keytab, as Java's Login fails then; so does a QuorumServer keytab
// without the section's principal.
func TestQuorumKerberosStaleKeytabRefused(t *testing.T) {
	kdc := krbtest.Start(t)
	keytab := kdc.AddPrincipal(quorumHostPrincipal)
	stale := kdc.AddPrincipal("zkquorum/stale")
	kdc.Rekey("zkquorum/stale")
	dir := t.TempDir()
	newServer := func(jaasPath string) error {
		c := server.DefaultConfig()
		c.DataDir = t.TempDir()
		c.ServerID = 1
		c.Servers = []server.QuorumServer{
			{ID: 1, Host: "127.0.0.1", QuorumPort: 1, ElectionPort: 2},
			{ID: 2, Host: "127.0.0.1", QuorumPort: 3, ElectionPort: 4},
			{ID: 3, Host: "127.0.0.1", QuorumPort: 5, ElectionPort: 6},
		}
		for k, v := range quorumKrbProps(kdc, jaasPath) {
			c.Properties[k] = v
		}
		srv, err := server.New(c)
		if err == nil {
			srv.Close()
		}
		return err
	}
	require.NoError(t, newServer(quorumKrbJAAS(t, dir, keytab, quorumHostPrincipal, keytab)), "the good configuration starts")

	err := newServer(quorumKrbJAAS(t, dir, keytab, "zkquorum/stale", stale))
	require.ErrorIs(t, err, server.ErrQuorumSecurity)
	assert.Contains(t, err.Error(), "QuorumLearner")
	assert.Contains(t, err.Error(), stale)

	err = newServer(quorumKrbJAAS(t, dir, stale, quorumHostPrincipal, keytab))
	require.ErrorIs(t, err, server.ErrQuorumSecurity)
	assert.Contains(t, err.Error(), "QuorumServer")
	assert.Contains(t, err.Error(), quorumHostPrincipal)
}

// The Kerberos configuration comes from SERVER_JVMFLAGS as Java's does.
func TestKRB5ConfFromJVMFlags(t *testing.T) {
	c := server.DefaultConfig()
	require.NoError(t, c.ApplyJVMFlags("-Djava.security.krb5.conf=/etc/zk/krb5.conf -Djava.security.auth.login.config=/etc/zk/jaas.conf"))
	v, ok := c.Property("java.security.krb5.conf")
	require.True(t, ok)
	assert.Equal(t, "/etc/zk/krb5.conf", v)
}
