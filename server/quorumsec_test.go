package server_test

import (
	"crypto/tls"
	"crypto/x509/pkix"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/tlsconf/tlstest"
	"github.com/zkit-go/zkit/server"
	zktesting "github.com/zkit-go/zkit/testing"
)

// quorumPKI makes a CA and, per member, PKCS#12 key and trust stores for
// 127.0.0.1 (the quorum hostname verification checks the address).
type quorumPKI struct {
	ca  *tlstest.CA
	dir string
}

func newQuorumPKI(t *testing.T) *quorumPKI {
	ca, err := tlstest.NewCA("quorum CA")
	require.NoError(t, err)
	return &quorumPKI{ca: ca, dir: t.TempDir()}
}

// stores writes member name's stores and returns their paths.
func (p *quorumPKI) stores(t testing.TB, name string) (keyStore, trustStore string) {
	cert, err := p.ca.Issue(tlstest.Options{Subject: pkix.Name{CommonName: name, OrganizationalUnit: []string{"quorum"}},
		Hosts: []string{"127.0.0.1", "localhost"}})
	require.NoError(t, err)
	keyStore = filepath.Join(p.dir, name+".p12")
	trustStore = filepath.Join(p.dir, name+"-trust.p12")
	ks, err := cert.PKCS12("kspass")
	require.NoError(t, tlstest.WriteFile(keyStore, ks, err))
	ts, err := p.ca.PKCS12TrustStore("tspass")
	require.NoError(t, tlstest.WriteFile(trustStore, ts, err))
	return keyStore, trustStore
}

// sslQuorumProps are the zoo.cfg lines of a member with sslQuorum.
func sslQuorumProps(keyStore, trustStore string) map[string]string {
	return map[string]string{
		"sslQuorum":                       "true",
		"ssl.quorum.keyStore.location":    keyStore,
		"ssl.quorum.keyStore.password":    "kspass",
		"ssl.quorum.keyStore.type":        "PKCS12",
		"ssl.quorum.trustStore.location":  trustStore,
		"ssl.quorum.trustStore.password":  "tspass",
		"ssl.quorum.trustStore.type":      "PKCS12",
		"ssl.quorum.hostnameVerification": "true",
	}
}

// withProps adds zoo.cfg properties to each member. The map props returns
// becomes the member's Properties, so a test may change it between a
// Stop and a Restart (the server reads it in New).
func withProps(props func(id int64) map[string]string) zktesting.EnsembleOption {
	return zktesting.WithMemberConfig(func(id int64, c *server.Config) {
		p := props(id)
		for k, v := range c.Properties {
			if _, ok := p[k]; !ok {
				p[k] = v
			}
		}
		c.Properties = p
	})
}

// replicates writes through the ensemble and reads the node back on every
// member after a sync.
func replicates(t *testing.T, ens *zktesting.Ensemble, path string) {
	t.Helper()
	c, _ := connectTo(t, ens.Servers())
	_, err := c.Create(path, []byte("secured"), 0, openACL)
	require.NoError(t, err)
	for _, m := range ens.Members {
		if m.Server() == nil {
			continue
		}
		kids := syncedChildren(t, m, "/")
		assert.Contains(t, kids, path[1:], "member %d", m.ID)
	}
}

// quorumPorts returns member m's quorum and election addresses.
func quorumPorts(t *testing.T, m *zktesting.Member) (quorum, election string) {
	spec := m.ServerSpec() // server.N=host:quorum:election:role;client
	var id int64
	var host string
	var qp, ep int
	_, err := fmt.Sscanf(spec, "server.%d=%s", &id, &host)
	require.NoError(t, err)
	parts := splitSpec(host)
	qp, _ = strconv.Atoi(parts[1])
	ep, _ = strconv.Atoi(parts[2])
	return net.JoinHostPort(parts[0], strconv.Itoa(qp)), net.JoinHostPort(parts[0], strconv.Itoa(ep))
}

func splitSpec(s string) []string {
	var out []string
	cur := ""
	for _, r := range s {
		if r == ':' || r == ';' {
			out = append(out, cur)
			cur = ""
			continue
		}
		cur += string(r)
	}
	return append(out, cur)
}

func TestEnsembleSSLQuorum(t *testing.T) {
	pki := newQuorumPKI(t)
	ens := zktesting.StartEnsemble(t, 3, withProps(func(id int64) map[string]string {
		return sslQuorumProps(pki.stores(t, fmt.Sprintf("member%d", id)))
	}))
	ens.WaitLeader(timeout(30 * time.Second))
	replicates(t, ens, "/over-tls")

	// Both ports speak TLS with mutual authentication: a peer with a
	// certificate from the CA completes a handshake, one without none.
	cert, err := pki.ca.Issue(tlstest.Options{Subject: pkix.Name{CommonName: "probe"}, Hosts: []string{"127.0.0.1"}})
	require.NoError(t, err)
	quorum, election := quorumPorts(t, ens.Leader())
	for _, addr := range []string{quorum, election} {
		d := &net.Dialer{Timeout: timeout(5 * time.Second)}
		good, err := tls.DialWithDialer(d, "tcp", addr, &tls.Config{RootCAs: pki.ca.Pool(), Certificates: []tls.Certificate{cert.TLSCertificate()}, ServerName: "127.0.0.1"})
		require.NoError(t, err, addr)
		good.Close()
		bad, err := tls.DialWithDialer(d, "tcp", addr, &tls.Config{RootCAs: pki.ca.Pool(), ServerName: "127.0.0.1"})
		if err == nil {
			// TLS 1.3 reports the missing certificate on the first read.
			_ = bad.SetReadDeadline(time.Now().Add(timeout(5 * time.Second)))
			_, err = bad.Read(make([]byte, 1))
			bad.Close()
		}
		require.Error(t, err, "no client certificate on %s", addr)
	}
}

// TestEnsemblePortUnificationRollingSwitch is Java's documented rolling
// upgrade to TLS: every member on portUnification, then sslQuorum one by
// one, then portUnification off.
func TestEnsemblePortUnificationRollingSwitch(t *testing.T) {
	pki := newQuorumPKI(t)
	phase := map[int64]map[string]string{}
	ens := zktesting.StartEnsemble(t, 3, withProps(func(id int64) map[string]string {
		ks, ts := pki.stores(t, fmt.Sprintf("member%d", id))
		p := sslQuorumProps(ks, ts)
		p["sslQuorum"] = "false"
		p["portUnification"] = "true"
		phase[id] = p
		return p
	}))
	replicates(t, ens, "/phase1")
	for _, step := range []map[string]string{{"sslQuorum": "true"}, {"portUnification": "false"}} {
		for _, m := range ens.Members {
			m.Stop()
			for k, v := range step {
				phase[m.ID][k] = v
			}
			m.Restart()
			ens.WaitServing(timeout(60 * time.Second))
		}
	}
	replicates(t, ens, "/phase3")
}

// quorumJAAS writes a JAAS file with the quorum sections: the server knows
// user zkquorum with password "secret"; the learner logs in with password.
func quorumJAAS(t testing.TB, dir, password string) string {
	path := filepath.Join(dir, "jaas.conf")
	text := fmt.Sprintf(`QuorumServer {
       org.apache.zookeeper.server.auth.DigestLoginModule required
       user_zkquorum="secret";
};
QuorumLearner {
       org.apache.zookeeper.server.auth.DigestLoginModule required
       username="zkquorum"
       password="%s";
};
`, password)
	require.NoError(t, os.WriteFile(path, []byte(text), 0o600))
	return path
}

func quorumSASLProps(jaasPath string) map[string]string {
	return map[string]string{
		"quorum.auth.enableSasl":          "true",
		"quorum.auth.learnerRequireSasl":  "true",
		"quorum.auth.serverRequireSasl":   "true",
		"java.security.auth.login.config": jaasPath,
	}
}

// TestEnsembleQuorumSASL forms an ensemble whose members authenticate
// each other with DIGEST-MD5, then restarts one with a wrong password: it
// cannot rejoin (both ports refuse it) while the others go on, and joins
// again once its password is right.
func TestEnsembleQuorumSASL(t *testing.T) {
	dirs := map[int64]string{}
	logs := newMemberLogs()
	ens := zktesting.StartEnsemble(t, 3, logs.option(), withProps(func(id int64) map[string]string {
		dirs[id] = t.TempDir()
		return quorumSASLProps(quorumJAAS(t, dirs[id], "secret"))
	}))
	leader := ens.WaitLeader(timeout(30 * time.Second))
	replicates(t, ens, "/sasl1")
	for _, m := range ens.Members {
		assert.True(t, logs.has(m.ID, "quorum SASL enabled"), "member %d", m.ID)
	}

	var outsider *zktesting.Member
	for _, m := range ens.Members {
		if m != leader {
			outsider = m
		}
	}
	outsider.Stop()
	quorumJAAS(t, dirs[outsider.ID], "wrong")
	logs.forget()
	outsider.Restart()
	zktesting.Eventually(t, timeout(30*time.Second), func() bool {
		return logs.has(leader.ID, "authenticate quorum learner") || logs.has(leader.ID, "election connection refused")
	}, "the leader refuses the wrong password")
	c, _ := connectTo(t, []string{leader.Addr()})
	_, err := c.Create("/sasl2", nil, 0, openACL)
	require.NoError(t, err, "the other two keep a quorum")
	// Well past initLimit (20 ticks of 100 ms): still not in.
	deadline := time.Now().Add(timeout(4 * time.Second))
	for time.Now().Before(deadline) {
		require.Equal(t, server.RoleLooking, outsider.Role(), "a member with a wrong quorum password joined")
		time.Sleep(50 * time.Millisecond)
	}

	outsider.Stop()
	quorumJAAS(t, dirs[outsider.ID], "secret")
	outsider.Restart()
	ens.WaitServing(timeout(60 * time.Second))
	kids := syncedChildren(t, outsider, "/")
	assert.Contains(t, kids, "sasl2")
}

// TestEnsembleQuorumSASLRollingUpgrade is Java's documented path to
// quorum SASL: enableSasl everywhere (nothing required), then
// learnerRequireSasl, then serverRequireSasl, one member at a time.
func TestEnsembleQuorumSASLRollingUpgrade(t *testing.T) {
	props := map[int64]map[string]string{}
	ens := zktesting.StartEnsemble(t, 3, withProps(func(id int64) map[string]string {
		props[id] = map[string]string{}
		return props[id]
	}))
	replicates(t, ens, "/plain")
	dir := t.TempDir()
	jaasPath := quorumJAAS(t, dir, "secret")
	steps := []map[string]string{
		{"quorum.auth.enableSasl": "true", "java.security.auth.login.config": jaasPath},
		{"quorum.auth.learnerRequireSasl": "true"},
		{"quorum.auth.serverRequireSasl": "true"},
	}
	for i, step := range steps {
		for _, m := range ens.Members {
			m.Stop()
			for k, v := range step {
				props[m.ID][k] = v
			}
			m.Restart()
			ens.WaitServing(timeout(60 * time.Second))
		}
		replicates(t, ens, fmt.Sprintf("/step%d", i))
	}
}

func TestQuorumSecurityRefusedSettings(t *testing.T) {
	dir := t.TempDir()
	pki := newQuorumPKI(t)
	ks, ts := pki.stores(t, "m")
	krb := filepath.Join(dir, "krb.conf")
	require.NoError(t, os.WriteFile(krb, []byte(`QuorumServer { com.sun.security.auth.module.Krb5LoginModule required useKeyTab=true keyTab="/etc/zk.keytab" principal="zkquorum/localhost"; };
QuorumLearner { com.sun.security.auth.module.Krb5LoginModule required useKeyTab=true keyTab="/etc/zk.keytab" principal="learner/localhost"; };
`), 0o600))
	noKeytab := filepath.Join(dir, "nokeytab.conf")
	require.NoError(t, os.WriteFile(noKeytab, []byte(`QuorumServer { com.sun.security.auth.module.Krb5LoginModule required useTicketCache=true principal="zkquorum/localhost"; };
QuorumLearner { com.sun.security.auth.module.Krb5LoginModule required useTicketCache=true principal="zkquorum/localhost"; };
`), 0o600))
	mixed := filepath.Join(dir, "mixed.conf")
	require.NoError(t, os.WriteFile(mixed, []byte(`QuorumServer { com.sun.security.auth.module.Krb5LoginModule required useKeyTab=true keyTab="/etc/zk.keytab" principal="zkquorum/localhost";
  org.apache.zookeeper.server.auth.DigestLoginModule required user_a="b"; };
QuorumLearner { org.apache.zookeeper.server.auth.DigestLoginModule required username="a" password="b"; };
`), 0o600))
	noLearner := filepath.Join(dir, "nolearner.conf")
	require.NoError(t, os.WriteFile(noLearner, []byte(`QuorumServer { org.apache.zookeeper.server.auth.DigestLoginModule required user_a="b"; };`), 0o600))
	missing := filepath.Join(dir, "missing.p12")
	cases := []struct {
		name  string
		props map[string]string
		want  []string
	}{
		{"sslQuorum without stores", map[string]string{"sslQuorum": "true"}, []string{"sslQuorum", "keyStore.location"}},
		{"missing key store", func() map[string]string {
			p := sslQuorumProps(ks, ts)
			p["ssl.quorum.keyStore.location"] = missing
			return p
		}(), []string{"sslQuorum", missing}},
		{"wrong store password", func() map[string]string {
			p := sslQuorumProps(ks, ts)
			p["ssl.quorum.keyStore.password"] = "nope"
			return p
		}(), []string{"sslQuorum", ks}},
		{"bad boolean", map[string]string{"sslQuorum": "yes please"}, []string{"sslQuorum"}},
		{"portUnification without stores", map[string]string{"portUnification": "true"}, []string{"portUnification"}},
		{"required without enabled", map[string]string{"quorum.auth.serverRequireSasl": "true", "quorum.auth.learnerRequireSasl": "true"}, []string{"quorum.auth.enableSasl is disabled"}},
		{"server required without learner", map[string]string{"quorum.auth.enableSasl": "true", "quorum.auth.serverRequireSasl": "true"}, []string{"quorum.auth.learnerRequireSasl is disabled"}},
		{"no JAAS file", map[string]string{"quorum.auth.enableSasl": "true"}, []string{"java.security.auth.login.config"}},
		{"kerberos keytab missing", map[string]string{"quorum.auth.enableSasl": "true", "java.security.auth.login.config": krb}, []string{"QuorumServer", "/etc/zk.keytab"}},
		{"kerberos without keytab", map[string]string{"quorum.auth.enableSasl": "true", "java.security.auth.login.config": noKeytab}, []string{"QuorumServer", "useKeyTab=true"}},
		{"kerberos mixed with digest", map[string]string{"quorum.auth.enableSasl": "true", "java.security.auth.login.config": mixed}, []string{"QuorumServer", "mixes"}},
		{"kerberos canonicalized host names", map[string]string{"quorum.auth.enableSasl": "true", "java.security.auth.login.config": krb,
			"zookeeper.kerberos.canonicalizeHostNames": "true"}, []string{"canonicalizeHostNames"}},
		{"no learner section", map[string]string{"quorum.auth.enableSasl": "true", "java.security.auth.login.config": noLearner}, []string{"QuorumLearner"}},
		{"renamed section absent", map[string]string{"quorum.auth.enableSasl": "true", "java.security.auth.login.config": quorumJAAS(t, dir, "x"),
			"quorum.auth.server.saslLoginContext": "ZkQuorumServer"}, []string{"ZkQuorumServer"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := server.DefaultConfig()
			c.DataDir = t.TempDir()
			c.ServerID = 1
			c.ClientPortAddress = "127.0.0.1"
			c.Servers = []server.QuorumServer{
				{ID: 1, Host: "127.0.0.1", QuorumPort: 1, ElectionPort: 2},
				{ID: 2, Host: "127.0.0.1", QuorumPort: 3, ElectionPort: 4},
				{ID: 3, Host: "127.0.0.1", QuorumPort: 5, ElectionPort: 6},
			}
			for k, v := range tc.props {
				c.Properties[k] = v
			}
			srv, err := server.New(c)
			if err == nil {
				srv.Close()
			}
			require.Error(t, err)
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}
