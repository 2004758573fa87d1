package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/jaas"
	"github.com/zkit-go/zkit/internal/javatest"
	"github.com/zkit-go/zkit/internal/sasl/krbtest"
	"github.com/zkit-go/zkit/server"
	zktesting "github.com/zkit-go/zkit/testing"
)

const cliSASLServerJAAS = `Server {
  org.apache.zookeeper.server.auth.DigestLoginModule required
  user_bob="bobsecret" user_alice="alicesecret";
};
`

func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(p, []byte(text), 0o600))
	return p
}

func clientSection(name, user, password string) string {
	return fmt.Sprintf("%s {\n org.apache.zookeeper.server.auth.DigestLoginModule required\n username=%q password=%q;\n};\n", name, user, password)
}

func TestResolveSASL(t *testing.T) {
	dir := t.TempDir()
	file := writeFile(t, dir, "jaas.conf", clientSection("Client", "bob", "pw")+clientSection("Other", "carol", "pw2")+
		"Krb { com.sun.security.auth.module.Krb5LoginModule required useTicketCache=true; };")
	sys := map[string]string{"java.security.auth.login.config": file}

	s := ResolveSASL(sys, nil)
	require.NoError(t, s.LoginErr)
	require.NotNil(t, s.Creds)
	assert.Equal(t, "bob", s.Creds.User)

	s = ResolveSASL(sys, map[string]string{"zookeeper.sasl.clientconfig": "Other"})
	require.NoError(t, s.LoginErr)
	assert.Equal(t, "carol", s.Creds.User, "the client configuration file picks the section")

	s = ResolveSASL(sys, map[string]string{"zookeeper.sasl.client": "false"})
	assert.Equal(t, SASLSetup{}, s)

	s = ResolveSASL(nil, nil)
	assert.Equal(t, SASLSetup{}, s, "no JAAS file: no SASL, as Java")

	s = ResolveSASL(map[string]string{"java.security.auth.login.config": file, "zookeeper.sasl.clientconfig": "Nope"}, nil)
	require.ErrorIs(t, s.LoginErr, jaas.ErrNoSection)
	s = ResolveSASL(map[string]string{"java.security.auth.login.config": file, "zookeeper.sasl.clientconfig": "Krb"}, nil)
	require.ErrorIs(t, s.LoginErr, jaas.ErrUnsupported)
	s = ResolveSASL(map[string]string{"java.security.auth.login.config": filepath.Join(dir, "missing")}, nil)
	require.ErrorIs(t, s.LoginErr, jaas.ErrRead)
	s = ResolveSASL(map[string]string{"zookeeper.sasl.clientconfig": "Client"}, nil)
	require.Error(t, s.LoginErr, "a section named without a JAAS file")
}

// splitTranscript is javatest.SplitTranscript.
func splitTranscript(s, addr string) (events, output []string) {
	return javatest.SplitTranscript(s, addr)
}

// TestSASLVersusJavaCli runs the same scripts through Java's zkCli.sh and
// zkit cli, each with the same client JAAS file in CLIENT_JVMFLAGS (and a
// -client-configuration file choosing the section), against a zkit server
// with SASL, and compares the transcripts.
func TestSASLVersusJavaCli(t *testing.T) {
	skipWithoutJavaCli(t)
	if testing.Short() {
		t.Skip("starts JVMs; skipped in -short")
	}
	dir := t.TempDir()
	serverJaas := writeFile(t, dir, "server.conf", cliSASLServerJAAS)
	start := func() *zktesting.Server {
		return zktesting.StartServer(t, zktesting.WithConfig(func(c *server.Config) {
			c.Properties["java.security.auth.login.config"] = serverJaas
			c.Properties["authProvider.1"] = "org.apache.zookeeper.server.auth.SASLAuthenticationProvider"
		}))
	}
	javaSrv, zkitSrv := start(), start() // one server per client: the scripts write
	clientJaas := writeFile(t, dir, "client.conf", clientSection("Client", "bob", "bobsecret")+
		clientSection("AsAlice", "alice", "alicesecret")+clientSection("Wrong", "bob", "nope"))
	conf := func(section string) string {
		return writeFile(t, dir, section+".properties", "zookeeper.sasl.clientconfig="+section+"\n")
	}
	for i, tc := range []struct {
		name, section, script string
		wantEvent, wantOut    string
	}{
		{"bob", "Client", "whoami\ncreate /s data sasl:bob:cdrwa\ngetAcl /s\nget /s\n", "WatchedEvent state:SaslAuthenticated type:None path:null", "sasl: bob"},
		{"alice", "AsAlice", "whoami\nget /s\n", "WatchedEvent state:SaslAuthenticated type:None path:null", "Insufficient permission : /s"},
		{"wrong password", "Wrong", "ls /\n", "WatchedEvent state:AuthFailed type:None path:null", "AuthFailed"},
		{"no such section", "Missing", "ls /\n", "WatchedEvent state:AuthFailed type:None path:null", "[s, zookeeper]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			confFile := conf(tc.section)
			flags := "-Djava.security.auth.login.config=" + clientJaas
			ctx, cancel := context.WithTimeout(context.Background(), zktesting.Scale(60*time.Second))
			defer cancel()
			java, err := javatest.CLI(ctx, javaSrv.Addr(), tc.script, append([]string{flags}, utc...), "-client-configuration", confFile)
			require.NoError(t, err)
			t.Setenv("CLIENT_JVMFLAGS", flags)
			var out, errb bytes.Buffer
			Main([]string{"-server", zkitSrv.Addr(), "-client-configuration", confFile}, strings.NewReader(tc.script), &out, &errb)

			jev, jo := splitTranscript(java.Stdout+java.Stderr, javaSrv.Addr())
			zev, zo := splitTranscript(out.String()+errb.String(), zkitSrv.Addr())
			if tc.name == "no such section" {
				// Java logs the reason through its (here silent) logger; we print it.
				require.NotEmpty(t, zo)
				last := zo[len(zo)-1]
				assert.Contains(t, last, "SASL configuration failed: jaas: section not found")
				zo = zo[:len(zo)-1]
			}
			assert.Equal(t, jev, zev, "events, Java first (case %d)", i)
			assert.Equal(t, jo, zo, "output, Java first (case %d)", i)
			assert.Contains(t, zev, tc.wantEvent)
			assert.Contains(t, strings.Join(zo, "\n"), tc.wantOut)
		})
	}
}

// TestKerberosVersusJavaCli: Java's zkCli.sh and zkit cli log in with the
// same Krb5LoginModule Client section (CLIENT_JVMFLAGS with the JAAS file
// and java.security.krb5.conf) to zkit servers accepting with a keytab.
func TestKerberosVersusJavaCli(t *testing.T) {
	skipWithoutJavaCli(t)
	if testing.Short() {
		t.Skip("starts JVMs; skipped in -short")
	}
	kdc := krbtest.Start(t)
	serviceKT := kdc.AddPrincipal("zookeeper/localhost")
	bobKT := kdc.AddPrincipal("bob")
	serverJaas := writeFile(t, kdc.Dir, "server.conf", fmt.Sprintf(`Server {
  com.sun.security.auth.module.Krb5LoginModule required
  useKeyTab=true keyTab=%q storeKey=true principal="zookeeper/localhost@%s";
};
`, serviceKT, krbtest.Realm))
	clientJaas := writeFile(t, kdc.Dir, "client.conf", fmt.Sprintf(`Client {
  com.sun.security.auth.module.Krb5LoginModule required
  useKeyTab=true keyTab=%q storeKey=true useTicketCache=false principal="bob@%s";
};
`, bobKT, krbtest.Realm))
	start := func() *zktesting.Server {
		return zktesting.StartServer(t, zktesting.WithConfig(func(c *server.Config) {
			c.Properties["java.security.auth.login.config"] = serverJaas
			c.Properties["authProvider.1"] = "org.apache.zookeeper.server.auth.SASLAuthenticationProvider"
		}))
	}
	javaSrv, zkitSrv := start(), start()
	jvmFlags := []string{"-Djava.security.krb5.conf=" + kdc.KRB5Conf, "-Djava.security.auth.login.config=" + clientJaas}
	flags := strings.Join(jvmFlags, " ")
	script := "whoami\ncreate /k x sasl:bob@EXAMPLE.COM:cdrwa\ngetAcl /k\nget /k\n"

	ctx, cancel := context.WithTimeout(context.Background(), zktesting.Scale(60*time.Second))
	defer cancel()
	java, _, err := javatest.CLICombined(ctx, javaSrv.Addr(), script, append(jvmFlags, utc...))
	require.NoError(t, err)
	t.Setenv("CLIENT_JVMFLAGS", flags)
	var out bytes.Buffer
	Main([]string{"-server", zkitSrv.Addr()}, strings.NewReader(script), &out, &out)

	jev, jo := splitTranscript(java, javaSrv.Addr())
	zev, zo := splitTranscript(out.String(), zkitSrv.Addr())
	assert.Equal(t, jev, zev, "events, Java first")
	assert.Equal(t, jo, zo, "output, Java first")
	assert.Contains(t, zev, "WatchedEvent state:SaslAuthenticated type:None path:null")
	assert.Contains(t, zo, "sasl: bob@EXAMPLE.COM")
}
