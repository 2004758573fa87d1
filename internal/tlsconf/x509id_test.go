package tlsconf_test

import (
	"context"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/javatest"
	"github.com/zkit-go/zkit/internal/tlsconf"
	"github.com/zkit-go/zkit/internal/tlsconf/tlstest"
)

// atv is one attribute for a hand-built subject: an OID and a value of a
// given DER string tag.
type atv struct {
	oid   string
	tag   int
	value string
}

func oid(s string) asn1.ObjectIdentifier {
	var o asn1.ObjectIdentifier
	for _, p := range strings.Split(s, ".") {
		var n int
		fmt.Sscan(p, &n)
		o = append(o, n)
	}
	return o
}

// rawSubject encodes RDNs (each a set of attributes) in order.
func rawSubject(t *testing.T, rdns ...[]atv) []byte {
	t.Helper()
	var seq []asn1.RawValue
	for _, rdn := range rdns {
		var set []byte
		for _, a := range rdn {
			val := []byte(a.value)
			if a.tag == 30 {
				val = nil
				for _, u := range utf16.Encode([]rune(a.value)) {
					val = append(val, byte(u>>8), byte(u))
				}
			}
			b, err := asn1.Marshal(struct {
				Type  asn1.ObjectIdentifier
				Value asn1.RawValue
			}{oid(a.oid), asn1.RawValue{Class: asn1.ClassUniversal, Tag: a.tag, Bytes: val}})
			require.NoError(t, err)
			set = append(set, b...)
		}
		seq = append(seq, asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSet, IsCompound: true, Bytes: set})
	}
	b, err := asn1.Marshal(seq)
	require.NoError(t, err)
	return b
}

const (
	cn     = "2.5.4.3"
	ou     = "2.5.4.11"
	o      = "2.5.4.10"
	c      = "2.5.4.6"
	dc     = "0.9.2342.19200300.100.1.25"
	uid    = "0.9.2342.19200300.100.1.1"
	email  = "1.2.840.113549.1.9.1"
	serial = "2.5.4.5"
	title  = "2.5.4.12"
	utf8   = 12
	print  = 19
	ia5    = 22
	bmp    = 30
	t61    = 20
)

// subjects are the names compared with Java; want is what Java 17 prints,
// checked by TestX509IDMatchesJava where Java is installed.
var subjects = []struct {
	name string
	rdns [][]atv
	want string
}{
	{"simple", [][]atv{{{o, print, "example"}}, {{ou, utf8, "clients"}}, {{cn, utf8, "alice"}}}, "CN=alice,OU=clients,O=example"},
	{"specials", [][]atv{{{cn, utf8, `a,b+c=d<e>f#g;h"i\j`}}}, `CN=a\,b\+c\=d\<e\>f\#g\;h\"i\\j`},
	{"leading hash and spaces", [][]atv{{{cn, utf8, "#lead  "}}, {{ou, utf8, "  two"}}}, `OU=\ \ two,CN=\#lead\ \ `},
	{"inner spaces", [][]atv{{{cn, utf8, "a  b"}}}, "CN=a  b"},
	{"non ascii", [][]atv{{{cn, utf8, "Zoë Ünïcødé 漢字"}}}, "CN=Zoë Ünïcødé 漢字"},
	{"other printables", [][]atv{{{cn, utf8, "x_y@z*&!~"}}}, "CN=x_y@z*&!~"},
	{"multi valued", [][]atv{{{o, utf8, "example"}}, {{cn, utf8, "bob"}, {uid, utf8, "b1"}}}, "CN=bob+UID=b1,O=example"},
	{"dc and c", [][]atv{{{dc, ia5, "com"}}, {{dc, ia5, "example"}}, {{c, print, "DE"}}, {{cn, utf8, "carol"}}}, "CN=carol,C=DE,DC=example,DC=com"},
	{"email is hex", [][]atv{{{cn, utf8, "dave"}, {email, ia5, "d@example.com"}}}, "CN=dave+1.2.840.113549.1.9.1=#160d64406578616d706c652e636f6d"},
	{"serial and title are hex", [][]atv{{{serial, print, "42"}}, {{title, utf8, "Dr"}}}, "2.5.4.12=#0c024472,2.5.4.5=#13023432"},
	{"bmp", [][]atv{{{cn, bmp, "bmp é"}}}, `CN=\00b\00m\00p\00 \00�`},
	{"t61", [][]atv{{{cn, t61, "t61"}}}, "CN=t61"},
	{"nul", [][]atv{{{cn, utf8, "a\x00b"}}}, `CN=a\00b`},
	{"empty value", [][]atv{{{cn, utf8, ""}}}, "CN="},
}

func TestX509ID(t *testing.T) {
	ca, err := tlstest.NewCA("ca")
	require.NoError(t, err)
	for _, s := range subjects {
		if s.want == "" {
			continue // only compared with Java
		}
		cert, err := ca.Issue(tlstest.Options{RawSubject: rawSubject(t, s.rdns...)})
		require.NoError(t, err, s.name)
		assert.Equal(t, s.want, tlsconf.X509ID(cert.Cert), s.name)
	}
	cert, err := ca.Issue(tlstest.Options{Subject: pkix.Name{CommonName: "alice", OrganizationalUnit: []string{"clients"}, Organization: []string{"example"}}})
	require.NoError(t, err)
	assert.Equal(t, "CN=alice,OU=clients,O=example", tlsconf.X509ID(cert.Cert))
}

func TestX509IDMatchesJava(t *testing.T) {
	javatest.SkipWithoutJVM(t)
	ca, err := tlstest.NewCA("ca")
	require.NoError(t, err)
	dir := t.TempDir()
	var files, got []string
	for i, s := range subjects {
		cert, err := ca.Issue(tlstest.Options{RawSubject: rawSubject(t, s.rdns...)})
		require.NoError(t, err, s.name)
		path := filepath.Join(dir, fmt.Sprintf("%02d.pem", i))
		require.NoError(t, os.WriteFile(path, (&tlstest.CA{Cert: cert.Cert}).PEM(), 0o600))
		files = append(files, path)
		got = append(got, tlsconf.X509ID(cert.Cert))
	}
	out, err := javatest.Command(context.Background(), []string{"-Dfile.encoding=UTF-8", "-Dstdout.encoding=UTF-8"}, "", "testdata/X500Name.java", files...).Output()
	require.NoError(t, err)
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	require.Len(t, lines, len(subjects))
	for i, s := range subjects {
		assert.Equal(t, lines[i], got[i], "%s: Java says %q", s.name, lines[i])
	}
}
