package server

import (
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"

	"github.com/jcmturner/gokrb5/v8/keytab"

	"github.com/zkit-go/zkit/internal/acl"
	"github.com/zkit-go/zkit/internal/engine"
	"github.com/zkit-go/zkit/internal/jaas"
)

// Client-port authentication settings, by their Java system property
// names (zoo.cfg's K is zookeeper.K; Config.Property knows both).
const (
	keyAuthProviderPrefix   = "zookeeper.authProvider."
	keySASLSuperPassword    = "zookeeper.SASLAuthenticationProvider.superPassword"
	keySASLSuperUser        = "zookeeper.superUser"
	keyRemoveHost           = "zookeeper.kerberos.removeHostFromPrincipal"
	keyRemoveRealm          = "zookeeper.kerberos.removeRealmFromPrincipal"
	keyAllowSASLFailed      = "zookeeper.allowSaslFailedClients"
	keyLetAnySASLUserDoX    = "zookeeper.letAnySaslUserDoX"
	keyEnforceAuthEnabled   = "zookeeper.enforce.auth.enabled"
	keyEnforceAuthSchemes   = "zookeeper.enforce.auth.schemes"
	keyRequireClientSASL    = "zookeeper.sessionRequireClientSASLAuth"
	saslProviderClass       = "org.apache.zookeeper.server.auth.SASLAuthenticationProvider"
	saslSchemeName          = "sasl"
	superUserSASLName       = "super"
	javaTrue                = "true"
	propertyPrefixZooKeeper = "zookeeper."
	keyKRB5Conf             = "java.security.krb5.conf"
	keyCanonicalizeHosts    = "zookeeper.kerberos.canonicalizeHostNames"
	defaultKRB5Conf         = "/etc/krb5.conf"
)

// ErrSASLConfig reports client-port SASL settings the server cannot honour.
var ErrSASLConfig = errors.New("server: sasl")

// javaBool is Boolean.parseBoolean / Boolean.getBoolean.
func (c Config) javaBool(key string) bool {
	v, ok := c.Property(key)
	return ok && strings.EqualFold(v, javaTrue)
}

// propertiesWithPrefix returns the settings named prefix or prefix.*,
// under either spelling (zoo.cfg's or the zookeeper.* property), keyed by
// their zookeeper.* name, in name order.
func (c Config) propertiesWithPrefix(prefix string) map[string]string {
	out := map[string]string{}
	bare := strings.TrimPrefix(prefix, propertyPrefixZooKeeper)
	for k, v := range c.Properties {
		name := k
		if !strings.HasPrefix(k, propertyPrefixZooKeeper) && strings.HasPrefix(k, bare) {
			name = propertyPrefixZooKeeper + k
		}
		if strings.HasPrefix(name, prefix) {
			if _, dup := out[name]; dup && k != name {
				continue // the exact zookeeper.* spelling wins
			}
			out[name] = strings.TrimSpace(v)
		}
	}
	return out
}

// clientAuth reads the client port's authentication settings as Java's
// ProviderRegistry, ServerCnxnFactory.configureSaslLogin,
// SaslServerCallbackHandler, ZooKeeperServer.processSasl and
// AuthenticationHelper do. It fails closed: a JAAS file that cannot be
// read, a Server section zkit cannot honour (Kerberos), or a missing
// Server section while SASL is asked for stop the server.
func clientAuth(c Config) (engine.ClientAuth, error) {
	log := c.Logger
	if log == nil {
		log = slog.Default()
	}
	var a engine.ClientAuth

	providers := c.propertiesWithPrefix(keyAuthProviderPrefix)
	saslProvider := false
	if len(providers) > 0 {
		a.AuthProviders = map[string]string{}
		for k, v := range providers {
			a.AuthProviders[strings.TrimPrefix(k, keyAuthProviderPrefix)] = v
			if v == saslProviderClass {
				saslProvider = true
			}
		}
	}
	a.LetAnySASLUserDoX, _ = c.Property(keyLetAnySASLUserDoX)

	// AuthenticationHelper.initConfigurations.
	if c.javaBool(keyRequireClientSASL) {
		a.EnforceAuthSchemes = []string{saslSchemeName}
	} else if c.javaBool(keyEnforceAuthEnabled) {
		v, _ := c.Property(keyEnforceAuthSchemes)
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				a.EnforceAuthSchemes = append(a.EnforceAuthSchemes, s)
			}
		}
		if len(a.EnforceAuthSchemes) == 0 {
			return a, fmt.Errorf("%w: enforce.auth.enabled is true, enforce.auth.schemes must be configured", ErrSASLConfig)
		}
	}
	probe, err := acl.New(acl.Config{AuthProviders: a.AuthProviders, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return a, err
	}
	for _, s := range a.EnforceAuthSchemes {
		// AuthenticationHelper.validateConfiguredProperties
		if !probe.HasScheme(s) {
			return a, fmt.Errorf("%w: enforce.auth.schemes: authentication scheme %q is not available (no zookeeper.authProvider for it)", ErrSASLConfig, s)
		}
	}
	saslEnforced := false
	for _, s := range a.EnforceAuthSchemes {
		saslEnforced = saslEnforced || s == saslSchemeName
	}

	sectionKeySet := false
	if v, ok := c.Property(jaas.ServerSectionKey); ok && v != "" {
		sectionKeySet = true
	}
	section := jaas.SectionName(c.Property, jaas.ServerSectionKey, jaas.DefaultServerSection)
	file, path, jaasSet, err := jaas.LoadConfigured(c.Property)
	if !jaasSet {
		if sectionKeySet {
			return a, fmt.Errorf("%w: %s is set to %q but no JAAS file is configured (%s)", ErrSASLConfig, jaas.ServerSectionKey, section, jaas.LoginConfigKey)
		}
		if saslProvider || saslEnforced {
			log.Warn("SASL is configured for the client port but there is no JAAS file: no client can log in with SASL",
				"setting", jaas.LoginConfigKey)
		}
		return a, nil
	}
	if err != nil {
		return a, fmt.Errorf("%w: %w", ErrSASLConfig, err)
	}
	if _, ok := file.Section(section); !ok {
		if sectionKeySet || saslProvider || saslEnforced {
			return a, fmt.Errorf("%w: no JAAS configuration section named %q in %s, but client SASL is configured (%s, %s or enforce.auth)",
				ErrSASLConfig, section, path, jaas.ServerSectionKey, keyAuthProviderPrefix+"N")
		}
		// Java goes on without client SASL here (a JAAS file with only the
		// quorum sections is common).
		log.Info("no JAAS section for client SASL, SASL logins are off", "section", section, "file", path)
		return a, nil
	}
	krb, err := file.Krb5Login(section)
	if err != nil {
		return a, fmt.Errorf("%w: %w", ErrSASLConfig, err)
	}
	if krb != nil {
		kt, err := loadKeytab(path, krb)
		if err != nil {
			return a, fmt.Errorf("%w: %w", ErrSASLConfig, err)
		}
		a.SASL = &engine.SASLConfig{
			Kerberos:                 &engine.KerberosAcceptor{Keytab: kt, Principal: krb.Principal},
			RemoveHostFromPrincipal:  c.javaBool(keyRemoveHost),
			RemoveRealmFromPrincipal: c.javaBool(keyRemoveRealm),
			AllowFailedClients:       c.javaBool(keyAllowSASLFailed),
			SuperUsers:               c.saslSuperUsers(),
		}
		log.Info("client SASL (GSSAPI, Kerberos) configured", "file", path, "section", section, "principal", krb.Principal)
		return a, nil
	}
	users, err := file.ServerCredentials(section)
	switch {
	case errors.Is(err, jaas.ErrCredentials):
		log.Warn("JAAS server section has no users: every SASL login will fail", "section", section, "file", path)
		users = map[string]string{}
	case err != nil:
		return a, fmt.Errorf("%w: %w", ErrSASLConfig, err)
	}
	cfg := &engine.SASLConfig{
		RemoveHostFromPrincipal:  c.javaBool(keyRemoveHost),
		RemoveRealmFromPrincipal: c.javaBool(keyRemoveRealm),
		AllowFailedClients:       c.javaBool(keyAllowSASLFailed),
	}
	superPassword, hasSuperPassword := c.Property(keySASLSuperPassword)
	cfg.Credentials = func(user string) (string, bool) {
		if user == superUserSASLName && hasSuperPassword {
			return superPassword, true
		}
		p, ok := users[user]
		return p, ok
	}
	cfg.SuperUsers = c.saslSuperUsers()
	a.SASL = cfg
	if !saslProvider {
		log.Info("client SASL logins are on but " + saslProviderClass + " is not an authProvider: sasl ACLs are invalid")
	}
	log.Info("client SASL (DIGEST-MD5) configured", "file", path, "section", section, "users", len(users))
	return a, nil
}

// saslSuperUsers are the values of zookeeper.superUser and
// zookeeper.superUser.<anything>, not zookeeper.superUserFoo
// (ZooKeeperServer.isSaslSuperUser).
func (c Config) saslSuperUsers() []string {
	supers := c.propertiesWithPrefix(keySASLSuperUser)
	names := make([]string, 0, len(supers))
	for k := range supers {
		if k == keySASLSuperUser || strings.HasPrefix(k, keySASLSuperUser+".") {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	var out []string
	for _, k := range names {
		out = append(out, supers[k])
	}
	return out
}

// loadKeytab reads a Kerberos login's keytab, naming the JAAS line and
// the file when it cannot.
func loadKeytab(jaasPath string, krb *jaas.Krb5Login) (*keytab.Keytab, error) {
	kt, err := keytab.Load(krb.KeyTab)
	if err != nil {
		return nil, fmt.Errorf("%s:%d: keyTab %s: %v", jaasPath, krb.Line, krb.KeyTab, err)
	}
	return kt, nil
}

// keytabHolds reports whether kt has a key for principal ("name/host" or
// "name/host@REALM"; without a realm any realm matches).
func keytabHolds(kt *keytab.Keytab, principal string) bool {
	name, realm, _ := strings.Cut(principal, "@")
	for _, e := range kt.Entries {
		if strings.Join(e.Principal.Components, "/") == name && (realm == "" || e.Principal.Realm == realm) {
			return true
		}
	}
	return false
}
