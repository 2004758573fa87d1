package sasl_test

import (
	"bufio"
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jcmturner/gokrb5/v8/client"
	"github.com/jcmturner/gokrb5/v8/config"
	"github.com/jcmturner/gokrb5/v8/gssapi"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/keytab"
	"github.com/jcmturner/gokrb5/v8/spnego"
	"github.com/jcmturner/gokrb5/v8/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/javatest"
	"github.com/zkit-go/zkit/internal/sasl"
	"github.com/zkit-go/zkit/internal/sasl/krbtest"
)

// TestGSSAPIServerWithJavaClient runs the JDK's GSSAPI SaslClient, logged
// in from a keytab against a test KDC, against our GSSAPIServer, with and
// without mutual authentication (Java's ZooKeeper client asks for none;
// javax.security.sasl.server.authentication=true asks for an AP-REP).
func TestGSSAPIServerWithJavaClient(t *testing.T) {
	javatest.SkipWithoutJDK(t)
	kdc := krbtest.Start(t)
	serviceKT := kdc.AddPrincipal("zookeeper/localhost")
	bobKT := kdc.AddPrincipal("bob")
	jaasFile := filepath.Join(kdc.Dir, "client.conf")
	require.NoError(t, os.WriteFile(jaasFile, []byte(fmt.Sprintf(`Client {
  com.sun.security.auth.module.Krb5LoginModule required
  useKeyTab=true keyTab=%q storeKey=true useTicketCache=false principal="bob@%s";
};
`, bobKT, krbtest.Realm)), 0o600))
	driver := javatest.Compile(t, "", "testdata/SaslDriver.java")
	kt, err := keytab.Load(serviceKT)
	require.NoError(t, err)

	for _, mutual := range []string{"false", "true"} {
		t.Run("mutual="+mutual, func(t *testing.T) {
			cmd := driver.Command(context.Background(),
				[]string{"-Djava.security.krb5.conf=" + kdc.KRB5Conf, "-Djava.security.auth.login.config=" + jaasFile},
				"SaslDriver", "gssclient", "Client", "zookeeper", "localhost", mutual)
			stdin, err := cmd.StdinPipe()
			require.NoError(t, err)
			stdout, err := cmd.StdoutPipe()
			require.NoError(t, err)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			require.NoError(t, cmd.Start())
			defer func() {
				stdin.Close()
				_ = cmd.Wait()
				if t.Failed() {
					t.Logf("java stderr: %s", stderr.String())
				}
			}()
			sc := bufio.NewScanner(stdout)
			send := func(b []byte) {
				line := "-"
				if len(b) > 0 {
					line = base64.StdEncoding.EncodeToString(b)
				}
				_, err := fmt.Fprintln(stdin, line)
				require.NoError(t, err)
			}
			recv := func() (string, []byte) {
				require.True(t, sc.Scan(), "java ended: %s", stderr.String())
				kind, payload, _ := strings.Cut(sc.Text(), " ")
				if kind != "TOKEN" || payload == "-" {
					return kind, nil
				}
				b, err := base64.StdEncoding.DecodeString(payload)
				require.NoError(t, err)
				return kind, b
			}
			s := sasl.NewGSSAPIServer(kt, "zookeeper/localhost@"+krbtest.Realm)
			send(nil) // the client's initial response comes from an empty challenge
			steps := 0
			for i := 0; ; i++ {
				require.Less(t, i, 5, "too many rounds")
				kind, tok := recv()
				require.Equal(t, "TOKEN", kind, "%s %s", kind, tok)
				challenge, done, err := s.Step(tok)
				require.NoError(t, err)
				steps++
				if done {
					break
				}
				send(challenge)
			}
			assert.Equal(t, "bob@"+krbtest.Realm, s.AuthorizationID())
			wantSteps := 2 // AP-REQ -> layer offer, choice -> done
			if mutual == "true" {
				wantSteps = 3 // AP-REQ -> AP-REP, empty -> offer, choice -> done
			}
			assert.Equal(t, wantSteps, steps)
			kind, _ := recv()
			assert.Equal(t, "DONE", kind)
		})
	}
}

// goKerberosToken logs in as user with gokrb5 and returns an initial
// context token for service plus the key its wrap tokens use.
func goKerberosToken(t *testing.T, kdc *krbtest.KDC, userKT, user, service string) ([]byte, types.EncryptionKey) {
	t.Helper()
	cfg, err := config.Load(kdc.KRB5Conf)
	require.NoError(t, err)
	kt, err := keytab.Load(userKT)
	require.NoError(t, err)
	cl := client.NewWithKeytab(user, krbtest.Realm, kt, cfg, client.DisablePAFXFAST(true))
	require.NoError(t, cl.Login())
	t.Cleanup(cl.Destroy)
	tkt, key, err := cl.GetServiceTicket(service)
	require.NoError(t, err)
	tok, err := spnego.NewKRB5TokenAPREQ(cl, tkt, key, []int{gssapi.ContextFlagInteg}, nil)
	require.NoError(t, err)
	b, err := tok.Marshal()
	require.NoError(t, err)
	return b, key
}

func TestGSSAPIServerRefusals(t *testing.T) {
	kdc := krbtest.Start(t)
	serviceKT := kdc.AddPrincipal("zookeeper/localhost")
	otherKT := kdc.AddPrincipal("zookeeper/otherhost")
	bobKT := kdc.AddPrincipal("bob")
	kt, err := keytab.Load(serviceKT)
	require.NoError(t, err)
	newServer := func() *sasl.GSSAPIServer { return sasl.NewGSSAPIServer(kt, "zookeeper/localhost@"+krbtest.Realm) }

	_, _, err = newServer().Step([]byte("not a token"))
	require.ErrorIs(t, err, sasl.ErrProtocol)

	// A good exchange, built by hand: AP-REQ, layer offer, choice.
	tok, key := goKerberosToken(t, kdc, bobKT, "bob", "zookeeper/localhost")
	s := newServer()
	offer, done, err := s.Step(tok)
	require.NoError(t, err)
	require.False(t, done)
	var wt gssapi.WrapToken
	require.NoError(t, wt.Unmarshal(offer, true))
	ok, err := wt.Verify(key, keyusage.GSSAPI_ACCEPTOR_SEAL)
	require.True(t, ok, "%v", err)
	assert.Equal(t, []byte{1, 1, 0, 0}, wt.Payload, "no security layer, 65536")
	choice := func(payload []byte) []byte {
		w, err := gssapi.NewInitiatorWrapToken(payload, key)
		require.NoError(t, err)
		b, err := w.Marshal()
		require.NoError(t, err)
		return b
	}
	_, done, err = s.Step(choice([]byte{1, 0, 0, 0}))
	require.NoError(t, err)
	require.True(t, done)
	assert.Equal(t, "bob@"+krbtest.Realm, s.AuthorizationID())

	// The same AP-REQ again is a replay.
	_, _, err = newServer().Step(tok)
	require.ErrorIs(t, err, sasl.ErrAuthFailed)

	// A ticket for another service in another keytab is refused.
	otherTok, _ := goKerberosToken(t, kdc, bobKT, "bob", "zookeeper/otherhost")
	_, _, err = newServer().Step(otherTok)
	require.ErrorIs(t, err, sasl.ErrAuthFailed)
	otherKeytab, err := keytab.Load(otherKT)
	require.NoError(t, err)
	wrongKey := sasl.NewGSSAPIServer(otherKeytab, "zookeeper/otherhost")
	_, _, err = wrongKey.Step(tok)
	require.ErrorIs(t, err, sasl.ErrAuthFailed, "replayed or not, a ticket for localhost cannot open with otherhost's key")

	// A tampered choice, a security layer, another identity.
	for _, tc := range []struct {
		name    string
		payload []byte
		tamper  bool
		authz   sasl.Authorizer
		want    error
	}{
		{"tampered", []byte{1, 0, 0, 0}, true, nil, sasl.ErrAuthFailed},
		{"integrity layer", []byte{2, 1, 0, 0}, false, nil, sasl.ErrUnsupportedQOP},
		{"other authzid", append([]byte{1, 0, 0, 0}, "alice@EXAMPLE.COM"...), false, nil, sasl.ErrAuthFailed},
		{"short", []byte{1}, false, nil, sasl.ErrProtocol},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tok, key2 := goKerberosToken(t, kdc, bobKT, "bob", "zookeeper/localhost")
			key = key2
			s := newServer()
			_, _, err := s.Step(tok)
			require.NoError(t, err)
			b := choice(tc.payload)
			if tc.tamper {
				b[len(b)-1] ^= 1
			}
			_, _, err = s.Step(b)
			require.ErrorIs(t, err, tc.want)
		})
	}
}

// goKerberosClient logs user in from its keytab with gokrb5.
func goKerberosClient(t *testing.T, kdc *krbtest.KDC, userKT, user string) *client.Client {
	t.Helper()
	cl, err := sasl.KerberosLogin(kdc.KRB5Conf, userKT, user+"@"+krbtest.Realm)
	require.NoError(t, err)
	t.Cleanup(cl.Destroy)
	return cl
}

// TestGSSAPIClientAgainstServers: our client with our server, and with
// the JDK's GssKrb5Server accepting from a keytab.
func TestGSSAPIClientAgainstServers(t *testing.T) {
	kdc := krbtest.Start(t)
	serviceKT := kdc.AddPrincipal("zookeeper/localhost")
	bobKT := kdc.AddPrincipal("bob")
	kt, err := keytab.Load(serviceKT)
	require.NoError(t, err)

	t.Run("zkit server", func(t *testing.T) {
		c := sasl.NewGSSAPIClient(goKerberosClient(t, kdc, bobKT, "bob"), "zookeeper/localhost")
		s := sasl.NewGSSAPIServer(kt, "zookeeper/localhost@"+krbtest.Realm)
		tok, done, err := c.Step(nil)
		require.NoError(t, err)
		for i := 0; ; i++ {
			require.Less(t, i, 5)
			ch, sdone, err := s.Step(tok)
			require.NoError(t, err)
			if done {
				require.True(t, sdone)
				break
			}
			tok, done, err = c.Step(ch)
			require.NoError(t, err)
		}
		assert.Equal(t, "bob@"+krbtest.Realm, s.AuthorizationID())
	})

	t.Run("bad login", func(t *testing.T) {
		_, err := sasl.KerberosLogin(kdc.KRB5Conf, serviceKT, "bob@"+krbtest.Realm)
		require.ErrorIs(t, err, sasl.ErrKerberos, "the keytab holds no key for bob")
		_, err = sasl.KerberosLogin(kdc.KRB5Conf, filepath.Join(kdc.Dir, "missing.keytab"), "bob")
		require.ErrorIs(t, err, sasl.ErrKerberos)
	})

	t.Run("wrong service key", func(t *testing.T) {
		c := sasl.NewGSSAPIClient(goKerberosClient(t, kdc, bobKT, "bob"), "zookeeper/localhost")
		tok, _, err := c.Step(nil)
		require.NoError(t, err)
		// A forged AP-REP: the right shape, a key the server does not have.
		s := sasl.NewGSSAPIServer(kt, "zookeeper/localhost@"+krbtest.Realm)
		rep, _, err := s.Step(tok)
		require.NoError(t, err)
		rep[len(rep)-1] ^= 1
		_, _, err = c.Step(rep)
		require.Error(t, err)
	})

	t.Run("java server", func(t *testing.T) {
		driver := javatest.Compile(t, "", "testdata/SaslDriver.java")
		jaasFile := filepath.Join(kdc.Dir, "server.conf")
		require.NoError(t, os.WriteFile(jaasFile, []byte(fmt.Sprintf(`Server {
  com.sun.security.auth.module.Krb5LoginModule required
  useKeyTab=true keyTab=%q storeKey=true useTicketCache=false isInitiator=false principal="zookeeper/localhost@%s";
};
`, serviceKT, krbtest.Realm)), 0o600))
		cmd := driver.Command(context.Background(),
			[]string{"-Djava.security.krb5.conf=" + kdc.KRB5Conf, "-Djava.security.auth.login.config=" + jaasFile},
			"SaslDriver", "gssserver", "Server", "zookeeper", "localhost")
		stdin, err := cmd.StdinPipe()
		require.NoError(t, err)
		stdout, err := cmd.StdoutPipe()
		require.NoError(t, err)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		require.NoError(t, cmd.Start())
		defer func() {
			stdin.Close()
			_ = cmd.Wait()
			if t.Failed() {
				t.Logf("java stderr: %s", stderr.String())
			}
		}()
		sc := bufio.NewScanner(stdout)
		c := sasl.NewGSSAPIClient(goKerberosClient(t, kdc, bobKT, "bob"), "zookeeper/localhost")
		tok, done, err := c.Step(nil)
		require.NoError(t, err)
		for i := 0; ; i++ {
			require.Less(t, i, 5)
			line := "-"
			if len(tok) > 0 {
				line = base64.StdEncoding.EncodeToString(tok)
			}
			_, err := fmt.Fprintln(stdin, line)
			require.NoError(t, err)
			require.True(t, sc.Scan(), "java ended: %s", stderr.String())
			kind, payload, _ := strings.Cut(sc.Text(), " ")
			require.Equal(t, "TOKEN", kind, "%s %s", kind, payload)
			if done {
				break
			}
			var ch []byte
			if payload != "-" {
				ch, err = base64.StdEncoding.DecodeString(payload)
				require.NoError(t, err)
			}
			tok, done, err = c.Step(ch)
			require.NoError(t, err)
		}
		require.True(t, sc.Scan())
		assert.Equal(t, "DONE bob@"+krbtest.Realm, sc.Text())
	})
}
