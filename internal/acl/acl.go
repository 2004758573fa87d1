package acl

import (
	"fmt"
	"hash"
	"log/slog"
	"net"
	"strings"

	"github.com/zkit-go/zkit/internal/proto"
)

// Scheme names.
const (
	SchemeWorld  = "world"
	SchemeAuth   = "auth"
	SchemeDigest = "digest"
	SchemeIP     = "ip"
	SchemeSuper  = "super"
)

// Sentinel errors; each also wraps the ZooKeeper code the server answers
// with (errors.Is(err, proto.ErrNoAuth) and so on).
var (
	ErrAuthFailed = fmt.Errorf("acl: authentication failed: %w", proto.ErrAuthFailed)
	ErrInvalidACL = fmt.Errorf("acl: invalid acl: %w", proto.ErrInvalidACL)
	ErrNoAuth     = fmt.Errorf("acl: not authorised: %w", proto.ErrNoAuth)
)

// Java classes that name the built-in providers in zookeeper.authProvider.*.
const (
	digestProviderClass = "org.apache.zookeeper.server.auth.DigestAuthenticationProvider"
	ipProviderClass     = "org.apache.zookeeper.server.auth.IPAuthenticationProvider"
)

// Config is the server's authentication settings, under their Java names.
type Config struct {
	// SuperDigest is zookeeper.DigestAuthenticationProvider.superDigest,
	// "user:base64digest". A digest login whose id equals it also gets the
	// id super:"" and so passes every ACL check. Empty disables it.
	SuperDigest string
	// SkipACL is zookeeper.skipACL=yes: every Check passes.
	SkipACL bool
	// DigestDisabled is zookeeper.DigestAuthenticationProvider.enabled=false:
	// there is no digest scheme (logins fail, digest ACLs are invalid).
	DigestDisabled bool
	// DigestAlg is zookeeper.DigestAuthenticationProvider.digestAlg, a Java
	// MessageDigest name; empty means SHA1.
	DigestAlg string
	// IPv6 lets ip ACLs name IPv6 addresses, as ZooKeeper 3.9 does. Off,
	// the ip scheme is IPv4 only, as in 3.8: an IPv6 expression is an
	// invalid ACL and IPv6 clients match no ip ACL.
	IPv6 bool
	// AuthProviders are the zookeeper.authProvider.<name> settings, name to
	// Java class. The classes of the built-in digest and ip providers
	// (re-)enable those; any other class is not available here and is
	// ignored with a warning, so its scheme stays unknown.
	AuthProviders map[string]string
	// X509 configures the x509 scheme (x509.go).
	X509 X509Config
	// Logger receives warnings; nil discards them.
	Logger *slog.Logger
}

// Authenticator authenticates connections and checks ACLs. It is immutable
// after New and safe for concurrent use.
type Authenticator struct {
	superDigest string
	skipACL     bool
	digest      bool // the digest scheme exists
	digestHash  func() hash.Hash
	ipv6        bool
	x509        X509Config
}

// New builds an Authenticator from cfg.
func New(cfg Config) (*Authenticator, error) {
	h, err := lookupDigestAlg(cfg.DigestAlg)
	if err != nil {
		return nil, err
	}
	a := &Authenticator{
		superDigest: cfg.SuperDigest,
		skipACL:     cfg.SkipACL,
		digest:      !cfg.DigestDisabled,
		digestHash:  h,
		ipv6:        cfg.IPv6,
		x509:        cfg.X509,
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	for name, class := range cfg.AuthProviders {
		switch strings.TrimSpace(class) {
		case digestProviderClass:
			a.digest = true
		case ipProviderClass:
		case x509ProviderClass:
			a.x509.Enabled = true
		default:
			log.Warn("auth provider not available, its scheme stays unknown",
				"setting", "zookeeper.authProvider."+name, "class", class)
		}
	}
	return a, nil
}

// SkipACL reports whether ACL checks are switched off.
func (a *Authenticator) SkipACL() bool { return a.skipACL }

// knownScheme reports whether a provider exists for scheme (Java's
// ProviderRegistry.getProvider(scheme) != null).
func (a *Authenticator) knownScheme(scheme string) bool {
	switch scheme {
	case SchemeIP:
		return true
	case SchemeDigest:
		return a.digest
	case SchemeX509:
		return a.x509.Enabled
	}
	return false
}

// ConnectionID returns the id every connection starts with: ip:<address of
// the client>, as Java's server connection adds on accept. ok is false when
// remote carries no IP address.
func ConnectionID(remote net.Addr) (proto.ID, bool) {
	s, ok := ipString(remote)
	if !ok {
		return proto.ID{}, false
	}
	return proto.ID{Scheme: SchemeIP, ID: s}, true
}

// Authenticate handles an auth packet (scheme, auth) from a client at
// remote and returns the ids to add to its AuthInfo, in the order Java adds
// them. An unknown scheme, including sasl and x509, fails with
// ErrAuthFailed; the server then answers AUTHFAILED and closes the
// connection.
//
//   - digest: auth is "user:password" (UTF-8); the id is
//     digest:GenerateDigest(auth). If that equals SuperDigest, super:"" comes
//     first.
//   - ip: auth is ignored; the id is the client's address.
func (a *Authenticator) Authenticate(scheme string, auth []byte, remote net.Addr) ([]proto.ID, error) {
	switch {
	case scheme == SchemeDigest && a.digest:
		id := generateDigest(a.digestHash, javaDecode(auth))
		digestID := proto.ID{Scheme: SchemeDigest, ID: id}
		if a.superDigest != "" && id == a.superDigest {
			return []proto.ID{{Scheme: SchemeSuper, ID: ""}, digestID}, nil
		}
		return []proto.ID{digestID}, nil
	case scheme == SchemeIP:
		id, ok := ConnectionID(remote)
		if !ok {
			return nil, fmt.Errorf("%w: no ip address for %v", ErrAuthFailed, remote)
		}
		return []proto.ID{id}, nil
	}
	return nil, fmt.Errorf("%w: no provider for scheme %q", ErrAuthFailed, scheme)
}

// AddAuth runs Authenticate and adds the result to info.
func (a *Authenticator) AddAuth(info *AuthInfo, scheme string, auth []byte, remote net.Addr) error {
	ids, err := a.Authenticate(scheme, auth, remote)
	if err != nil {
		return err
	}
	for _, id := range ids {
		info.Add(id)
	}
	return nil
}

// authenticatedScheme reports whether ids of scheme identify a creator
// (AuthenticationProvider.isAuthenticated): digest yes, ip no, and schemes
// without a provider (super) are skipped.
func (a *Authenticator) authenticatedScheme(scheme string) bool {
	return (scheme == SchemeDigest && a.digest) || (scheme == SchemeX509 && a.x509.Enabled)
}

// FixupACL validates the ACL of a create or setACL and expands "auth", as
// PrepRequestProcessor.fixupACL:
//
//  1. Exact duplicates are dropped, first occurrence kept.
//  2. An empty list is invalid.
//  3. world:anyone is kept as is.
//  4. auth:<anything> becomes one entry with the same perms for every id of
//     authInfo whose scheme identifies a creator (digest), in authInfo's
//     order; none is invalid. The result is not de-duplicated again.
//  5. Any other entry needs a known scheme whose provider accepts the id
//     (digest: "user:hash"; ip: an address with optional /bits).
//
// Perms are not checked. Failures wrap ErrInvalidACL (INVALIDACL).
func (a *Authenticator) FixupACL(acl []proto.ACL, authInfo []proto.ID) ([]proto.ACL, error) {
	uniq := removeDuplicates(acl)
	if len(uniq) == 0 {
		return nil, fmt.Errorf("%w: empty acl", ErrInvalidACL)
	}
	out := make([]proto.ACL, 0, len(uniq))
	for _, e := range uniq {
		switch {
		case e.ID == proto.AnyoneID:
			out = append(out, e)
		case e.ID.Scheme == SchemeAuth:
			found := false
			for _, id := range authInfo {
				if a.authenticatedScheme(id.Scheme) {
					found = true
					out = append(out, proto.ACL{Perms: e.Perms, ID: id})
				}
			}
			if !found {
				return nil, fmt.Errorf("%w: auth scheme without an authenticated id", ErrInvalidACL)
			}
		default:
			if !a.validID(e.ID) {
				return nil, fmt.Errorf("%w: %s:%s", ErrInvalidACL, e.ID.Scheme, e.ID.ID)
			}
			out = append(out, e)
		}
	}
	return out, nil
}

// validID is the provider's isValid for a known scheme.
func (a *Authenticator) validID(id proto.ID) bool {
	switch {
	case id.Scheme == SchemeDigest && a.digest:
		return digestValid(id.ID)
	case id.Scheme == SchemeIP:
		return ipValid(id.ID, a.ipv6)
	case id.Scheme == SchemeX509 && a.x509.Enabled:
		return x509Valid(id.ID)
	}
	return false
}

// removeDuplicates keeps the first of equal entries, in order.
func removeDuplicates(acl []proto.ACL) []proto.ACL {
	out := make([]proto.ACL, 0, len(acl))
outer:
	for _, e := range acl {
		for _, seen := range out {
			if seen == e {
				continue outer
			}
		}
		out = append(out, e)
	}
	return out
}

// Check is ZooKeeperServer.checkACL: may a client with authInfo do an
// operation needing perm on a node with acl? It passes when ACLs are
// skipped, when acl is empty, when authInfo holds any super id, or when an
// entry sharing a bit with perm is world:anyone or matches one of
// authInfo's ids of its scheme (digest: equal ids; ip: the client's address
// within the expression's prefix). Otherwise it fails with ErrNoAuth
// (NOAUTH). It does not allocate.
func (a *Authenticator) Check(acl []proto.ACL, perm int32, authInfo []proto.ID) error {
	if a.skipACL || len(acl) == 0 {
		return nil
	}
	for i := range authInfo {
		if authInfo[i].Scheme == SchemeSuper {
			return nil
		}
	}
	for i := range acl {
		e := &acl[i]
		if e.Perms&perm == 0 {
			continue
		}
		if e.ID.Scheme == SchemeWorld && e.ID.ID == "anyone" {
			return nil
		}
		if !a.knownScheme(e.ID.Scheme) {
			continue
		}
		for j := range authInfo {
			id := &authInfo[j]
			if id.Scheme == e.ID.Scheme && a.matches(id.Scheme, id.ID, e.ID.ID) {
				return nil
			}
		}
	}
	return ErrNoAuth
}

func (a *Authenticator) matches(scheme, id, expr string) bool {
	switch scheme {
	case SchemeDigest:
		return id == expr
	case SchemeIP:
		return ipMatches(id, expr, a.ipv6)
	case SchemeX509:
		return a.x509Matches(id, expr)
	}
	return false
}

// ReadableACL is what getACL returns. The caller first checks READ|ADMIN
// (either one suffices; FinalRequestProcessor), then passes the node's acl
// here: with ADMIN the acl comes back whole; without it every digest id is
// masked as Java's id.replaceAll(":.*", ":x") does ("user:hash" becomes
// "user:x"). The input is not modified.
func (a *Authenticator) ReadableACL(acl []proto.ACL, authInfo []proto.ID) []proto.ACL {
	if a.Check(acl, proto.PermAdmin, authInfo) == nil {
		return acl
	}
	out := make([]proto.ACL, len(acl))
	for i, e := range acl {
		if e.ID.Scheme == SchemeDigest {
			e.ID.ID = maskDigest(e.ID.ID)
		}
		out[i] = e
	}
	return out
}

// GetACLPerm is the permission getACL needs: either bit suffices.
const GetACLPerm = proto.PermRead | proto.PermAdmin

// maskDigest is id.replaceAll(":.*", ":x"): from each ':' up to the next
// line terminator ('.' matches none of \n \r U+0085 U+2028 U+2029) becomes
// ":x".
func maskDigest(id string) string {
	if strings.IndexByte(id, ':') < 0 {
		return id
	}
	var sb strings.Builder
	for {
		i := strings.IndexByte(id, ':')
		if i < 0 {
			sb.WriteString(id)
			return sb.String()
		}
		sb.WriteString(id[:i])
		sb.WriteString(":x")
		id = id[i+1:]
		end := strings.IndexFunc(id, isLineTerminator)
		if end < 0 {
			return sb.String()
		}
		id = id[end:]
	}
}

func isLineTerminator(r rune) bool {
	switch r {
	case '\n', '\r', 0x85, 0x2028, 0x2029:
		return true
	}
	return false
}

// ClientInfos is the whoAmI answer for authInfo, as AuthUtil.getClientInfos:
// one entry per id, in order, with the provider's user name: the address
// for ip, the part before ':' for digest, and "" for schemes without a
// provider (super).
func (a *Authenticator) ClientInfos(authInfo []proto.ID) []proto.ClientInfo {
	out := make([]proto.ClientInfo, len(authInfo))
	for i, id := range authInfo {
		user := ""
		switch {
		case id.Scheme == SchemeIP:
			user = id.ID
		case id.Scheme == SchemeDigest && a.digest:
			user = digestUser(id.ID)
		case id.Scheme == SchemeX509 && a.x509.Enabled:
			user = id.ID // AuthenticationProvider.getUserName's default
		}
		out[i] = proto.ClientInfo{AuthScheme: id.Scheme, User: user}
	}
	return out
}
