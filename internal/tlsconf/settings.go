package tlsconf

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"
)

// Prefixes of the two X509Util setting families.
const (
	ClientPrefix = "zookeeper.ssl."        // ClientX509Util: the client port
	QuorumPrefix = "zookeeper.ssl.quorum." // QuorumX509Util: quorum and election ports
)

// Sentinel errors. Every error this package returns wraps one of them and
// names the setting or the file at fault.
var (
	// ErrSetting is a setting with a bad value or one that cannot be
	// honoured (and so must stop the server rather than be ignored).
	ErrSetting = errors.New("tlsconf: setting")
	// ErrStore is a key or trust store that cannot be used: missing,
	// wrong password, wrong type, expired, no private key.
	ErrStore = errors.New("tlsconf: store")
)

// ClientAuth is X509Util.ClientAuth: whether a TLS listener asks for a
// client certificate.
type ClientAuth string

// ClientAuth values; Need is ZooKeeper's default.
const (
	ClientAuthNeed ClientAuth = "need" // require a trusted certificate
	ClientAuthWant ClientAuth = "want" // ask; a given one must be trusted
	ClientAuthNone ClientAuth = "none" // do not ask
)

// DefaultHandshakeDetectionTimeout is X509Util's
// DEFAULT_HANDSHAKE_DETECTION_TIMEOUT_MILLIS: how long a unified port waits
// for a client's first byte.
const DefaultHandshakeDetectionTimeout = 5 * time.Second

// Settings are ZooKeeper's X509Util settings read under one prefix:
// "zookeeper.ssl." (client port) or "zookeeper.ssl.quorum." (quorum).
// The zero value is not useful; use FromProperties.
type Settings struct {
	// Prefix is the prefix the settings were read under.
	Prefix string
	// KeyStore and TrustStore are keyStore.* and trustStore.*. An empty
	// trust store location means the system's roots (Java: the JVM's).
	KeyStore, TrustStore Store
	// Protocol is protocol (default TLSv1.2); EnabledProtocols is
	// enabledProtocols (default: just Protocol, as in Java).
	Protocol         string
	EnabledProtocols []string
	// CipherSuites is ciphersuites, Java (IANA) names; empty means
	// ZooKeeper's default list.
	CipherSuites []string
	// ClientAuth is clientAuth (default need).
	ClientAuth ClientAuth
	// HostnameVerification is hostnameVerification (default true): a
	// dialer checks the server certificate against the host it dials; on
	// the quorum prefix a listener also checks a client's certificate
	// against the address it connects from (VerifyClientHostname).
	HostnameVerification bool
	VerifyClientHostname bool
	// AllowReverseDNSLookup is allowReverseDnsLookup (default: true on the
	// quorum prefix, false on the client one): when a peer's address
	// matches no IP in its certificate, try the address's names.
	AllowReverseDNSLookup bool
	// HandshakeDetectionTimeout is handshakeDetectionTimeoutMillis.
	HandshakeDetectionTimeout time.Duration
	// AuthProvider is zookeeper.ssl.authProvider (client prefix only): the
	// scheme whose provider authenticates client certificates (x509).
	AuthProvider string
	// ReloadCertFiles re-reads changed key and trust store files on later
	// handshakes: zookeeper.client.certReload for the client prefix,
	// sslQuorumReloadCertFiles for the quorum one.
	ReloadCertFiles bool
	// ReloadCheckInterval bounds how often the files are looked at when
	// ReloadCertFiles is on; zero means one second.
	ReloadCheckInterval time.Duration
	// Present lists the settings that were set, by full name.
	Present []string
	// Logger receives reload failures; nil discards them.
	Logger *slog.Logger
}

// Configured reports whether any setting under the prefix was given.
func (s Settings) Configured() bool { return len(s.Present) > 0 }

// FromProperties reads the settings under prefix through lookup (given
// full names such as "zookeeper.ssl.keyStore.location"). A bad value, a
// password file that cannot be read, or a setting this package cannot
// honour (crl, ocsp, context.supplier.class, BCFKS) is an error naming the
// setting. Stores are only opened by ServerConfig and ClientConfig.
func FromProperties(lookup func(name string) (string, bool), prefix string) (Settings, error) {
	quorum := prefix == QuorumPrefix
	s := Settings{
		Prefix:                    prefix,
		Protocol:                  "TLSv1.2",
		ClientAuth:                ClientAuthNeed,
		HostnameVerification:      true,
		AllowReverseDNSLookup:     quorum,
		HandshakeDetectionTimeout: DefaultHandshakeDetectionTimeout,
		AuthProvider:              "x509",
	}
	get := func(key string) (string, bool) {
		v, ok := lookup(prefix + key)
		if ok {
			s.Present = append(s.Present, prefix+key)
		}
		return strings.TrimSpace(v), ok
	}
	bad := func(key, v string, why string) error {
		return fmt.Errorf("%w: %s%s=%q: %s", ErrSetting, prefix, key, v, why)
	}
	// Boolean settings read as ZKConfig.getBoolean: "true" (any case) or
	// anything else false.
	boolean := func(key string, def bool) bool {
		v, ok := get(key)
		if !ok {
			return def
		}
		return strings.EqualFold(v, "true")
	}
	for _, which := range []struct {
		name string
		st   *Store
	}{{"keyStore", &s.KeyStore}, {"trustStore", &s.TrustStore}} {
		which.st.Location, _ = get(which.name + ".location")
		which.st.Password, _ = lookupRaw(lookup, prefix+which.name+".password", &s.Present)
		if path, ok := get(which.name + ".passwordPath"); ok && path != "" {
			b, err := os.ReadFile(path)
			if err != nil {
				return s, fmt.Errorf("%w: %s%s.passwordPath: %w", ErrSetting, prefix, which.name, err)
			}
			which.st.Password = strings.TrimRight(string(b), "\r\n")
		}
		which.st.Type, _ = get(which.name + ".type")
		if which.st.Location != "" {
			if _, err := which.st.fileType(); err != nil {
				return s, fmt.Errorf("%s%s: %w", prefix, which.name+".type", err)
			}
		}
	}
	if v, ok := get("protocol"); ok && v != "" {
		s.Protocol = v
	}
	if v, ok := get("enabledProtocols"); ok {
		s.EnabledProtocols = splitComma(v)
	}
	if v, ok := get("ciphersuites"); ok {
		s.CipherSuites = splitComma(v)
	}
	if v, ok := get("clientAuth"); ok && v != "" {
		switch ca := ClientAuth(strings.ToLower(v)); ca {
		case ClientAuthNeed, ClientAuthWant, ClientAuthNone:
			s.ClientAuth = ca
		default:
			return s, bad("clientAuth", v, "want need, want or none")
		}
	}
	s.HostnameVerification = boolean("hostnameVerification", true)
	s.VerifyClientHostname = s.HostnameVerification && quorum
	s.AllowReverseDNSLookup = boolean("allowReverseDnsLookup", quorum)
	if v, ok := get("handshakeDetectionTimeoutMillis"); ok {
		ms, err := strconv.Atoi(v)
		if err != nil {
			return s, bad("handshakeDetectionTimeoutMillis", v, "want a number of milliseconds")
		}
		if ms >= 1 { // Java takes the default for 0 and below
			s.HandshakeDetectionTimeout = time.Duration(ms) * time.Millisecond
		}
	}
	if !quorum {
		if v, ok := get("authProvider"); ok && v != "" {
			s.AuthProvider = v
		}
	}
	if boolean("crl", false) {
		return s, bad("crl", "true", "certificate revocation lists are not supported by zkit; remove the setting or set it false")
	}
	if boolean("ocsp", false) {
		return s, bad("ocsp", "true", "OCSP is not supported by zkit; remove the setting or set it false")
	}
	if v, ok := get("context.supplier.class"); ok {
		return s, bad("context.supplier.class", v, "a Java SSLContext supplier class cannot be loaded by zkit")
	}
	reloadKey := "zookeeper.client.certReload"
	if quorum {
		reloadKey = "sslQuorumReloadCertFiles"
	}
	if v, ok := lookup(reloadKey); ok {
		s.Present = append(s.Present, reloadKey)
		s.ReloadCertFiles = strings.EqualFold(strings.TrimSpace(v), "true")
	}
	// Check what the handshakes will need now, so a bad value stops the
	// server at start.
	if _, err := s.versions(); err != nil {
		return s, err
	}
	if _, err := s.cipherSuiteIDs(); err != nil {
		return s, err
	}
	return s, nil
}

// lookupRaw reads a setting without trimming (passwords keep their spaces).
func lookupRaw(lookup func(string) (string, bool), name string, present *[]string) (string, bool) {
	v, ok := lookup(name)
	if ok {
		*present = append(*present, name)
	}
	return v, ok
}

func splitComma(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
