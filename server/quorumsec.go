package server

import (
	"errors"
	"fmt"
	"strings"

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
	jaasProp, ok := c.Property(jaas.LoginConfigKey)
	if !ok {
		return nil, fmt.Errorf("%w: %s=true needs a JAAS file with the %s and %s sections (-D%s=... in SERVER_JVMFLAGS)",
			ErrQuorumSecurity, keyQuorumSASL, jaas.DefaultQuorumServerSection, jaas.DefaultQuorumLearnerSection, jaas.LoginConfigKey)
	}
	path, err := jaas.PathFromProperty(jaasProp)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrQuorumSecurity, jaas.LoginConfigKey, err)
	}
	file, err := jaas.Load(path, func(name string) (string, bool) { return c.Property(name) })
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrQuorumSecurity, jaas.LoginConfigKey, err)
	}
	serverSection := jaas.SectionName(c.Property, jaas.QuorumServerSectionKey, jaas.DefaultQuorumServerSection)
	learnerSection := jaas.SectionName(c.Property, jaas.QuorumLearnerSectionKey, jaas.DefaultQuorumLearnerSection)
	for _, s := range []string{serverSection, learnerSection} {
		if _, err := file.DigestSection(s); err != nil {
			if errors.Is(err, jaas.ErrUnsupported) {
				// Kerberos (GSSAPI) needs a KDC client zkit does not have.
				return nil, fmt.Errorf("%w: quorum SASL supports DIGEST-MD5 (DigestLoginModule) only, not Kerberos (%s is not used): %w",
					ErrQuorumSecurity, keyQuorumKrbPrincipal, err)
			}
			return nil, fmt.Errorf("%w: %s: %w", ErrQuorumSecurity, keyQuorumSASL, err)
		}
	}
	users, err := file.ServerCredentials(serverSection)
	if err != nil {
		return nil, fmt.Errorf("%w: section %s of %s: %w", ErrQuorumSecurity, serverSection, path, err)
	}
	user, password, err := file.ClientCredentials(learnerSection)
	if err != nil {
		return nil, fmt.Errorf("%w: section %s of %s: %w", ErrQuorumSecurity, learnerSection, path, err)
	}
	if _, ok := c.Property(keyQuorumKrbPrincipal); ok {
		c.Logger.Info("quorum.auth.kerberos.servicePrincipal is set but quorum SASL uses DIGEST-MD5: ignored, as Java ignores it", "key", keyQuorumKrbPrincipal)
	}
	c.Logger.Info("quorum SASL enabled", "learnerRequireSasl", learnerReq, "serverRequireSasl", serverReq,
		"serverSection", serverSection, "learnerSection", learnerSection, "learner", user)
	return &quorumnet.Auth{
		LearnerRequired: learnerReq,
		ServerRequired:  serverReq,
		NewLearner: func() (quorumauth.LearnerMechanism, error) {
			return sasl.NewDigestClient(quorumauth.Protocol, quorumauth.ServerName, user, password), nil
		},
		NewServer: func() (quorumauth.ServerMechanism, error) {
			return sasl.NewDigestServer(quorumauth.Protocol, quorumauth.ServerName, func(name string) (string, bool) {
				pw, ok := users[name]
				return pw, ok
			}), nil
		},
	}, nil
}
