package server_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/client"
	"github.com/zkit-go/zkit/internal/client/clienttest"
	"github.com/zkit-go/zkit/internal/javatest"
	"github.com/zkit-go/zkit/internal/proto"
	"github.com/zkit-go/zkit/server"
	zktesting "github.com/zkit-go/zkit/testing"
)

// skipWithoutJavaSASL skips when Java ZooKeeper is not installed.
func skipWithoutJavaSASL(t *testing.T) {
	t.Helper()
	javatest.Skip(t)
	if testing.Short() {
		t.Skip("starts JVMs; skipped in -short")
	}
}

// clientJAAS writes a client JAAS file logging in as user.
func clientJAAS(t *testing.T, dir, user, password string) string {
	t.Helper()
	p := filepath.Join(dir, fmt.Sprintf("client-%s-%s.conf", user, password))
	text := fmt.Sprintf("Client {\n  org.apache.zookeeper.server.auth.DigestLoginModule required\n  username=%q\n  password=%q;\n};\n", user, password)
	require.NoError(t, os.WriteFile(p, []byte(text), 0o600))
	return p
}

// zkCliTranscript pipes script into Java's zkCli.sh against addr, with
// clientJaas ("" for none) as the client's JAAS file. Java prints watch
// events from its event thread, interleaved with the main thread's output
// in no fixed order, so events and command output come back as separate
// line lists; blank lines and SLF4J's warnings are dropped.
func zkCliTranscript(t *testing.T, addr, clientJaas, script string) (events, output []string) {
	t.Helper()
	flags := ""
	if clientJaas != "" {
		flags = "-Djava.security.auth.login.config=" + clientJaas
	}
	return zkCliTranscriptWith(t, addr, flags, script)
}

// zkCliTranscriptWith is zkCliTranscript with any client JVM flags.
func zkCliTranscriptWith(t *testing.T, addr, clientFlags, script string) (events, output []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), zktesting.Scale(90*time.Second))
	defer cancel()
	flags := append([]string{"-Xshare:auto", "-Duser.timezone=UTC"}, strings.Fields(clientFlags)...)
	out, _, err := javatest.CLICombined(ctx, addr, script, flags)
	require.NoError(t, err)
	require.NoError(t, ctx.Err(), "zkCli did not finish")
	return javatest.SplitTranscript(out, addr)
}

// saslOracle is one Java 3.8 server and one zkit server configured alike.
type saslOracle struct {
	java, zkit string // client addresses
	dir        string
}

func startSASLOracle(t *testing.T, props map[string]string) *saslOracle {
	t.Helper()
	dir := t.TempDir()
	serverJaas := filepath.Join(dir, "server-jaas.conf")
	require.NoError(t, os.WriteFile(serverJaas, []byte(saslJAAS), 0o600))
	return startSASLOracleWith(t, dir, serverJaas, nil, props)
}

// startSASLOracleWith starts both servers with a given server JAAS file
// and extra JVM flags for Java (zkit reads the same settings from props).
func startSASLOracleWith(t *testing.T, dir, serverJaas string, javaFlags []string, props map[string]string) *saslOracle {
	t.Helper()
	jvmFlags := append([]string{"-Djava.security.auth.login.config=" + serverJaas}, javaFlags...)
	for k, v := range props {
		jvmFlags = append(jvmFlags, "-D"+k+"="+v)
	}
	js, err := clienttest.StartJavaServerWith(filepath.Join(dir, "java"), jvmFlags, "authProvider.1="+saslProvider)
	require.NoError(t, err)
	t.Cleanup(js.Stop)
	zs := zktesting.StartServer(t, zktesting.WithConfig(func(c *server.Config) {
		c.Properties["java.security.auth.login.config"] = serverJaas
		c.Properties["authProvider.1"] = saslProvider
		for k, v := range props {
			c.Properties[k] = v
		}
	}))
	return &saslOracle{java: js.Addr, zkit: zs.Addr(), dir: dir}
}

// same runs script against both servers with the same client identity
// and requires identical transcripts.
func (o *saslOracle) same(t *testing.T, clientJaas, script string) []string {
	t.Helper()
	jev, jout := zkCliTranscript(t, o.java, clientJaas, script)
	zev, zout := zkCliTranscript(t, o.zkit, clientJaas, script)
	assert.Equal(t, jev, zev, "watch events (Java first)")
	assert.Equal(t, jout, zout, "command output (Java first)")
	t.Logf("script %q with %s:\n%s", script, filepath.Base(clientJaas), strings.Join(append(jev, jout...), "\n"))
	return append(jev, jout...)
}

// TestSASLZkCliVersusJava: Java's zkCli logs in over SASL to Java 3.8 and
// to zkit configured alike; sasl ACLs grant bob and refuse alice; a wrong
// password is refused the same way.
func TestSASLZkCliVersusJava(t *testing.T) {
	skipWithoutJavaSASL(t)
	o := startSASLOracle(t, nil)
	bob := clientJAAS(t, o.dir, "bob", "bobsecret")
	got := o.same(t, bob, "whoami\ncreate /s data sasl:bob:cdrwa\ngetAcl /s\nget /s\n"+
		"create /c x auth::cdrwa\ngetAcl /c\nsetAcl /s sasl:a@b@c:r\n")
	assert.Contains(t, got, "sasl: bob")
	assert.Contains(t, got, "WatchedEvent state:SaslAuthenticated type:None path:null")
	assert.Contains(t, got, "Acl is not valid : /s")

	alice := clientJAAS(t, o.dir, "alice", "alicesecret")
	got = o.same(t, alice, "whoami\nget /s\ngetAcl /s\nls /\n")
	assert.Contains(t, got, "sasl: alice")
	assert.Contains(t, got, "Insufficient permission : /s")

	wrong := clientJAAS(t, o.dir, "bob", "wrong")
	got = o.same(t, wrong, "ls /\n")
	assert.Contains(t, got, "WatchedEvent state:AuthFailed type:None path:null")

	got = o.same(t, "", "get /s\nls /\n")
	assert.Contains(t, got, "Insufficient permission : /s")

	assert.Contains(t, o.sameGoLogin(t, "bob", "wrong"), "login: ")
	assert.Contains(t, o.sameGoLogin(t, "alice", "alicesecret"), "sasl")
}

// goLoginResult is what our client gets from a SASL login at addr: the
// server's answer code, and whoAmI after a good login.
func goLoginResult(t *testing.T, addr, user, password string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), zktesting.Scale(20*time.Second))
	defer cancel()
	c, err := client.Dial(ctx, addr, client.WithSASL(client.SASLCredentials{User: user, Password: password}))
	if err != nil {
		var code proto.Code
		if errors.As(err, &code) {
			return "login: " + code.Error()
		}
		return "login: " + err.Error() // our mechanism refused the server's answer
	}
	defer c.Close()
	who, err := c.WhoAmI(ctx)
	if err != nil {
		return "whoami: " + err.Error()
	}
	return fmt.Sprintf("whoami: %v", who)
}

// sameGoLogin requires our client to get the same answers from both.
func (o *saslOracle) sameGoLogin(t *testing.T, user, password string) string {
	t.Helper()
	j := goLoginResult(t, o.java, user, password)
	assert.Equal(t, j, goLoginResult(t, o.zkit, user, password), "our client logging in as %s/%s (Java first)", user, password)
	return j
}

// TestSASLRequiredVersusJava: sessionRequireClientSASLAuth, against a
// client without SASL and one with a wrong password, then a good login.
func TestSASLRequiredVersusJava(t *testing.T) {
	skipWithoutJavaSASL(t)
	o := startSASLOracle(t, map[string]string{"zookeeper.sessionRequireClientSASLAuth": "true"})
	o.same(t, "", "ls /\n")
	o.same(t, clientJAAS(t, o.dir, "bob", "wrong"), "ls /\n")
	got := o.same(t, clientJAAS(t, o.dir, "bob", "bobsecret"), "ls /\n")
	assert.Contains(t, got, "[zookeeper]")
	assert.Contains(t, o.sameGoLogin(t, "bob", "wrong"), "login: ")
	assert.Contains(t, o.sameGoLogin(t, "bob", "bobsecret"), "whoami: ")
}

// TestEnforceAuthVersusJava: enforce.auth with the digest scheme.
func TestEnforceAuthVersusJava(t *testing.T) {
	skipWithoutJavaSASL(t)
	o := startSASLOracle(t, map[string]string{"zookeeper.enforce.auth.enabled": "true", "zookeeper.enforce.auth.schemes": "digest"})
	o.same(t, "", "ls /\n")
	got := o.same(t, "", "addauth digest u:p\nls /\n")
	assert.Contains(t, got, "[zookeeper]")
	o.same(t, clientJAAS(t, o.dir, "bob", "bobsecret"), "ls /\n")
}

// TestSASLOptionsVersusJava: letAnySaslUserDoX and allowSaslFailedClients.
func TestSASLOptionsVersusJava(t *testing.T) {
	skipWithoutJavaSASL(t)
	o := startSASLOracle(t, map[string]string{
		"zookeeper.letAnySaslUserDoX":      "anyone",
		"zookeeper.allowSaslFailedClients": "true",
	})
	got := o.same(t, clientJAAS(t, o.dir, "bob", "bobsecret"), "create /any x sasl:anyone:r\ngetAcl /any\n")
	assert.Contains(t, got, "'sasl,'anyone")
	got = o.same(t, clientJAAS(t, o.dir, "alice", "alicesecret"), "get /any\nset /any y\n")
	assert.Contains(t, got, "x", "any sasl user may read")
	assert.Contains(t, got, "Insufficient permission : /any")
	// A failed login keeps the connection: the server answers OK with no
	// token, which the client's mechanism refuses.
	assert.Contains(t, o.sameGoLogin(t, "bob", "wrong"), "login: ")
	o.same(t, clientJAAS(t, o.dir, "bob", "wrong"), "get /any\n")
}
