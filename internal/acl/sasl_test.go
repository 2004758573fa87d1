package acl

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/proto"
)

func saslAuthenticator(t *testing.T, letAny string) *Authenticator {
	t.Helper()
	a, err := New(Config{
		AuthProviders: map[string]string{"1": " " + saslProviderClass + " "},
		SASL:          SASLConfig{LetAnyUserDoX: letAny},
	})
	require.NoError(t, err)
	return a
}

func TestSASLSchemeNeedsProvider(t *testing.T) {
	plain, err := New(Config{})
	require.NoError(t, err)
	acl := []proto.ACL{{Perms: proto.PermAll, ID: proto.ID{Scheme: "sasl", ID: "bob"}}}
	_, err = plain.FixupACL(acl, nil)
	require.ErrorIs(t, err, ErrInvalidACL, "without SASLAuthenticationProvider sasl ACLs are invalid")
	require.ErrorIs(t, plain.Check(acl, proto.PermRead, []proto.ID{{Scheme: "sasl", ID: "bob"}}), ErrNoAuth)
	assert.False(t, plain.HasScheme("sasl"))

	a := saslAuthenticator(t, "")
	assert.True(t, a.HasScheme("sasl"))
	got, err := a.FixupACL(acl, nil)
	require.NoError(t, err)
	assert.Equal(t, acl, got)
}

func TestSASLMatches(t *testing.T) {
	a := saslAuthenticator(t, "anyone-sasl")
	node := []proto.ACL{
		{Perms: proto.PermRead, ID: proto.ID{Scheme: "sasl", ID: "bob"}},
		{Perms: proto.PermWrite, ID: proto.ID{Scheme: "sasl", ID: "anyone-sasl"}},
	}
	bob := []proto.ID{{Scheme: "ip", ID: "127.0.0.1"}, {Scheme: "sasl", ID: "bob"}}
	alice := []proto.ID{{Scheme: "sasl", ID: "alice"}}
	super := []proto.ID{{Scheme: "sasl", ID: "super"}}
	require.NoError(t, a.Check(node, proto.PermRead, bob))
	require.ErrorIs(t, a.Check(node, proto.PermRead, alice), ErrNoAuth)
	require.NoError(t, a.Check(node, proto.PermWrite, alice), "letAnySaslUserDoX")
	require.NoError(t, a.Check(node, proto.PermRead, super), "the sasl id super matches every sasl ACL")
	require.ErrorIs(t, a.Check(node, proto.PermRead, []proto.ID{{Scheme: "digest", ID: "bob"}}), ErrNoAuth)
	require.ErrorIs(t, a.Check(node[:1], proto.PermDelete, bob), ErrNoAuth)
}

func TestSASLAuthExpansionAndWhoAmI(t *testing.T) {
	a := saslAuthenticator(t, "")
	ids := []proto.ID{{Scheme: "ip", ID: "127.0.0.1"}, {Scheme: "sasl", ID: "bob"}}
	got, err := a.FixupACL([]proto.ACL{{Perms: proto.PermAll, ID: proto.ID{Scheme: "auth", ID: ""}}}, ids)
	require.NoError(t, err)
	assert.Equal(t, []proto.ACL{{Perms: proto.PermAll, ID: proto.ID{Scheme: "sasl", ID: "bob"}}}, got)
	assert.Equal(t, []proto.ClientInfo{{AuthScheme: "ip", User: "127.0.0.1"}, {AuthScheme: "sasl", User: "bob"}}, a.ClientInfos(ids))
	_, err = a.Authenticate("sasl", []byte("bob"), nil)
	require.ErrorIs(t, err, ErrAuthFailed, "sasl ids come only from op 102, never from addauth")
}

func TestSASLValidAndAuthorizedID(t *testing.T) {
	for id, ok := range map[string]bool{
		"bob": true, "bob/host": true, "zk/host@EXAMPLE.COM": true, "bob@R": true, "bob@": true,
		"a@b@c": false, "a/b/c@R": false, "@": true, "": true,
	} {
		assert.Equal(t, ok, saslValid(id), id)
	}
	for _, tc := range []struct {
		in                      string
		removeHost, removeRealm bool
		want                    string
	}{
		{"bob", false, false, "bob"},
		{"bob", true, true, "bob"},
		{"bob/host", true, true, "bob/host"},
		{"zk/host@EXAMPLE.COM", false, false, "zk/host@EXAMPLE.COM"},
		{"zk/host@EXAMPLE.COM", true, false, "zk@EXAMPLE.COM"},
		{"zk/host@EXAMPLE.COM", false, true, "zk/host"},
		{"zk/host@EXAMPLE.COM", true, true, "zk"},
		{"alice@EXAMPLE.COM", false, true, "alice"},
	} {
		assert.Equal(t, tc.want, SASLAuthorizedID(tc.in, tc.removeHost, tc.removeRealm), "%+v", tc)
	}
}
