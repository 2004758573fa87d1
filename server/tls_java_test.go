package server_test

import (
	"context"
	"crypto/x509/pkix"
	"errors"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/client/clienttest"
	"github.com/zkit-go/zkit/internal/tlsconf/tlstest"
	zktesting "github.com/zkit-go/zkit/testing"
)

// javaTLSFlags are the -D options of a Java TLS client presenting keyStore.
func (p *tlsPKI) javaTLSFlags(keyStore string) []string {
	f := []string{
		"-Dzookeeper.client.secure=true",
		"-Dzookeeper.clientCnxnSocket=org.apache.zookeeper.ClientCnxnSocketNetty",
		"-Dzookeeper.ssl.trustStore.location=" + p.trustStore,
		"-Dzookeeper.ssl.trustStore.password=" + storePassword,
	}
	if keyStore != "" {
		f = append(f, "-Dzookeeper.ssl.keyStore.location="+keyStore, "-Dzookeeper.ssl.keyStore.password="+storePassword)
	}
	return f
}

// javaException is the first line of a logged Java exception.
var javaException = regexp.MustCompile(`^([a-z][a-z0-9_]*\.)*[A-Z][A-Za-z0-9_$]*(Exception|Error): `)

// zkCliLines runs zkCli commands (one JVM, commands on stdin) and returns
// what it printed for them: prompts, session events and blank lines
// dropped, so two servers' transcripts compare.
func zkCliLines(t *testing.T, addr string, flags []string, commands ...string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), zktesting.Scale(90*time.Second))
	defer cancel()
	res, err := clienttest.JavaCLI(ctx, addr, strings.Join(commands, "\n")+"\nquit\n", flags)
	require.NoError(t, err)
	var out []string
	prompt := regexp.MustCompile(`^\[zk: [^]]*\] ?\d*> ?`)
	for _, line := range strings.Split(res.Stdout+"\n"+res.Stderr, "\n") {
		line = prompt.ReplaceAllString(strings.TrimRight(line, "\r"), "")
		switch {
		case line == "", strings.HasPrefix(line, "WATCHER::"), strings.HasPrefix(line, "WatchedEvent"),
			strings.HasPrefix(line, "Connecting to"), strings.Contains(line, "] INFO "), strings.Contains(line, "] WARN "),
			strings.Contains(line, "] ERROR "), strings.HasPrefix(line, "Welcome to ZooKeeper"), strings.HasPrefix(line, "JLine support"),
			strings.HasPrefix(line, "quit"),
			// A stack trace the Java client may log as it closes.
			strings.HasPrefix(line, "\tat "), strings.HasPrefix(line, "\t... "), javaException.MatchString(line):
			continue
		}
		out = append(out, line)
	}
	return out
}

// TestTLSJavaOracle runs Java's zkCli over TLS (Netty socket, PKCS12
// stores) against a Java ZooKeeper 3.8 with secureClientPort and against
// zkit with the same settings, and compares the transcripts: x509 ACLs
// with Java's id strings granting one identity and refusing another,
// getAcl, and whoAmI (including a subject that needs RFC 2253 escaping).
func TestTLSJavaOracle(t *testing.T) {
	if testing.Short() {
		t.Skip("starts several JVMs; skipped in -short")
	}
	p := newTLSPKI(t)
	carol, err := p.ca.Issue(tlstest.Options{Subject: pkix.Name{
		CommonName:   "Doe, John",
		Organization: []string{`Ex "Inc"`},
		Country:      []string{"DE"},
	}})
	require.NoError(t, err)
	carolKS := filepath.Join(p.dir, "carol.p12")
	data, err := carol.PKCS12(storePassword)
	require.NoError(t, tlstest.WriteFile(carolKS, data, err))
	// zkCli splits an ACL at commas, so the identities it names in ACLs
	// have one-RDN subjects.
	single := func(name string) string {
		c, err := p.ca.Issue(tlstest.Options{Subject: pkix.Name{CommonName: name}})
		require.NoError(t, err)
		path := filepath.Join(p.dir, name+".p12")
		data, err := c.PKCS12(storePassword)
		require.NoError(t, tlstest.WriteFile(path, data, err))
		return path
	}
	daveKS, erinKS := single("dave"), single("erin")

	securePort := freePort(t)
	props := func(port int) map[string]string {
		m := p.serverProps(port)
		m["X509AuthenticationProvider.superUser"] = bobID
		return m
	}
	var extra []string
	for k, v := range props(securePort) {
		if k != "admin.enableServer" && k != "4lw.commands.whitelist" {
			extra = append(extra, k+"="+v)
		}
	}
	java, err := clienttest.StartJavaServer(t.TempDir(), extra...)
	if errors.Is(err, clienttest.ErrNoJava) {
		t.Skip(err)
	}
	require.NoError(t, err)
	defer java.Stop()
	javaSecure := "127.0.0.1:" + strconv.Itoa(securePort)

	zkit := startTLS(t, freePort(t), props(freePort(t)))
	zkitSecure := zkit.SecureAddr().String()

	script := func(addr string) map[string][]string {
		return map[string][]string{
			"alice": zkCliLines(t, addr, p.javaTLSFlags(p.aliceKS), "whoami"),
			"dave": zkCliLines(t, addr, p.javaTLSFlags(daveKS),
				"create /x509 data x509:CN=dave:cdrwa",
				"getAcl /x509",
				"get /x509",
				"whoami",
			),
			"erin": zkCliLines(t, addr, p.javaTLSFlags(erinKS),
				"get /x509",
				"set /x509 new",
				"getAcl /x509",
			),
			"bob": zkCliLines(t, addr, p.javaTLSFlags(p.bobKS),
				"whoami",
				"get /x509",
				"create /bob b auth::cdrwa",
				"getAcl /bob",
				"setAcl /bob x509:not-a-name:r",
			),
			"carol": zkCliLines(t, addr, p.javaTLSFlags(carolKS), "whoami"),
		}
	}
	want := script(javaSecure)
	got := script(zkitSecure)
	for _, who := range []string{"alice", "dave", "erin", "bob", "carol"} {
		t.Logf("%s (Java): %q", who, want[who])
		assert.Equal(t, want[who], got[who], who)
	}
	assert.Contains(t, want["alice"], "x509: "+aliceID, "the oracle authenticated alice")
	assert.Contains(t, want["dave"], "data", "the x509 ACL grants dave")
	assert.Contains(t, want["erin"], "Insufficient permission : /x509", "the x509 ACL refuses erin")
	assert.Contains(t, want["bob"], "super: ", "the oracle made bob super")
	assert.Contains(t, want["bob"], "data", "the super user reads dave's node")
	assert.Contains(t, strings.Join(want["carol"], "\n"), `x509: CN=Doe\, John,O=Ex \"Inc\",C=DE`)
}

// TestPortUnificationJava: Java's zkCli reaches one zkit client port with
// client.portUnification both over TLS (Netty socket) and in plaintext.
func TestPortUnificationJava(t *testing.T) {
	if testing.Short() {
		t.Skip("starts JVMs; skipped in -short")
	}
	p := newTLSPKI(t)
	props := p.serverProps(0)
	delete(props, "secureClientPort")
	delete(props, "secureClientPortAddress")
	props["client.portUnification"] = "true"
	srv := startTLS(t, freePort(t), props)
	addr := srv.Addr().String()
	ctx, cancel := context.WithTimeout(context.Background(), zktesting.Scale(90*time.Second))
	defer cancel()
	res, err := clienttest.JavaCLI(ctx, addr, "", p.javaTLSFlags(p.aliceKS), "whoami")
	if errors.Is(err, clienttest.ErrNoJava) {
		t.Skip(err)
	}
	require.NoError(t, err)
	assert.Contains(t, res.Stdout, "x509: "+aliceID+"\n")
	res, err = clienttest.JavaCLI(ctx, addr, "", nil, "ls", "/")
	require.NoError(t, err)
	assert.Contains(t, res.Stdout, "[zookeeper]\n")
}
