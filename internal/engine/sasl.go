package engine

import (
	"fmt"
	"net"

	"github.com/jcmturner/gokrb5/v8/keytab"

	"github.com/zkit-go/zkit/internal/acl"
	"github.com/zkit-go/zkit/internal/jute"
	"github.com/zkit-go/zkit/internal/proto"
	"github.com/zkit-go/zkit/internal/sasl"
)

// ZooKeeper's fixed DIGEST-MD5 names on the client port.
const (
	saslProtocol   = "zookeeper"
	saslServerName = "zk-sasl-md5"
)

// ClientAuth is the client port's authentication settings beyond digest
// and ip: auth providers, SASL logins (op 102) and enforcement.
type ClientAuth struct {
	// AuthProviders are the zookeeper.authProvider.<name> settings, name
	// to Java class (see acl.Config.AuthProviders).
	AuthProviders map[string]string
	// SASL enables SASL logins; nil means no SASL login is configured
	// (no JAAS Server section), and op 102 is answered as Java answers it
	// then: OK with a null token.
	SASL *SASLConfig
	// LetAnySASLUserDoX is zookeeper.letAnySaslUserDoX.
	LetAnySASLUserDoX string
	// EnforceAuthSchemes, when not empty, is enforce.auth.enabled=true
	// with enforce.auth.schemes (sessionRequireClientSASLAuth=true means
	// ["sasl"]): a connection holding no id of these schemes gets
	// SESSIONCLOSEDREQUIRESASLAUTH for its first request other than auth
	// and sasl, and is closed. Every scheme needs a provider.
	EnforceAuthSchemes []string
}

// SASLConfig is ZooKeeperSaslServer with SaslServerCallbackHandler.
type SASLConfig struct {
	// Credentials are the DIGEST-MD5 users (the JAAS Server section's
	// user_<name> options; "super" may come from
	// zookeeper.SASLAuthenticationProvider.superPassword).
	Credentials sasl.Credentials
	// Kerberos, when set, makes the server accept GSSAPI instead of
	// DIGEST-MD5 (a Server section with Krb5LoginModule), as Java's
	// SecurityUtils.createSaslServer chooses by the login's principals.
	Kerberos *KerberosAcceptor
	// SuperUsers are the values of zookeeper.superUser and
	// zookeeper.superUser.*: a login authorized as one of them also gets
	// super:"".
	SuperUsers []string
	// RemoveHostFromPrincipal and RemoveRealmFromPrincipal are
	// zookeeper.kerberos.removeHostFromPrincipal/removeRealmFromPrincipal.
	RemoveHostFromPrincipal  bool
	RemoveRealmFromPrincipal bool
	// AllowFailedClients is zookeeper.allowSaslFailedClients: a failed
	// login keeps its connection (unless SASL is enforced).
	AllowFailedClients bool
}

// KerberosAcceptor is the service's keytab and principal.
type KerberosAcceptor struct {
	Keytab    *keytab.Keytab
	Principal string // "zookeeper/host@REALM"
}

func (cfg *SASLConfig) newMechanism(remote net.Addr) sasl.ServerMechanism {
	if cfg.Kerberos != nil {
		m := sasl.NewGSSAPIServer(cfg.Kerberos.Keytab, cfg.Kerberos.Principal)
		if a, ok := remote.(*net.TCPAddr); ok {
			m.SetPeer(a.IP)
		}
		return m
	}
	return sasl.NewDigestServer(saslProtocol, saslServerName, cfg.Credentials)
}

// aclConfig is the part of acl.Config ClientAuth supplies.
func (a ClientAuth) aclConfig(c acl.Config) acl.Config {
	c.AuthProviders = a.AuthProviders
	c.SASL = acl.SASLConfig{LetAnyUserDoX: a.LetAnySASLUserDoX}
	return c
}

// validate is AuthenticationHelper.validateConfiguredProperties: every
// enforced scheme needs a provider.
func (a ClientAuth) validate(auth *acl.Authenticator) error {
	for _, s := range a.EnforceAuthSchemes {
		if !auth.HasScheme(s) {
			return fmt.Errorf("engine: enforce.auth.schemes: authentication scheme %q is not available (configure its zookeeper.authProvider)", s)
		}
	}
	return nil
}

func (a ClientAuth) saslRequired() bool {
	for _, s := range a.EnforceAuthSchemes {
		if s == acl.SchemeSASL {
			return true
		}
	}
	return false
}

// authEnforced is AuthenticationHelper.enforceAuthentication, run for
// every request but auth and sasl: with enforcement on and no id of an
// enforced scheme, it answers SESSIONCLOSEDREQUIRESASLAUTH (header only,
// zxid 0) and the connection closes; the session lives on until it
// expires, as in Java.
func (c *conn) authEnforced(xid int32) bool {
	schemes := c.e.cfg.Auth.EnforceAuthSchemes
	if len(schemes) == 0 {
		return true
	}
	for _, id := range c.auth() {
		for _, s := range schemes {
			if id.Scheme == s {
				return true
			}
		}
	}
	c.e.log.Warn("closing connection: no id of an enforced authentication scheme",
		"session", hex(c.sessionID.Load()), "remote", c.remote, "schemes", schemes)
	c.push(outFrame{hdr: proto.ReplyHeader{Xid: xid, Err: proto.ErrSessionClosedRequireSASL}, closeAfter: true})
	return false
}

// handleSASL is ZooKeeperServer.processSasl: one GetSASLRequest token
// through the connection's DIGEST-MD5 server. Success answers OK (zxid
// 0) with the next challenge; when the exchange completes the connection
// gains sasl:<authorized id>, and super:"" for a super user. Failure
// answers AUTHFAILED (SESSIONCLOSEDREQUIRESASLAUTH when SASL is
// enforced) with a null SetSASLResponse and closes the connection.
func (c *conn) handleSASL(xid int32, d *jute.Decoder) error {
	var req proto.GetSASLRequest
	req.Decode(d)
	if d.Err() != nil {
		return d.Err()
	}
	e := c.e
	cfg := e.cfg.Auth.SASL
	if cfg == nil {
		// Java: no SASL server on the connection; the NullPointerException
		// is logged and the reply is OK with no token.
		e.log.Warn("sasl request but no SASL login is configured (no JAAS Server section)", "remote", c.remote)
		c.push(outFrame{hdr: proto.ReplyHeader{Xid: xid}, body: &proto.SetSASLResponse{}})
		return nil
	}
	if c.saslServer == nil {
		c.saslServer = cfg.newMechanism(c.nc.RemoteAddr())
		c.saslServer.SetAuthorizer(func(authcid, _ string) (string, error) {
			// SaslServerCallbackHandler authorizes any authzid and derives
			// the id from the authentication id.
			return acl.SASLAuthorizedID(authcid, cfg.RemoveHostFromPrincipal, cfg.RemoveRealmFromPrincipal), nil
		})
	}
	token, done, err := c.saslServer.Step(req.Token)
	if err != nil {
		e.log.Warn("client failed to SASL authenticate", "remote", c.remote, "session", hex(c.sessionID.Load()), "err", err)
		required := e.cfg.Auth.saslRequired()
		if cfg.AllowFailedClients && !required {
			c.push(outFrame{hdr: proto.ReplyHeader{Xid: xid}, body: &proto.SetSASLResponse{}})
			return nil
		}
		code := proto.ErrAuthFailed
		if required {
			code = proto.ErrSessionClosedRequireSASL
		}
		// Java writes the null token after the error header too.
		var enc jute.Encoder
		hdr := proto.ReplyHeader{Xid: xid, Err: code}
		hdr.Encode(&enc)
		(&proto.SetSASLResponse{}).Encode(&enc)
		c.push(outFrame{raw: enc.Bytes(), isRaw: true, closeAfter: true})
		return errDrain
	}
	if done {
		id := c.saslServer.AuthorizationID()
		c.authInfo.Add(proto.ID{Scheme: acl.SchemeSASL, ID: id})
		super := false
		for _, u := range cfg.SuperUsers {
			if id != "" && u == id {
				super = true
			}
		}
		if super {
			c.authInfo.Add(proto.ID{Scheme: acl.SchemeSuper, ID: ""})
		}
		e.log.Info("SASL authentication succeeded", "session", hex(c.sessionID.Load()), "id", id, "super", super)
	}
	c.push(outFrame{hdr: proto.ReplyHeader{Xid: xid}, body: &proto.SetSASLResponse{Token: token}})
	return nil
}
