package acl

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/javatest"
	"github.com/zkit-go/zkit/internal/proto"
)

// x509Names are ids for X509AuthenticationProvider.isValid, with what
// Java's new X500Principal(id) says (checked by TestX509ValidMatchesJava).
var x509Names = []struct {
	id    string
	valid bool
}{
	{"CN=alice,OU=clients,O=example", true},
	{"CN=alice, OU=clients, O=example", true},
	{"cn=alice;o=example", true},
	{"CN=dave", true},
	{"", true},
	{`CN=Doe\, John,O=Ex \"Inc\",C=DE`, true},
	{`CN="Doe, John"`, true},
	{"CN=bob+UID=b1,O=example", true},
	{"1.2.840.113549.1.9.1=#160d64406578616d706c652e636f6d", true},
	{"OID.2.5.4.3=carol", true},
	{"EMAILADDRESS=a@b.c", true},
	{"not-a-name", false},
	{"CN", false},
	{"FOO=bar", false},
	{`CN=a\`, false},
	{`CN="open`, false},
	{"1.2.3=#zz", false},
}

func TestX509Valid(t *testing.T) {
	for _, n := range x509Names {
		assert.Equal(t, n.valid, x509Valid(n.id), "%q", n.id)
	}
}

func TestX509ValidMatchesJava(t *testing.T) {
	javatest.SkipWithoutJVM(t)
	args := []string{"-valid"}
	for _, n := range x509Names {
		args = append(args, n.id)
	}
	out, err := javatest.Command(context.Background(), nil, "", "../tlsconf/testdata/X500Name.java", args...).Output()
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	require.Len(t, lines, len(x509Names))
	for i, n := range x509Names {
		assert.Equal(t, lines[i] == "true", n.valid, "Java on %q says %s", n.id, lines[i])
	}
}

func TestX509Scheme(t *testing.T) {
	a, err := New(Config{X509: X509Config{Enabled: true, SuperUser: "CN=root"}})
	require.NoError(t, err)
	alice := X509IDs("CN=alice", "CN=root")
	assert.Equal(t, []proto.ID{{Scheme: SchemeX509, ID: "CN=alice"}}, alice)
	root := X509IDs("CN=root", "CN=root")
	assert.Equal(t, []proto.ID{{Scheme: SchemeSuper, ID: "CN=root"}, {Scheme: SchemeX509, ID: "CN=root"}}, root)

	acl := []proto.ACL{{Perms: proto.PermRead, ID: proto.ID{Scheme: SchemeX509, ID: "CN=alice"}}}
	require.NoError(t, a.Check(acl, proto.PermRead, alice))
	require.ErrorIs(t, a.Check(acl, proto.PermRead, X509IDs("CN=bob", "")), ErrNoAuth)
	// The super user's x509 id matches every x509 ACL even without super.
	require.NoError(t, a.Check(acl, proto.PermRead, []proto.ID{{Scheme: SchemeX509, ID: "CN=root"}}))

	// auth expands to the x509 id; whoAmI reports the subject.
	fixed, err := a.FixupACL([]proto.ACL{{Perms: proto.PermAll, ID: proto.ID{Scheme: SchemeAuth}}}, alice)
	require.NoError(t, err)
	assert.Equal(t, []proto.ACL{{Perms: proto.PermAll, ID: alice[0]}}, fixed)
	assert.Equal(t, []proto.ClientInfo{{AuthScheme: "x509", User: "CN=alice"}}, a.ClientInfos(alice))

	// Without the scheme, x509 ACLs are invalid and match nothing.
	off, err := New(Config{})
	require.NoError(t, err)
	_, err = off.FixupACL(acl, nil)
	assert.ErrorIs(t, err, ErrInvalidACL)
	assert.ErrorIs(t, off.Check(acl, proto.PermRead, alice), ErrNoAuth)
	// authProvider.N naming the class registers it.
	on, err := New(Config{AuthProviders: map[string]string{"1": x509ProviderClass}})
	require.NoError(t, err)
	_, err = on.FixupACL(acl, nil)
	assert.NoError(t, err)
}
