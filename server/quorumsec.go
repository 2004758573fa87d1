package server

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	krbclient "github.com/jcmturner/gokrb5/v8/client"

	"github.com/zkit-go/zkit/internal/jaas"
	"github.com/zkit-go/zkit/internal/quorumauth"
	"github.com/zkit-go/zkit/internal/quorumnet"
	"github.com/zkit-go/zkit/internal/sasl"
	"github.com/zkit-go/zkit/internal/tlsconf"
)

// Quorum security keys (QuorumPeerConfig, QuorumAuth).
const (
	keySSLQuorum          = "sslQuorum"
	keyPortUnification    = "portUnification"
	keyQuorumSASL         = "quorum.auth.enableSasl"
	keyQuorumServerSASL   = "quorum.auth.serverRequireSasl"
	keyQuorumLearnerSASL  = "quorum.auth.learnerRequireSasl"
	keyQuorumKrbPrincipal = "quorum.auth.kerberos.servicePrincipal"
)

// ErrQuorumSecurity reports quorum TLS or SASL settings that cannot be
// honoured: the server does not start.
var ErrQuorumSecurity = errors.New("server: quorum security")

// quorumBool reads a boolean quorum setting as QuorumPeerConfig.parseBoolean
// does: "true" or "false" (any case), anything else an error naming it.
func quorumBool(c Config, key string) (bool, error) {
	v, ok := c.Property(key)
	if !ok {
		return false, nil
	}
	switch strings.ToLower(v) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, &ConfigError{Key: key, Value: v, Err: errors.New("want true or false")}
}

// quorumSecurity reads what protects the election and quorum ports:
// sslQuorum, portUnification and the ssl.quorum.* stores (through tlsconf,
// which also reads sslQuorumReloadCertFiles), and quorum SASL
// (quorum.auth.*, the JAAS QuorumServer and QuorumLearner sections). It
// returns nil when nothing is asked for. Whatever is asked for and cannot
// be honoured is an error naming the key or file, as Java refuses to
// start on it (or, where Java would start and fail each connection,
// because serving with less protection than configured is worse).
func quorumSecurity(c Config) (*quorumnet.Security, error) {
	sec := &quorumnet.Security{Logger: c.Logger}
	var err error
	if sec.SSLQuorum, err = quorumBool(c, keySSLQuorum); err != nil {
		return nil, err
	}
	if sec.PortUnification, err = quorumBool(c, keyPortUnification); err != nil {
		return nil, err
	}
	settings, err := tlsconf.FromProperties(c.Property, tlsconf.QuorumPrefix)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrQuorumSecurity, err)
	}
	settings.Logger = c.Logger
	switch {
	case sec.SSLQuorum || sec.PortUnification:
		// Java accepts TLS peers on a unified port only if its stores
		// load; plaintext keeps working. zkit refuses to start instead
		// of failing each TLS peer.
		key := keySSLQuorum
		if !sec.SSLQuorum {
			key = keyPortUnification
		}
		if sec.TLS, err = quorumnet.StaticTLS(settings); err != nil {
			return nil, fmt.Errorf("%w: %s=true: %w", ErrQuorumSecurity, key, err)
		}
	case settings.Configured():
		c.Logger.Warn("ssl.quorum.* settings present but sslQuorum is not true: the quorum and election ports are plaintext",
			"settings", strings.Join(settings.Present, ","))
	}
	if sec.Auth, err = quorumSASL(c); err != nil {
		return nil, err
	}
	if v, ok := c.Property("quorum.cnxn.threads.size"); ok {
		c.Logger.Info("quorum.cnxn.threads.size is not used: zkit authenticates each quorum connection on its own goroutine",
			"key", "quorum.cnxn.threads.size", "value", v)
	}
	if !sec.SSLQuorum && !sec.PortUnification && sec.Auth == nil {
		return nil, nil
	}
	return sec, nil
}

// quorumSASL reads quorum.auth.* (nil when enableSasl is false), with
// QuorumPeerConfig's consistency checks and SaslQuorumAuthServer's and
// SaslQuorumAuthLearner's need for their JAAS sections (both are made
// whenever SASL is enabled).
func quorumSASL(c Config) (*quorumnet.Auth, error) {
	enabled, err := quorumBool(c, keyQuorumSASL)
	if err != nil {
		return nil, err
	}
	serverReq, err := quorumBool(c, keyQuorumServerSASL)
	if err != nil {
		return nil, err
	}
	learnerReq, err := quorumBool(c, keyQuorumLearnerSASL)
	if err != nil {
		return nil, err
	}
	switch {
	case !enabled && serverReq:
		return nil, fmt.Errorf("%w: %s is disabled, so cannot enable %s", ErrQuorumSecurity, keyQuorumSASL, keyQuorumServerSASL)
	case !enabled && learnerReq:
		return nil, fmt.Errorf("%w: %s is disabled, so cannot enable %s", ErrQuorumSecurity, keyQuorumSASL, keyQuorumLearnerSASL)
	case !learnerReq && serverReq:
		return nil, fmt.Errorf("%w: %s is disabled, so cannot enable %s", ErrQuorumSecurity, keyQuorumLearnerSASL, keyQuorumServerSASL)
	case !enabled:
		return nil, nil
	}
	file, path, ok, err := jaas.LoadConfigured(c.Property)
	switch {
	case err != nil:
		return nil, fmt.Errorf("%w: %w", ErrQuorumSecurity, err)
	case !ok:
		return nil, fmt.Errorf("%w: %s=true needs a JAAS file with the %s and %s sections (-D%s=... in SERVER_JVMFLAGS)",
			ErrQuorumSecurity, keyQuorumSASL, jaas.DefaultQuorumServerSection, jaas.DefaultQuorumLearnerSection, jaas.LoginConfigKey)
	}
	serverSection := jaas.SectionName(c.Property, jaas.QuorumServerSectionKey, jaas.DefaultQuorumServerSection)
	learnerSection := jaas.SectionName(c.Property, jaas.QuorumLearnerSectionKey, jaas.DefaultQuorumLearnerSection)
	auth := &quorumnet.Auth{LearnerRequired: learnerReq, ServerRequired: serverReq}
	// Java makes both sides whenever SASL is enabled, so both sections
	// must be usable even when learnerRequireSasl is false.
	serverMech, err := quorumSASLServer(c, file, path, serverSection)
	if err != nil {
		return nil, err
	}
	learnerMech, err := quorumSASLLearner(c, file, path, learnerSection)
	if err != nil {
		return nil, err
	}
	auth.NewServer, auth.NewLearner = serverMech, learnerMech
	c.Logger.Info("quorum SASL enabled", "learnerRequireSasl", learnerReq, "serverRequireSasl", serverReq,
		"serverSection", serverSection, "learnerSection", learnerSection)
	return auth, nil
}

// quorumSASLServer reads the QuorumServer section: DIGEST-MD5 users, or a
// Kerberos acceptor (keytab and principal) whose learners must be
// service/host@REALM with host one of the ensemble's (Java's authzHosts).
func quorumSASLServer(c Config, file *jaas.Config, path, section string) (func() (quorumauth.ServerMechanism, error), error) {
	krb, err := quorumKerberosSection(file, section)
	if err != nil {
		return nil, err
	}
	if krb == nil {
		users, err := file.ServerCredentials(section)
		if err != nil {
			return nil, fmt.Errorf("%w: section %s of %s: %w", ErrQuorumSecurity, section, path, err)
		}
		c.Logger.Info("quorum SASL server: DIGEST-MD5", "section", section, "users", len(users))
		return func() (quorumauth.ServerMechanism, error) {
			return sasl.NewDigestServer(quorumauth.Protocol, quorumauth.ServerName, func(name string) (string, bool) {
				pw, ok := users[name]
				return pw, ok
			}), nil
		}, nil
	}
	if c.javaBool(keyCanonicalizeHosts) {
		return nil, fmt.Errorf("%w: %s=true: zkit does not canonicalize the ensemble's host names for quorum Kerberos; write the canonical names in the server.N lines",
			ErrQuorumSecurity, keyCanonicalizeHosts)
	}
	kt, err := loadKeytab(path, krb)
	if err != nil {
		return nil, fmt.Errorf("%w: section %s: %w", ErrQuorumSecurity, section, err)
	}
	if !keytabHolds(kt, krb.Principal) {
		return nil, fmt.Errorf("%w: %s:%d: keyTab %s holds no key for principal %s (section %s)",
			ErrQuorumSecurity, path, krb.Line, krb.KeyTab, krb.Principal, section)
	}
	var hosts []string
	for _, qs := range c.Servers {
		if !slices.Contains(hosts, qs.Host) {
			hosts = append(hosts, qs.Host)
		}
	}
	authorize := quorumauth.HostAuthorizer(hosts)
	c.Logger.Info("quorum SASL server: GSSAPI (Kerberos)", "section", section, "principal", krb.Principal, "authorizedHosts", strings.Join(hosts, ","))
	return func() (quorumauth.ServerMechanism, error) {
		m := sasl.NewGSSAPIServer(kt, krb.Principal)
		m.SetAuthorizer(authorize)
		return m, nil
	}, nil
}

// quorumSASLLearner reads the QuorumLearner section: a DIGEST-MD5
// username and password, or a Kerberos login (keytab and principal) that
// asks for quorum.auth.kerberos.servicePrincipal with _HOST replaced by
// the server's host. The Kerberos login is tried once here, as Java's
// Login does at start, so a stale keytab or an unknown principal stops
// the server; each connection then logs in afresh (new tickets, a
// rotated keytab read again) and ends its login when the exchange ends.
func quorumSASLLearner(c Config, file *jaas.Config, path, section string) (func(host string) (quorumauth.LearnerMechanism, error), error) {
	krb, err := quorumKerberosSection(file, section)
	if err != nil {
		return nil, err
	}
	if krb == nil {
		user, password, err := file.ClientCredentials(section)
		if err != nil {
			return nil, fmt.Errorf("%w: section %s of %s: %w", ErrQuorumSecurity, section, path, err)
		}
		if _, ok := c.Property(keyQuorumKrbPrincipal); ok {
			c.Logger.Info("quorum.auth.kerberos.servicePrincipal is set but the quorum learner uses DIGEST-MD5: ignored, as Java ignores it", "key", keyQuorumKrbPrincipal)
		}
		c.Logger.Info("quorum SASL learner: DIGEST-MD5", "section", section, "user", user)
		return func(string) (quorumauth.LearnerMechanism, error) {
			return sasl.NewDigestClient(quorumauth.Protocol, quorumauth.ServerName, user, password), nil
		}, nil
	}
	krb5Conf := defaultKRB5Conf
	if v, ok := c.Property(keyKRB5Conf); ok && strings.TrimSpace(v) != "" {
		krb5Conf = strings.TrimSpace(v)
	}
	service := quorumauth.DefaultServicePrincipal
	if v, ok := c.Property(keyQuorumKrbPrincipal); ok && strings.TrimSpace(v) != "" {
		service = strings.TrimSpace(v)
	}
	_, learnerRealm, _ := strings.Cut(krb.Principal, "@")
	if _, realm, ok := strings.Cut(service, "@"); ok && learnerRealm != "" && realm != learnerRealm {
		return nil, fmt.Errorf("%w: %s=%s: the service's realm differs from the learner's (%s); zkit does not do cross-realm quorum Kerberos",
			ErrQuorumSecurity, keyQuorumKrbPrincipal, service, krb.Principal)
	}
	login := func() (*krbclient.Client, error) {
		cl, err := sasl.KerberosLogin(krb5Conf, krb.KeyTab, krb.Principal)
		if err != nil {
			return nil, fmt.Errorf("section %s of %s (keyTab %s): %w", section, path, krb.KeyTab, err)
		}
		return cl, nil
	}
	cl, err := login()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrQuorumSecurity, err)
	}
	cl.Destroy()
	c.Logger.Info("quorum SASL learner: GSSAPI (Kerberos)", "section", section, "principal", krb.Principal,
		keyQuorumKrbPrincipal, service, "krb5.conf", krb5Conf)
	return func(host string) (quorumauth.LearnerMechanism, error) {
		cl, err := login()
		if err != nil {
			return nil, err
		}
		// gokrb5 wants the service without its realm (that of the login).
		target, _, _ := strings.Cut(quorumauth.ServicePrincipal(service, host), "@")
		return kerberosLearner{GSSAPIClient: sasl.NewGSSAPIClient(cl, target), login: cl}, nil
	}, nil
}

// kerberosLearner ends its login (and gokrb5's renewal goroutine) when
// quorumnet closes it after the exchange.
type kerberosLearner struct {
	*sasl.GSSAPIClient
	login *krbclient.Client
}

func (k kerberosLearner) Close() error {
	k.login.Destroy()
	return nil
}

// quorumKerberosSection returns the section's Kerberos login, nil for a
// DIGEST-MD5 section. A section mixing Krb5LoginModule with another
// module, or a Kerberos login zkit cannot honour (no keytab, no
// principal), is an error naming it.
func quorumKerberosSection(file *jaas.Config, section string) (*jaas.Krb5Login, error) {
	krb, err := file.Krb5Login(section)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrQuorumSecurity, keyQuorumSASL, err)
	}
	if krb == nil {
		return nil, nil
	}
	entries, _ := file.Section(section)
	for _, e := range entries {
		if e.LoginModule != jaas.Krb5LoginModule && e.LoginModule != jaas.IBMKrb5LoginModule {
			return nil, fmt.Errorf("%w: %s:%d: section %q mixes %s with Kerberos; use one or the other",
				ErrQuorumSecurity, file.File, e.Line, section, e.LoginModule)
		}
	}
	return krb, nil
}
