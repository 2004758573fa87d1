package acl

import (
	"encoding/hex"
	"strings"

	"github.com/zkit-go/zkit/internal/proto"
)

// SchemeX509 is X509AuthenticationProvider's scheme: the id is the client
// certificate's subject as Java's X500Principal.getName() writes it
// (RFC 2253, e.g. "CN=alice,OU=clients,O=example").
const SchemeX509 = "x509"

// x509ProviderClass names the x509 provider in zookeeper.authProvider.*.
const x509ProviderClass = "org.apache.zookeeper.server.auth.X509AuthenticationProvider"

// X509Config is the x509 scheme's part of Config.
type X509Config struct {
	// Enabled registers the scheme, as Java does for a secure client port
	// or client port unification (QuorumPeerConfig.configureSSLAuth), or
	// for zookeeper.authProvider.N naming X509AuthenticationProvider.
	Enabled bool
	// SuperUser is zookeeper.X509AuthenticationProvider.superUser: a
	// certificate id equal to it also gets super:<id>, and it matches
	// every x509 ACL.
	SuperUser string
}

// X509IDs are the ids X509AuthenticationProvider adds for a client whose
// verified certificate has the given id (tlsconf.X509ID), in Java's order:
// super:<id> first when it is the super user, then x509:<id>.
func X509IDs(id, superUser string) []proto.ID {
	x := proto.ID{Scheme: SchemeX509, ID: id}
	if superUser != "" && id == superUser {
		return []proto.ID{{Scheme: SchemeSuper, ID: id}, x}
	}
	return []proto.ID{x}
}

// x509Matches is X509AuthenticationProvider.matches.
func (a *Authenticator) x509Matches(id, expr string) bool {
	if su := a.x509.SuperUser; su != "" && id == su {
		return true
	}
	return id == expr
}

// x509Valid is X509AuthenticationProvider.isValid: whether new
// X500Principal(id) accepts it. It follows the grammar Java's X500Name
// parser takes (RFC 2253 and RFC 1779): RDNs separated by ',' or ';',
// attributes within one by '+', each keyword=value, the keyword one Java
// knows (any case), an OID or "OID."+OID; the value plain with '\'
// escapes, quoted, or '#' and hex. The empty string is the empty name.
func x509Valid(id string) bool {
	if strings.TrimSpace(id) == "" {
		return true
	}
	for _, rdn := range splitUnescaped(id, ",;") {
		if rdn == nil {
			return false
		}
		for _, ava := range splitUnescaped(*rdn, "+") {
			if ava == nil || !validAVA(*ava) {
				return false
			}
		}
	}
	return true
}

// x500Keywords are the attribute keywords X500Name's parser knows.
var x500Keywords = map[string]bool{
	"CN": true, "C": true, "L": true, "S": true, "ST": true, "O": true, "OU": true, "T": true,
	"IP": true, "STREET": true, "DC": true, "DNQUALIFIER": true, "DNQ": true, "SURNAME": true,
	"GIVENNAME": true, "INITIALS": true, "GENERATION": true, "EMAIL": true, "EMAILADDRESS": true,
	"UID": true, "SERIALNUMBER": true,
}

// splitUnescaped splits s at any of seps outside quotes and not escaped;
// a nil entry marks an unbalanced quote or a dangling escape.
func splitUnescaped(s, seps string) []*string {
	var out []*string
	start, quoted := 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\':
			i++
			if i >= len(s) {
				return []*string{nil}
			}
		case c == '"':
			quoted = !quoted
		case !quoted && strings.IndexByte(seps, c) >= 0:
			part := s[start:i]
			out = append(out, &part)
			start = i + 1
		}
	}
	if quoted {
		return []*string{nil}
	}
	part := s[start:]
	return append(out, &part)
}

func validAVA(ava string) bool {
	key, value, ok := strings.Cut(ava, "=")
	if !ok {
		return false
	}
	key = strings.TrimSpace(key)
	if len(key) > 4 && strings.EqualFold(key[:4], "OID.") {
		key = key[4:]
		if !validOID(key) {
			return false
		}
	} else if !x500Keywords[strings.ToUpper(key)] && !validOID(key) {
		return false
	}
	value = strings.TrimSpace(value)
	switch {
	case strings.HasPrefix(value, "#"):
		h := value[1:]
		_, err := hex.DecodeString(h)
		return err == nil && len(h) > 0
	case strings.HasPrefix(value, `"`):
		return len(value) >= 2 && strings.HasSuffix(value, `"`) && validEscapes(value[1:len(value)-1])
	}
	return validEscapes(value)
}

// validEscapes checks that every '\' escapes a special character, a
// space, a quote or two hex digits.
func validEscapes(v string) bool {
	for i := 0; i < len(v); i++ {
		if v[i] != '\\' {
			continue
		}
		if i+1 >= len(v) {
			return false
		}
		c := v[i+1]
		if strings.IndexByte(`,=+<>#;"\ `, c) >= 0 {
			i++
			continue
		}
		if i+2 < len(v) {
			if _, err := hex.DecodeString(v[i+1 : i+3]); err == nil {
				i += 2
				continue
			}
		}
		return false
	}
	return true
}

func validOID(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) < 2 {
		return false
	}
	for _, p := range parts {
		if p == "" {
			return false
		}
		for _, c := range p {
			if c < '0' || c > '9' {
				return false
			}
		}
	}
	return true
}
