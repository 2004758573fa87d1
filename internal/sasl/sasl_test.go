package sasl

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func users(m map[string]string) Credentials {
	return func(u string) (string, bool) { p, ok := m[u]; return p, ok }
}

// exchange drives a client and a server to the end and returns the first
// error either side reports.
func exchange(t *testing.T, c *DigestClient, s *DigestServer) error {
	t.Helper()
	msg, done, err := c.Step(nil)
	require.NoError(t, err)
	require.False(t, done)
	for range 4 {
		challenge, sdone, err := s.Step(msg)
		if err != nil {
			return err
		}
		resp, cdone, err := c.Step(challenge)
		if err != nil {
			return err
		}
		if sdone {
			require.True(t, cdone, "server done but client not")
			require.Nil(t, resp)
			return nil
		}
		msg = resp
	}
	t.Fatal("exchange did not finish")
	return nil
}

func TestDigestRoundTrip(t *testing.T) {
	for _, tc := range []struct{ name, user, password string }{
		{"ascii", "bob", "bobsecret"},
		{"latin1", "jos\u00e9", "p\u00e4ss"},
		{"beyond latin1", "\u674e", "\u5bc6\u7801\"\\q"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := NewDigestServer("zookeeper", "zk-sasl-md5", users(map[string]string{tc.user: tc.password}))
			c := NewDigestClient("zookeeper", "zk-sasl-md5", tc.user, tc.password)
			require.NoError(t, exchange(t, c, s))
			assert.Equal(t, tc.user, s.AuthorizationID())
			assert.Equal(t, tc.user, s.AuthenticationID())
			assert.Equal(t, "zk-sasl-md5", s.Realm())
			assert.Equal(t, []string{"zk-sasl-md5"}, c.Realms())
		})
	}
}

func TestDigestWrongPasswordAndUnknownUser(t *testing.T) {
	creds := users(map[string]string{"bob": "right"})
	s := NewDigestServer("zookeeper", "zk-sasl-md5", creds)
	err := exchange(t, NewDigestClient("zookeeper", "zk-sasl-md5", "bob", "wrong"), s)
	require.ErrorIs(t, err, ErrAuthFailed)
	_, _, err = s.Step([]byte("x"))
	require.ErrorIs(t, err, ErrProtocol, "a failed exchange stays failed")

	err = exchange(t, NewDigestClient("zookeeper", "zk-sasl-md5", "eve", "right"),
		NewDigestServer("zookeeper", "zk-sasl-md5", creds))
	require.ErrorIs(t, err, ErrAuthFailed)
}

func TestDigestWrongServiceRefused(t *testing.T) {
	creds := users(map[string]string{"bob": "pw"})
	// A quorum client talking to the client port: realm and digest-uri differ.
	err := exchange(t, NewDigestClient("zookeeper-quorum", "zk-quorum-sasl-md5", "bob", "pw"),
		NewDigestServer("zookeeper", "zk-sasl-md5", creds))
	require.ErrorIs(t, err, ErrProtocol)
}

func TestDigestAuthzid(t *testing.T) {
	creds := users(map[string]string{"bob": "pw"})
	c := NewDigestClient("zookeeper", "zk-sasl-md5", "bob", "pw")
	c.SetAuthorizationID("alice")
	err := exchange(t, c, NewDigestServer("zookeeper", "zk-sasl-md5", creds))
	require.ErrorIs(t, err, ErrAuthFailed, "default authorizer: only as yourself")

	c = NewDigestClient("zookeeper", "zk-sasl-md5", "bob", "pw")
	c.SetAuthorizationID("alice")
	s := NewDigestServer("zookeeper", "zk-sasl-md5", creds)
	s.SetAuthorizer(func(authcid, requested string) (string, error) { return requested + "/via/" + authcid, nil })
	require.NoError(t, exchange(t, c, s))
	assert.Equal(t, "alice/via/bob", s.AuthorizationID())

	c = NewDigestClient("zookeeper", "zk-sasl-md5", "bob", "pw")
	c.SetAuthorizationID("")
	s = NewDigestServer("zookeeper", "zk-sasl-md5", creds)
	require.NoError(t, exchange(t, c, s))
	assert.Equal(t, "bob", s.AuthorizationID())
}

func TestDigestQOPRefused(t *testing.T) {
	creds := users(map[string]string{"bob": "pw"})
	s := NewDigestServer("zookeeper", "zk-sasl-md5", creds)
	c := NewDigestClient("zookeeper", "zk-sasl-md5", "bob", "pw")
	_, _, err := c.Step(nil)
	require.NoError(t, err)
	ch, _, err := s.Step(nil)
	require.NoError(t, err)
	resp, _, err := c.Step(ch)
	require.NoError(t, err)
	tampered := strings.Replace(string(resp), "qop=auth", "qop=auth-conf", 1)
	_, _, err = s.Step([]byte(tampered))
	require.ErrorIs(t, err, ErrUnsupportedQOP)

	c = NewDigestClient("zookeeper", "zk-sasl-md5", "bob", "pw")
	_, _, err = c.Step(nil)
	require.NoError(t, err)
	_, _, err = c.Step([]byte(`realm="zk-sasl-md5",nonce="abc",qop="auth-int,auth-conf",cipher="rc4",charset=utf-8,algorithm=md5-sess`))
	require.ErrorIs(t, err, ErrUnsupportedQOP)
}

func TestDigestClientChecksRspauth(t *testing.T) {
	creds := users(map[string]string{"bob": "pw"})
	s := NewDigestServer("zookeeper", "zk-sasl-md5", creds)
	c := NewDigestClient("zookeeper", "zk-sasl-md5", "bob", "pw")
	_, _, err := c.Step(nil)
	require.NoError(t, err)
	ch, _, err := s.Step(nil)
	require.NoError(t, err)
	resp, _, err := c.Step(ch)
	require.NoError(t, err)
	rsp, done, err := s.Step(resp)
	require.NoError(t, err)
	require.True(t, done)
	forged := []byte("rspauth=" + strings.Repeat("0", 32))
	require.NotEqual(t, rsp, forged)
	_, _, err = c.Step(forged)
	require.ErrorIs(t, err, ErrAuthFailed)

	c = NewDigestClient("zookeeper", "zk-sasl-md5", "bob", "pw")
	_, _, _ = c.Step(nil)
	_, _, err = c.Step(ch)
	require.NoError(t, err)
	_, _, err = c.Step([]byte("something=else"))
	require.ErrorIs(t, err, ErrAuthFailed)
}

func TestDigestChallengeShape(t *testing.T) {
	s := NewDigestServer("zookeeper", "zk-sasl-md5", users(nil))
	ch, done, err := s.Step(nil)
	require.NoError(t, err)
	require.False(t, done)
	require.Regexp(t, `^realm="zk-sasl-md5",nonce="[A-Za-z0-9+/]{40}",charset=utf-8,algorithm=md5-sess$`, string(ch))
	ch2, _, err := NewDigestServer("zookeeper", "zk-sasl-md5", users(nil)).Step(nil)
	require.NoError(t, err)
	require.NotEqual(t, ch, ch2, "nonces are random")
}

func TestParseDirectives(t *testing.T) {
	d, err := parseDirectives([]byte(" , Realm = \"a\\\"b\" ,realm=\"c\",nonce=xyz\r\n, qop=\"auth, auth-int\""), true)
	require.NoError(t, err)
	v, _ := d.get("nonce")
	assert.Equal(t, "xyz", string(v))
	assert.Equal(t, [][]byte{[]byte(`a"b`), []byte("c")}, d.realms)
	v, _ = d.get("qop")
	assert.Equal(t, "auth, auth-int", string(v))

	for _, bad := range []string{
		`nonce="abc`, `nonce="a\`, `=x`, `nonce`, `a b=c`, `nonce="a"x`, `realm="a",realm="b"`,
		`nonce=`,
	} {
		_, err := parseDirectives([]byte(bad), false)
		assert.ErrorIs(t, err, ErrProtocol, "%q", bad)
	}
}

func TestServerRejectsMalformedResponses(t *testing.T) {
	creds := users(map[string]string{"bob": "pw"})
	for _, tc := range []struct{ name, from, to string }{
		{"no username", `username="bob",`, ``},
		{"other realm", `realm="zk-sasl-md5"`, `realm="other"`},
		{"no nonce", `nonce="`, `xnonce="`},
		{"no cnonce", `cnonce="`, `xcnonce="`},
		{"nonce count", `nc=00000001`, `nc=00000002`},
		{"no digest-uri", `digest-uri=`, `xdigest-uri=`},
		{"other digest-uri", `zookeeper/zk-sasl-md5`, `zookeeper/other`},
		{"no response", `response=`, `xresponse=`},
		{"latin1 charset", `charset=utf-8`, `charset=iso-8859-1`},
		{"oversized", `qop=auth`, `qop=auth,x="` + strings.Repeat("a", maxResponseLength) + `"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := NewDigestServer("zookeeper", "zk-sasl-md5", creds)
			c := NewDigestClient("zookeeper", "zk-sasl-md5", "bob", "pw")
			_, _, _ = c.Step(nil)
			ch, _, err := s.Step(nil)
			require.NoError(t, err)
			resp, _, err := c.Step(ch)
			require.NoError(t, err)
			require.Contains(t, string(resp), tc.from)
			_, _, err = s.Step([]byte(strings.Replace(string(resp), tc.from, tc.to, 1)))
			require.ErrorIs(t, err, ErrProtocol)
		})
	}
}

func FuzzServerStep(f *testing.F) {
	f.Add([]byte(`username="bob",realm="zk-sasl-md5",nonce="x",cnonce="y",digest-uri="zookeeper/zk-sasl-md5",response=00,qop=auth`))
	f.Add([]byte(`a="\`))
	f.Fuzz(func(t *testing.T, resp []byte) {
		s := NewDigestServer("zookeeper", "zk-sasl-md5", users(map[string]string{"bob": "pw"}))
		_, _, err := s.Step(nil)
		require.NoError(t, err)
		_, done, err := s.Step(resp)
		require.False(t, done && err == nil, "a forged response must never authenticate")
	})
}
