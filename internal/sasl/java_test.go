package sasl

import (
	"bufio"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/javatest"
)

// javaDriver compiles testdata/SaslDriver.java once per test, skipping
// when the JDK is absent.
func javaDriver(t *testing.T) *javatest.Driver {
	t.Helper()
	return javatest.Compile(t, "", "testdata/SaslDriver.java")
}

// javaPeer is one running SaslDriver.
type javaPeer struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Scanner
}

func startJavaPeer(t *testing.T, d *javatest.Driver, args ...string) *javaPeer {
	t.Helper()
	cmd := d.Command(context.Background(), []string{"-Xshare:auto"}, "SaslDriver", args...)
	in, err := cmd.StdinPipe()
	require.NoError(t, err)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	p := &javaPeer{cmd: cmd, in: in, out: bufio.NewScanner(out)}
	t.Cleanup(func() {
		_ = in.Close()
		_ = cmd.Wait()
		if t.Failed() && stderr.Len() > 0 {
			t.Logf("java stderr: %s", stderr.String())
		}
	})
	return p
}

// send writes one token; recv reads "TOKEN x" / "DONE x" / "ERR x".
func (p *javaPeer) send(t *testing.T, tok []byte) {
	t.Helper()
	line := "-"
	if len(tok) > 0 {
		line = base64.StdEncoding.EncodeToString(tok)
	}
	_, err := fmt.Fprintln(p.in, line)
	require.NoError(t, err)
}

func (p *javaPeer) recv(t *testing.T) (kind string, payload string) {
	t.Helper()
	require.True(t, p.out.Scan(), "java driver ended without answering")
	kind, payload, _ = strings.Cut(p.out.Text(), " ")
	return kind, payload
}

func decodeTok(t *testing.T, s string) []byte {
	if s == "-" {
		return nil
	}
	b, err := base64.StdEncoding.DecodeString(s)
	require.NoError(t, err)
	return b
}

// TestJavaServerGoClient: our client against the JDK's DigestMD5Server,
// both ZooKeeper service names, with and without authzid, and a wrong
// password refused by Java.
func TestJavaServerGoClient(t *testing.T) {
	cp := javaDriver(t)
	for _, tc := range []struct {
		name, protocol, server, user, pass, clientPass, authzid string
		ok                                                      bool
	}{
		{"client port", "zookeeper", "zk-sasl-md5", "bob", "bobsecret", "bobsecret", "bob", true},
		{"quorum", "zookeeper-quorum", "zk-quorum-sasl-md5", "test", "t\u00e9st\u674e", "t\u00e9st\u674e", "test", true},
		{"no authzid", "zookeeper", "zk-sasl-md5", "bob", "pw", "pw", "", true},
		{"wrong password", "zookeeper", "zk-sasl-md5", "bob", "pw", "nope", "bob", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := startJavaPeer(t, cp, "server", tc.protocol, tc.server, tc.user, tc.pass)
			c := NewDigestClient(tc.protocol, tc.server, tc.user, tc.clientPass)
			c.SetAuthorizationID(tc.authzid)
			first, _, err := c.Step(nil)
			require.NoError(t, err)
			p.send(t, first)
			kind, payload := p.recv(t)
			require.Equal(t, "TOKEN", kind, payload)
			resp, _, err := c.Step(decodeTok(t, payload))
			require.NoError(t, err)
			p.send(t, resp)
			kind, payload = p.recv(t)
			if !tc.ok {
				require.Equal(t, "ERR", kind)
				assert.Contains(t, payload, "Mismatched response")
				return
			}
			require.Equal(t, "TOKEN", kind, payload)
			_, done, err := c.Step(decodeTok(t, payload))
			require.NoError(t, err, "our client must accept Java's rspauth")
			require.True(t, done)
			kind, payload = p.recv(t)
			require.Equal(t, "DONE", kind)
			want := tc.authzid
			if want == "" {
				want = tc.user
			}
			assert.Equal(t, want, payload)
		})
	}
}

// TestJavaClientGoServer: the JDK's DigestMD5Client against our server.
func TestJavaClientGoServer(t *testing.T) {
	cp := javaDriver(t)
	for _, tc := range []struct {
		name, protocol, server, user, pass, clientPass, authzid string
		ok                                                      bool
	}{
		{"client port", "zookeeper", "zk-sasl-md5", "bob", "bobsecret", "bobsecret", "bob", true},
		{"quorum", "zookeeper-quorum", "zk-quorum-sasl-md5", "test", "t\u00e9st\u674e", "t\u00e9st\u674e", "test", true},
		{"no authzid", "zookeeper", "zk-sasl-md5", "bob", "pw", "pw", "-", true},
		{"wrong password", "zookeeper", "zk-sasl-md5", "bob", "pw", "nope", "bob", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := startJavaPeer(t, cp, "client", tc.protocol, tc.server, tc.authzid, tc.user, tc.clientPass)
			s := NewDigestServer(tc.protocol, tc.server, users(map[string]string{tc.user: tc.pass}))
			ch, _, err := s.Step(nil)
			require.NoError(t, err)
			p.send(t, ch)
			kind, payload := p.recv(t)
			require.Equal(t, "TOKEN", kind, payload)
			rsp, done, err := s.Step(decodeTok(t, payload))
			if !tc.ok {
				require.ErrorIs(t, err, ErrAuthFailed)
				return
			}
			require.NoError(t, err, "our server must accept Java's response")
			require.True(t, done)
			assert.Equal(t, tc.user, s.AuthorizationID())
			p.send(t, rsp)
			kind, payload = p.recv(t)
			require.Equal(t, "DONE", kind, "Java must accept our rspauth: %s", payload)
		})
	}
}
