package server_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/sasl/krbtest"
	zktesting "github.com/zkit-go/zkit/testing"
)

// noCanonicalKRB5Conf copies kdc's krb5.conf with dns_canonicalize_hostname
// off: the JDK otherwise turns the service host 127.0.0.1 into
// "localhost" before asking for a ticket, while Java's authzHosts and
// _HOST substitution use the host as server.N writes it.
func noCanonicalKRB5Conf(t *testing.T, kdc *krbtest.KDC) string {
	b, err := os.ReadFile(kdc.KRB5Conf)
	require.NoError(t, err)
	text := strings.Replace(string(b), "[libdefaults]\n", "[libdefaults]\n dns_canonicalize_hostname = false\n", 1)
	require.NotEqual(t, string(b), text)
	path := filepath.Join(t.TempDir(), "krb5.conf")
	require.NoError(t, os.WriteFile(path, []byte(text), 0o600))
	return path
}

// TestJavaMixedEnsembleQuorumKerberos: zkit members 1 and 2 and Java 3.8
// member 3 authenticate each other with Kerberos (GSSAPI) on the election
// and quorum ports, each leading in turn (runMixed). Then zkit 2 comes
// back logged in as a principal of a host outside the ensemble: the Java
// leader refuses it (authzHosts) and the others go on.
func TestJavaMixedEnsembleQuorumKerberos(t *testing.T) {
	e := newMixedEnsemble(t, []string{"quorum.auth.enableSasl=true", "quorum.auth.learnerRequireSasl=true",
		"quorum.auth.serverRequireSasl=true", "quorum.auth.kerberos.servicePrincipal=zkquorum/_HOST"}, nil)
	kdc := krbtest.Start(t)
	keytab := kdc.AddPrincipal(quorumHostPrincipal)
	intruderKeytab := kdc.AddPrincipal("zkquorum/10.11.12.13")
	e.sysProps = map[string]string{"java.security.krb5.conf": noCanonicalKRB5Conf(t, kdc)}
	for id := int64(1); id <= 3; id++ {
		e.jaas[id] = quorumKrbJAAS(t, filepath.Dir(e.cfgs[id]), keytab, quorumHostPrincipal, keytab)
	}
	runMixed(t, e)
	b, err := os.ReadFile(e.java.LogPath())
	require.NoError(t, err)
	log := string(b)
	assert.Contains(t, log, "QuorumLearner will use GSSAPI as SASL mechanism", "Java's learner used Kerberos")
	assert.Contains(t, log, "Successfully completed the authentication using SASL. server addr", "Java authenticated to zkit")
	assert.Contains(t, log, "Successfully authenticated learner: authenticationID=zkquorum/127.0.0.1@EXAMPLE.COM", "zkit authenticated to Java")
	for id := int64(1); id <= 2; id++ {
		assert.True(t, e.logs.has(id, "quorum SASL learner: GSSAPI"), "member %d", id)
	}

	e.stopZkit(2)
	quorumKrbJAAS(t, filepath.Dir(e.cfgs[2]), keytab, "zkquorum/10.11.12.13", intruderKeytab)
	e.logs.forget()
	e.startZkit(2)
	zktesting.Eventually(t, timeout(45*time.Second), func() bool {
		b, _ := os.ReadFile(e.java.LogPath())
		return strings.Contains(string(b), "zkquorum/10.11.12.13@EXAMPLE.COM is not authorized to connect")
	}, "the Java leader refuses a principal of a host outside the ensemble")
	e.write(1, "/without-2")
	e.sees(javaID, "/without-2")
	e.stays(2, "a member with an unauthorized principal joined")
}

// TestJavaMixedEnsembleQuorumKerberosUnauthorizedJava: a Java member
// logged in as a principal of a host outside the ensemble (valid keys)
// cannot join a zkit quorum.
func TestJavaMixedEnsembleQuorumKerberosUnauthorizedJava(t *testing.T) {
	e := newMixedEnsemble(t, []string{"quorum.auth.enableSasl=true", "quorum.auth.learnerRequireSasl=true",
		"quorum.auth.serverRequireSasl=true", "quorum.auth.kerberos.servicePrincipal=zkquorum/_HOST"}, nil)
	kdc := krbtest.Start(t)
	keytab := kdc.AddPrincipal(quorumHostPrincipal)
	intruderKeytab := kdc.AddPrincipal("zkquorum/10.11.12.13")
	e.sysProps = map[string]string{"java.security.krb5.conf": noCanonicalKRB5Conf(t, kdc)}
	for id := int64(1); id <= 3; id++ {
		learner, learnerKeytab := quorumHostPrincipal, keytab
		if id == javaID {
			learner, learnerKeytab = "zkquorum/10.11.12.13", intruderKeytab
		}
		e.jaas[id] = quorumKrbJAAS(t, filepath.Dir(e.cfgs[id]), keytab, learner, learnerKeytab)
	}
	e.startZkit(1)
	e.startZkit(2)
	e.waitMode(2, "leader")
	e.startJava()
	zktesting.Eventually(t, timeout(45*time.Second), func() bool {
		return e.logs.has(2, "not a server of the ensemble") || e.logs.has(1, "not a server of the ensemble")
	}, "zkit refuses the Java member's principal")
	e.write(2, "/no-java")
	e.stays(javaID, "a Java member with an unauthorized principal joined")
	b, err := os.ReadFile(e.java.LogPath())
	require.NoError(t, err)
	assert.Contains(t, string(b), "Authentication failed against server", "Java learns it was refused")
}
