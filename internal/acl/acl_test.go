package acl

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/proto"
)

// Digests printed by Java's DigestAuthenticationProvider.generateDigest.
var digestVectors = []struct{ in, want string }{
	{"super:test", "super:D/InIHSb7yEEbrWz8b9l71RjZJU="},
	{"user:password", "user:tpUq/4Pn5A64fVZyQ0gOJ8ZWqkY="},
	{"nocolon", "nocolon:Ra+cHr2ZoHvBjtNArFGNGlVie4g="},
	{"", ":2jmj7l5rSw0yVb/vlWAYkK/YBwk="},
	{"é:pässwörd", "é:p+FlCnRunpeY7mtKmPxxPvSOgKg="},
}

func TestGenerateDigest(t *testing.T) {
	for _, v := range digestVectors {
		assert.Equal(t, v.want, GenerateDigest(v.in), v.in)
	}
}

func TestDigestAlg(t *testing.T) {
	_, err := New(Config{DigestAlg: "NOPE"})
	require.ErrorIs(t, err, ErrDigestAlg)
	a, err := New(Config{DigestAlg: "sha-256"})
	require.NoError(t, err)
	ids, err := a.Authenticate("digest", []byte("u:p"), nil)
	require.NoError(t, err)
	require.Len(t, ids, 1)
	// base64(SHA-256("u:p")) is 44 characters.
	assert.Len(t, strings.TrimPrefix(ids[0].ID, "u:"), 44)
}

func TestDigestValid(t *testing.T) {
	cases := []struct {
		id string
		ok bool
	}{
		{"user:hash", true},
		{":hash", true},
		{"user:hash:", true},
		{"user:hash::", true},
		{"user:", false},
		{"user", false},
		{"", false},
		{":", false},
		{"::", false},
		{"a:b:c", false},
		{"a::b", false},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.ok, digestValid(tc.id), "%q", tc.id)
	}
}

func TestIPValidAndMatches(t *testing.T) {
	valid := []struct {
		expr   string
		v4, v6 bool
	}{
		{"10.1.2.3", true, true},
		{"10.1.2.3/32", true, true},
		{"10.1.2.3/0", true, true},
		{"10.0.0.0/8", true, true},
		{"10.1.2.3/33", false, false},
		{"10.1.2.3/-1", false, false},
		{"10.1.2.3/", false, false},
		{"10.1.2", false, false},
		{"10.1.2.3.4", false, false},
		{"10.1.2.256", false, false},
		{"+10.1.2.3", true, true},
		{"010.001.2.3", true, true},
		{"١٠.1.2.3", true, true}, // Arabic-Indic digits, as Integer.parseInt reads them
		{"", false, false},
		{"::1", false, true},
		{"0:0:0:0:0:0:0:1", false, true},
		{"fe80::1/64", false, true},
		{"fe80::1/129", false, false},
		{"1:2:3:4:5:6:7", false, false},
		{"1::2::3", false, false},
		{"1:2:3:4:5:6:7::8", false, false},
		{"12345::", false, false},
		{"::ffff:1.2.3.4", false, false},
		{"localhost", false, false},
	}
	for _, tc := range valid {
		assert.Equal(t, tc.v4, ipValid(tc.expr, false), "3.8 isValid %q", tc.expr)
		assert.Equal(t, tc.v6, ipValid(tc.expr, true), "3.9 isValid %q", tc.expr)
	}

	matches := []struct {
		id, expr string
		v4, v6   bool
	}{
		{"10.1.2.3", "10.1.2.3", true, true},
		{"10.1.2.3", "10.1.2.4", false, false},
		{"10.1.2.3", "10.0.0.0/8", true, true},
		{"10.1.2.3", "10.1.2.0/30", true, true},
		{"10.1.2.4", "10.1.2.0/30", false, false},
		{"11.1.2.3", "10.0.0.0/7", true, true},
		{"12.1.2.3", "10.0.0.0/7", false, false},
		{"1.2.3.4", "0.0.0.0/0", true, true},
		{"0:0:0:0:0:0:0:1", "::1", false, true},
		{"0:0:0:0:0:0:0:1", "0.0.0.0/0", false, false},
		{"fe80:0:0:0:0:0:0:5", "fe80::/16", false, true},
		{"fe81:0:0:0:0:0:0:5", "fe80::/16", false, false},
		{"fe80:0:0:0:0:0:0:5%eth0", "fe80::/16", false, false},
	}
	for _, tc := range matches {
		assert.Equal(t, tc.v4, ipMatches(tc.id, tc.expr, false), "3.8 matches(%q, %q)", tc.id, tc.expr)
		assert.Equal(t, tc.v6, ipMatches(tc.id, tc.expr, true), "3.9 matches(%q, %q)", tc.id, tc.expr)
	}
}

func TestConnectionID(t *testing.T) {
	cases := []struct {
		addr net.Addr
		want string
		ok   bool
	}{
		{&net.TCPAddr{IP: net.ParseIP("127.0.0.1"), Port: 5}, "127.0.0.1", true},
		{&net.TCPAddr{IP: net.IPv4(10, 0, 0, 7), Port: 5}, "10.0.0.7", true}, // 16-byte form, as from a dual-stack listener
		{&net.TCPAddr{IP: net.ParseIP("::1"), Port: 5}, "0:0:0:0:0:0:0:1", true},
		{&net.TCPAddr{IP: net.ParseIP("fe80::a:b"), Zone: "eth0"}, "fe80:0:0:0:0:0:a:b%eth0", true},
		{&net.UDPAddr{IP: net.ParseIP("2001:db8::1")}, "2001:db8:0:0:0:0:0:1", true},
		{&net.IPAddr{IP: net.ParseIP("1.2.3.4")}, "1.2.3.4", true},
		{&net.UnixAddr{Name: "/tmp/s", Net: "unix"}, "", false},
		{nil, "", false},
	}
	for _, tc := range cases {
		id, ok := ConnectionID(tc.addr)
		assert.Equal(t, tc.ok, ok, "%v", tc.addr)
		if tc.ok {
			assert.Equal(t, proto.ID{Scheme: "ip", ID: tc.want}, id)
		}
	}
}

// ace builds an ACL entry.
func ace(perms int32, id proto.ID) proto.ACL { return proto.ACL{Perms: perms, ID: id} }

var remote = &net.TCPAddr{IP: net.ParseIP("10.1.2.3"), Port: 40000}

func TestAuthenticate(t *testing.T) {
	superDigest := GenerateDigest("super:test")
	a, err := New(Config{SuperDigest: superDigest})
	require.NoError(t, err)

	ids, err := a.Authenticate("digest", []byte("user:password"), remote)
	require.NoError(t, err)
	assert.Equal(t, []proto.ID{{Scheme: "digest", ID: "user:tpUq/4Pn5A64fVZyQ0gOJ8ZWqkY="}}, ids)

	ids, err = a.Authenticate("digest", []byte("super:test"), remote)
	require.NoError(t, err)
	assert.Equal(t, []proto.ID{{Scheme: "super", ID: ""}, {Scheme: "digest", ID: superDigest}}, ids)

	ids, err = a.Authenticate("digest", []byte("super:wrong"), remote)
	require.NoError(t, err, "a wrong super password is just another digest id")
	assert.Len(t, ids, 1)

	ids, err = a.Authenticate("ip", []byte("ignored"), remote)
	require.NoError(t, err)
	assert.Equal(t, []proto.ID{{Scheme: "ip", ID: "10.1.2.3"}}, ids)

	for _, scheme := range []string{"sasl", "x509", "world", "auth", "super", ""} {
		_, err = a.Authenticate(scheme, []byte("x"), remote)
		assert.ErrorIs(t, err, proto.ErrAuthFailed, scheme)
		assert.ErrorIs(t, err, ErrAuthFailed, scheme)
	}

	info := NewAuthInfo(proto.ID{Scheme: "ip", ID: "10.1.2.3"})
	require.NoError(t, a.AddAuth(info, "digest", []byte("super:test"), remote))
	require.NoError(t, a.AddAuth(info, "digest", []byte("super:test"), remote))
	assert.Equal(t, 3, info.Len(), "a repeated login adds nothing")
	assert.Error(t, a.AddAuth(info, "sasl", nil, remote))
}

func TestDigestDisabled(t *testing.T) {
	a, err := New(Config{DigestDisabled: true})
	require.NoError(t, err)
	_, err = a.Authenticate("digest", []byte("u:p"), remote)
	assert.ErrorIs(t, err, proto.ErrAuthFailed)
	_, err = a.FixupACL([]proto.ACL{{Perms: 31, ID: proto.ID{Scheme: "digest", ID: "u:x"}}}, nil)
	assert.ErrorIs(t, err, proto.ErrInvalidACL)

	// Naming the Java class in zookeeper.authProvider.* brings it back.
	a, err = New(Config{DigestDisabled: true, AuthProviders: map[string]string{
		"1": "org.apache.zookeeper.server.auth.DigestAuthenticationProvider",
		"2": "org.apache.zookeeper.server.auth.SASLAuthenticationProvider",
	}})
	require.NoError(t, err)
	_, err = a.Authenticate("digest", []byte("u:p"), remote)
	assert.NoError(t, err)
	_, err = a.Authenticate("sasl", []byte("u:p"), remote)
	assert.ErrorIs(t, err, proto.ErrAuthFailed)
}

var (
	alice    = proto.ID{Scheme: "digest", ID: GenerateDigest("alice:pw")}
	bob      = proto.ID{Scheme: "digest", ID: GenerateDigest("bob:pw")}
	clientIP = proto.ID{Scheme: "ip", ID: "10.1.2.3"}
	superID  = proto.ID{Scheme: "super", ID: ""}
)

func TestFixupACL(t *testing.T) {
	a, err := New(Config{})
	require.NoError(t, err)
	auth := proto.ID{Scheme: "auth", ID: ""}
	cases := []struct {
		name     string
		acl      []proto.ACL
		authInfo []proto.ID
		want     []proto.ACL // nil: INVALIDACL
	}{
		{"open", proto.OpenACLUnsafe, nil, proto.OpenACLUnsafe},
		{"empty", nil, nil, nil},
		{"duplicates dropped", []proto.ACL{ace(31, proto.AnyoneID), ace(31, proto.AnyoneID)}, nil, proto.OpenACLUnsafe},
		{"same id other perms kept", []proto.ACL{ace(31, proto.AnyoneID), ace(1, proto.AnyoneID)}, nil,
			[]proto.ACL{ace(31, proto.AnyoneID), ace(1, proto.AnyoneID)}},
		{"world other than anyone", []proto.ACL{ace(31, proto.ID{Scheme: "world", ID: "me"})}, nil, nil},
		{"auth without login", []proto.ACL{ace(31, auth)}, []proto.ID{clientIP}, nil},
		{"auth with super only", []proto.ACL{ace(31, auth)}, []proto.ID{clientIP, superID}, nil},
		{"auth expands to digest ids only", []proto.ACL{ace(5, auth)}, []proto.ID{clientIP, alice, superID, bob},
			[]proto.ACL{ace(5, alice), ace(5, bob)}},
		{"auth id ignored", []proto.ACL{ace(31, proto.ID{Scheme: "auth", ID: "whatever"})}, []proto.ID{alice},
			[]proto.ACL{ace(31, alice)}},
		{"expansion not deduplicated", []proto.ACL{ace(31, auth), ace(31, alice)}, []proto.ID{alice},
			[]proto.ACL{ace(31, alice), ace(31, alice)}},
		{"digest valid", []proto.ACL{ace(31, bob)}, nil, []proto.ACL{ace(31, bob)}},
		{"digest invalid", []proto.ACL{ace(31, proto.ID{Scheme: "digest", ID: "bob"})}, nil, nil},
		{"ip valid", []proto.ACL{ace(1, proto.ID{Scheme: "ip", ID: "10.0.0.0/8"})}, nil,
			[]proto.ACL{ace(1, proto.ID{Scheme: "ip", ID: "10.0.0.0/8"})}},
		{"ip invalid", []proto.ACL{ace(1, proto.ID{Scheme: "ip", ID: "10.0.0.0/40"})}, nil, nil},
		{"ipv6 invalid in 3.8", []proto.ACL{ace(1, proto.ID{Scheme: "ip", ID: "::1"})}, nil, nil},
		{"unknown scheme", []proto.ACL{ace(1, proto.ID{Scheme: "sasl", ID: "x"})}, nil, nil},
		{"super scheme", []proto.ACL{ace(1, superID)}, nil, nil},
		{"empty scheme", []proto.ACL{ace(1, proto.ID{})}, nil, nil},
		{"perms not checked", []proto.ACL{ace(0, proto.AnyoneID), ace(-1, bob)}, nil,
			[]proto.ACL{ace(0, proto.AnyoneID), ace(-1, bob)}},
		{"one bad entry spoils all", []proto.ACL{ace(31, proto.AnyoneID), ace(1, proto.ID{Scheme: "x", ID: "y"})}, nil, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := a.FixupACL(tc.acl, tc.authInfo)
			if tc.want == nil {
				require.ErrorIs(t, err, proto.ErrInvalidACL)
				require.ErrorIs(t, err, ErrInvalidACL)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestCheck(t *testing.T) {
	a, err := New(Config{})
	require.NoError(t, err)
	aliceOnly := []proto.ACL{ace(proto.PermAll, alice)}
	readAnyone := []proto.ACL{ace(proto.PermRead, proto.AnyoneID), ace(proto.PermAll, alice)}
	netACL := []proto.ACL{ace(proto.PermWrite|proto.PermRead, proto.ID{Scheme: "ip", ID: "10.1.0.0/16"})}
	cases := []struct {
		name     string
		acl      []proto.ACL
		perm     int32
		authInfo []proto.ID
		ok       bool
	}{
		{"empty acl", nil, proto.PermAdmin, nil, true},
		{"world", proto.OpenACLUnsafe, proto.PermDelete, nil, true},
		{"world read only", proto.ReadACLUnsafe, proto.PermWrite, []proto.ID{clientIP}, false},
		{"digest match", aliceOnly, proto.PermWrite, []proto.ID{clientIP, alice}, true},
		{"digest other user", aliceOnly, proto.PermWrite, []proto.ID{clientIP, bob}, false},
		{"no ids", aliceOnly, proto.PermRead, nil, false},
		{"super", aliceOnly, proto.PermAdmin, []proto.ID{superID}, true},
		{"anyone read, alice all", readAnyone, proto.PermRead, nil, true},
		{"anyone read, write by alice", readAnyone, proto.PermWrite, []proto.ID{alice}, true},
		{"anyone read, write by bob", readAnyone, proto.PermWrite, []proto.ID{bob}, false},
		{"ip in net", netACL, proto.PermRead, []proto.ID{clientIP}, true},
		{"ip out of net", netACL, proto.PermRead, []proto.ID{{Scheme: "ip", ID: "10.2.0.1"}}, false},
		{"ip perm missing", netACL, proto.PermAdmin, []proto.ID{clientIP}, false},
		{"any shared bit", []proto.ACL{ace(proto.PermRead, proto.AnyoneID)}, proto.PermRead | proto.PermAdmin, nil, true},
		{"scheme must agree", []proto.ACL{ace(31, proto.ID{Scheme: "ip", ID: alice.ID})}, proto.PermRead, []proto.ID{alice}, false},
		{"unknown scheme never matches", []proto.ACL{ace(31, proto.ID{Scheme: "sasl", ID: "x"})}, proto.PermRead,
			[]proto.ID{{Scheme: "sasl", ID: "x"}}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := a.Check(tc.acl, tc.perm, tc.authInfo)
			if tc.ok {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, proto.ErrNoAuth)
			require.ErrorIs(t, err, ErrNoAuth)
		})
	}

	skip, err := New(Config{SkipACL: true})
	require.NoError(t, err)
	assert.True(t, skip.SkipACL())
	assert.NoError(t, skip.Check(aliceOnly, proto.PermAdmin, nil))
}

func TestReadableACL(t *testing.T) {
	a, err := New(Config{})
	require.NoError(t, err)
	acl := []proto.ACL{
		ace(proto.PermRead, proto.AnyoneID),
		ace(proto.PermAll, alice),
		ace(proto.PermRead, proto.ID{Scheme: "ip", ID: "10.0.0.0/8"}),
	}
	// Without ADMIN, digests are masked.
	got := a.ReadableACL(acl, []proto.ID{clientIP})
	assert.Equal(t, []proto.ACL{
		ace(proto.PermRead, proto.AnyoneID),
		ace(proto.PermAll, proto.ID{Scheme: "digest", ID: "alice:x"}),
		ace(proto.PermRead, proto.ID{Scheme: "ip", ID: "10.0.0.0/8"}),
	}, got)
	assert.Equal(t, alice, acl[1].ID, "input untouched")
	// With ADMIN (alice, or super) they come back whole.
	assert.Equal(t, acl, a.ReadableACL(acl, []proto.ID{alice}))
	assert.Equal(t, acl, a.ReadableACL(acl, []proto.ID{superID}))
	assert.Equal(t, int32(proto.PermRead|proto.PermAdmin), GetACLPerm)
}

func TestMaskDigest(t *testing.T) {
	cases := []struct{ in, want string }{
		{"user:hash", "user:x"},
		{"user:", "user:x"},
		{"user", "user"},
		{":a:b", ":x"},
		{"a:b\nc:d", "a:x\nc:x"},
		{"a:b\r\nc", "a:x\r\nc"},
		{"a:b\u2028c:d", "a:x\u2028c:x"},
		{"", ""},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, maskDigest(tc.in), "%q", tc.in)
	}
}

func TestClientInfos(t *testing.T) {
	a, err := New(Config{})
	require.NoError(t, err)
	got := a.ClientInfos([]proto.ID{clientIP, superID, alice, {Scheme: "x509", ID: "CN=me"}})
	assert.Equal(t, []proto.ClientInfo{
		{AuthScheme: "ip", User: "10.1.2.3"},
		{AuthScheme: "super", User: ""},
		{AuthScheme: "digest", User: "alice"},
		{AuthScheme: "x509", User: ""},
	}, got)
	assert.Empty(t, a.ClientInfos(nil))
}

func TestAuthInfoOrder(t *testing.T) {
	// Orders printed by Java 17 for a ConcurrentHashMap-backed set of Ids
	// built in the same order.
	info := NewAuthInfo(clientIP, alice, superID, bob)
	assert.Equal(t, []proto.ID{bob, superID, clientIP, alice}, info.IDs())
	assert.Equal(t, 4, info.Len())
	ids := info.IDs()
	assert.False(t, info.Add(alice))
	assert.Equal(t, ids, info.IDs(), "unchanged by a duplicate")
	assert.Empty(t, NewAuthInfo().IDs())

	// Fourteen ids: the table has been resized from 16 to 32 bins.
	var many []proto.ID
	for i := range 14 {
		many = append(many, proto.ID{Scheme: "digest", ID: fmt.Sprintf("u%d:x", i)})
	}
	var got []string
	for _, id := range NewAuthInfo(many...).IDs() {
		got = append(got, strings.TrimSuffix(id.ID, ":x"))
	}
	assert.Equal(t, []string{"u3", "u2", "u5", "u4", "u7", "u6", "u10", "u9", "u8", "u1", "u0", "u13", "u11", "u12"}, got)
}

func TestJavaDecode(t *testing.T) {
	// Results of Java's new String(bytes, UTF_8), re-encoded.
	cases := []struct{ in, want string }{
		{"plain", "plain"},
		{"\xe2\x82", "\ufffd"},
		{"\xe2\x82A", "\ufffdA"},
		{"\xf0\x9f", "\ufffd"},
		{"\xf0\x9fA", "\ufffdA"},
		{"\xc0\x80", "\ufffd\ufffd"},
		{"\xed\xa0\x80", "\ufffd"},
		{"\xf4\x90\x80\x80", "\ufffd\ufffd\ufffd\ufffd"},
		{"\xff", "\ufffd"},
		{"\xe0\x80\x80\x80", "\ufffd\ufffd\ufffd\ufffd"},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, javaDecode([]byte(tc.in)), "%q", tc.in)
	}
	assert.Equal(t, int32(65533), javaHash("\ufffd"))
	assert.Equal(t, int32(2031588), javaHash("\ufffdA"))
}

func FuzzIPExpr(f *testing.F) {
	for _, s := range []string{"10.1.2.3", "10.0.0.0/8", "::1", "fe80::1/64", "+1.2.3.4", "١.2.3.4/8", "1:2:3:4:5:6:7:8", "1.2.3.4/"} {
		f.Add(s, "10.1.2.3")
	}
	f.Fuzz(func(t *testing.T, expr, id string) {
		for _, v6 := range []bool{false, true} {
			valid := ipValid(expr, v6)
			m := ipMatches(id, expr, v6)
			if m && !valid {
				t.Fatalf("matches(%q, %q) without a valid expression", id, expr)
			}
			if valid && ipValid(id, v6) && !strings.Contains(id, "/") {
				// An address always matches itself as a full-length expression.
				if !ipMatches(id, id, v6) {
					t.Fatalf("%q does not match itself", id)
				}
			}
			if ref, ok := referenceIPv4Valid(expr); ok && !v6 && ref != valid {
				t.Fatalf("isValid(%q) = %v, reference %v", expr, valid, ref)
			}
		}
	})
}

// referenceIPv4Valid reads ZooKeeper 3.8's rule plainly for ASCII input:
// a.b.c.d with each part a signed decimal int32 in 0..255, then an
// optional /bits in 0..32. ok is false for input it does not judge.
func referenceIPv4Valid(expr string) (valid, ok bool) {
	for i := 0; i < len(expr); i++ {
		if expr[i] >= 0x80 {
			return false, false
		}
	}
	inRange := func(s string, max int64) bool {
		v, err := strconv.ParseInt(s, 10, 32) // signs as Integer.parseInt
		return err == nil && v >= 0 && v <= max
	}
	addr, bits, hasBits := strings.Cut(expr, "/")
	parts := strings.Split(addr, ".")
	if len(parts) != 4 {
		return false, true
	}
	for _, p := range parts {
		if !inRange(p, 255) {
			return false, true
		}
	}
	if hasBits && !inRange(bits, 32) {
		return false, true
	}
	return true, true
}

func FuzzDigest(f *testing.F) {
	for _, v := range digestVectors {
		f.Add([]byte(v.in))
	}
	f.Add([]byte("\xed\xa0\x80:\xff"))
	a, err := New(Config{SuperDigest: GenerateDigest("super:test")})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, auth []byte) {
		ids, err := a.Authenticate("digest", auth, nil)
		if err != nil {
			t.Fatalf("digest login failed: %v", err)
		}
		id := ids[len(ids)-1]
		// The login's id is a valid ACL id exactly when the user part has
		// no ':' left to split on, which is always: the user ends at the
		// first ':'. So every digest login can be used in an ACL...
		if !digestValid(id.ID) {
			t.Fatalf("digest id %q of %q not valid", id.ID, auth)
		}
		// ...and matches itself, and whoAmI reports the user part.
		if err := a.Check([]proto.ACL{{Perms: proto.PermAll, ID: id}}, proto.PermRead, ids); err != nil {
			t.Fatalf("login %q cannot use its own ACL", auth)
		}
		user, _, _ := strings.Cut(javaDecode(auth), ":")
		if got := a.ClientInfos([]proto.ID{id})[0].User; got != user {
			t.Fatalf("whoAmI user %q, want %q", got, user)
		}
		if m := maskDigest(id.ID); m != user+":x" {
			t.Fatalf("mask %q = %q", id.ID, m)
		}
	})
}

func BenchmarkCheckDigest(b *testing.B) {
	a, _ := New(Config{})
	acl := []proto.ACL{ace(proto.PermRead, proto.ID{Scheme: "ip", ID: "192.168.0.0/16"}), ace(proto.PermAll, alice)}
	ids := []proto.ID{clientIP, alice}
	b.ReportAllocs()
	for b.Loop() {
		if err := a.Check(acl, proto.PermRead, ids); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCheckWorld(b *testing.B) {
	a, _ := New(Config{})
	ids := []proto.ID{clientIP}
	b.ReportAllocs()
	for b.Loop() {
		if err := a.Check(proto.OpenACLUnsafe, proto.PermRead, ids); err != nil {
			b.Fatal(err)
		}
	}
}

func FuzzJavaDecode(f *testing.F) {
	f.Add([]byte("\xed\xa0\x80\xe2\x82A\xf0\x9f"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s := javaDecode(b)
		if !utf8.ValidString(s) {
			t.Fatalf("javaDecode(%q) = %q, not UTF-8", b, s)
		}
		if utf8.Valid(b) && s != string(b) {
			t.Fatalf("javaDecode changed valid %q to %q", b, s)
		}
		if len(s) > 3*len(b) {
			t.Fatalf("javaDecode(%q) grew to %q", b, s)
		}
	})
}
