package server_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/sasl/krbtest"
	"github.com/zkit-go/zkit/server"
	zktesting "github.com/zkit-go/zkit/testing"
)

// krbSetup is a KDC with the service zookeeper/localhost (the principal
// Java's client asks for when it connects to 127.0.0.1) and users.
type krbSetup struct {
	kdc        *krbtest.KDC
	serverJaas string
	clients    map[string]string // user -> client JAAS file
}

func newKrbSetup(t *testing.T, users ...string) *krbSetup {
	t.Helper()
	kdc := krbtest.Start(t)
	serviceKeytab := kdc.AddPrincipal("zookeeper/localhost")
	s := &krbSetup{kdc: kdc, clients: map[string]string{}}
	s.serverJaas = filepath.Join(kdc.Dir, "server-jaas.conf")
	require.NoError(t, os.WriteFile(s.serverJaas, []byte(fmt.Sprintf(`Server {
  com.sun.security.auth.module.Krb5LoginModule required
  useKeyTab=true keyTab=%q storeKey=true useTicketCache=false
  principal="zookeeper/localhost@%s";
};
`, serviceKeytab, krbtest.Realm)), 0o600))
	for _, u := range users {
		kt := kdc.AddPrincipal(u)
		p := filepath.Join(kdc.Dir, u+"-jaas.conf")
		require.NoError(t, os.WriteFile(p, []byte(fmt.Sprintf(`Client {
  com.sun.security.auth.module.Krb5LoginModule required
  useKeyTab=true keyTab=%q storeKey=true useTicketCache=false
  principal="%s@%s";
};
`, kt, u, krbtest.Realm)), 0o600))
		s.clients[u] = p
	}
	return s
}

func TestKerberosZkCliToZkit(t *testing.T) {
	skipWithoutJavaSASL(t)
	k := newKrbSetup(t, "bob", "alice")
	srv := zktesting.StartServer(t, zktesting.WithConfig(func(c *server.Config) {
		c.Properties["java.security.auth.login.config"] = k.serverJaas
		c.Properties["authProvider.1"] = saslProvider
	}))
	t.Setenv("ZKIT_TEST_KRB5_CONF", k.kdc.KRB5Conf)
	ev, out := zkCliTranscriptWith(t, srv.Addr(), os.Getenv("ZKIT_KRB_DEBUG")+" -Djava.security.krb5.conf="+k.kdc.KRB5Conf+" -Djava.security.auth.login.config="+k.clients["bob"],
		"whoami\ncreate /k x sasl:bob@EXAMPLE.COM:cdrwa\ngetAcl /k\n")
	t.Logf("%v\n%v", ev, out)
	assert.Contains(t, ev, "WatchedEvent state:SaslAuthenticated type:None path:null")
	assert.Contains(t, out, "sasl: bob@EXAMPLE.COM")
}

// TestKerberosVersusJava: Java's zkCli logs in with Kerberos to Java 3.8
// and to zkit, both accepting with the same keytab; a sasl ACL grants
// bob@EXAMPLE.COM and refuses alice; a server whose keytab no longer holds
// the service's key refuses the login.
func TestKerberosVersusJava(t *testing.T) {
	skipWithoutJavaSASL(t)
	k := newKrbSetup(t, "bob", "alice")
	krb5 := "-Djava.security.krb5.conf=" + k.kdc.KRB5Conf
	o := startSASLOracleWith(t, k.kdc.Dir, k.serverJaas, []string{krb5}, nil)
	flags := func(user string) string {
		return krb5 + " -Djava.security.auth.login.config=" + k.clients[user]
	}
	same := func(user, script string) []string {
		t.Helper()
		jev, jout := zkCliTranscriptWith(t, o.java, flags(user), script)
		zev, zout := zkCliTranscriptWith(t, o.zkit, flags(user), script)
		assert.Equal(t, jev, zev, "watch events (Java first)")
		assert.Equal(t, jout, zout, "command output (Java first)")
		return append(jev, jout...)
	}
	got := same("bob", "whoami\ncreate /k x sasl:bob@EXAMPLE.COM:cdrwa\ngetAcl /k\nget /k\n")
	assert.Contains(t, got, "sasl: bob@EXAMPLE.COM")
	assert.Contains(t, got, "WatchedEvent state:SaslAuthenticated type:None path:null")
	got = same("alice", "whoami\nget /k\n")
	assert.Contains(t, got, "sasl: alice@EXAMPLE.COM")
	assert.Contains(t, got, "Insufficient permission : /k")

	// A DIGEST-MD5 client against a Kerberos server.
	digest := clientJAAS(t, k.kdc.Dir, "bob", "bobsecret")
	jev, jout := zkCliTranscriptWith(t, o.java, krb5+" -Djava.security.auth.login.config="+digest, "ls /\n")
	zev, zout := zkCliTranscriptWith(t, o.zkit, krb5+" -Djava.security.auth.login.config="+digest, "ls /\n")
	assert.Equal(t, jev, zev, "DIGEST-MD5 client: watch events (Java first)")
	assert.Equal(t, jout, zout, "DIGEST-MD5 client: command output (Java first)")
	assert.Contains(t, zev, "WatchedEvent state:AuthFailed type:None path:null")

	// New keys for the service: tickets now carry keys the servers'
	// keytab lacks.
	k.kdc.Rekey("zookeeper/localhost")
	got = same("bob", "ls /\n")
	assert.Contains(t, got, "WatchedEvent state:AuthFailed type:None path:null")
}

// TestKerberosIDsVersusJava: the authorized id without its realm
// (zookeeper.kerberos.removeRealmFromPrincipal) and a superUser named by
// it, against Java 3.8 configured alike.
func TestKerberosIDsVersusJava(t *testing.T) {
	skipWithoutJavaSASL(t)
	k := newKrbSetup(t, "bob", "alice")
	krb5 := "-Djava.security.krb5.conf=" + k.kdc.KRB5Conf
	o := startSASLOracleWith(t, k.kdc.Dir, k.serverJaas, []string{krb5}, map[string]string{
		"zookeeper.kerberos.removeRealmFromPrincipal": "true",
		"zookeeper.superUser":                         "alice",
	})
	run := func(user, script string) []string {
		t.Helper()
		flags := krb5 + " -Djava.security.auth.login.config=" + k.clients[user]
		jev, jout := zkCliTranscriptWith(t, o.java, flags, script)
		zev, zout := zkCliTranscriptWith(t, o.zkit, flags, script)
		assert.Equal(t, jev, zev, "watch events (Java first)")
		assert.Equal(t, jout, zout, "command output (Java first)")
		return jout
	}
	got := run("bob", "whoami\ncreate /k x sasl:bob:cdrwa\n")
	assert.Contains(t, got, "sasl: bob")
	got = run("alice", "whoami\nget /k\ndelete /k\n")
	assert.Contains(t, got, "super: ")
}
