package acl

import (
	"regexp"
	"strings"
)

// SchemeSASL is the scheme of ids from a SASL login (op 102).
const SchemeSASL = "sasl"

// saslProviderClass registers the sasl scheme in zookeeper.authProvider.*.
const saslProviderClass = "org.apache.zookeeper.server.auth.SASLAuthenticationProvider"

// SASLConfig is the sasl scheme's settings, under their Java names.
type SASLConfig struct {
	// LetAnyUserDoX is zookeeper.letAnySaslUserDoX: an ACL entry
	// sasl:<this value> matches every SASL-authenticated id.
	LetAnyUserDoX string
}

// saslScheme is SASLAuthenticationProvider. Its ids are the authorized ids
// the server derives after a SASL login (SASLAuthorizedID).
type saslScheme struct {
	letAnyUserDoX string
}

func newSASLScheme(cfg Config) *saslScheme {
	return &saslScheme{letAnyUserDoX: cfg.SASL.LetAnyUserDoX}
}

// matches is SASLAuthenticationProvider.matches: the id "super" matches
// every sasl ACL, otherwise the id must equal the expression, or the
// expression is the letAnySaslUserDoX value.
func (s *saslScheme) matches(id, expr string) bool {
	if s == nil {
		return false
	}
	if id == "super" || id == expr {
		return true
	}
	return s.letAnyUserDoX != "" && expr == s.letAnyUserDoX
}

// HasScheme reports whether scheme has a provider (Java's
// ProviderRegistry.getProvider(scheme) != null), as enforce.auth.schemes
// requires of each scheme it names.
func (a *Authenticator) HasScheme(scheme string) bool {
	return a.knownScheme(scheme)
}

// kerberosName is Java's KerberosName pattern, matched whole:
// service[/host]@realm.
var kerberosName = regexp.MustCompile(`^([^/@]*)(/([^/@]*))?@([^/@]*)$`)

// saslValid is SASLAuthenticationProvider.isValid: new KerberosName(id)
// must not throw, i.e. an id with '@' must have the service[/host]@realm
// shape.
func saslValid(id string) bool {
	return !strings.Contains(id, "@") || kerberosName.MatchString(id)
}

// SASLAuthorizedID is the id a SASL login is given, as
// SaslServerCallbackHandler.handleAuthorizeCallback derives it from the
// authentication id (whatever authzid the client asked for): the Kerberos
// short name, then "/host" unless removeHost
// (zookeeper.kerberos.removeHostFromPrincipal=true), then "@realm" unless
// removeRealm (zookeeper.kerberos.removeRealmFromPrincipal=true). A name
// without '@' (every DIGEST-MD5 user in practice) is its own short name.
// For a name with a realm zkit applies Java's DEFAULT auth_to_local rule
// as if that realm were the default one (short name = service); zkit has
// no krb5.conf default realm nor auth_to_local rules, and where Java's
// rules match nothing it would authorize the client's own authzid, which
// zkit never does.
func SASLAuthorizedID(authcid string, removeHost, removeRealm bool) string {
	m := kerberosName.FindStringSubmatch(authcid)
	if m == nil {
		return authcid
	}
	service, host, hasHost, realm := m[1], m[3], m[2] != "", m[4]
	id := service
	if hasHost && !removeHost {
		id += "/" + host
	}
	if !removeRealm {
		id += "@" + realm
	}
	return id
}
