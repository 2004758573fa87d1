package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	krbclient "github.com/jcmturner/gokrb5/v8/client"

	"github.com/zkit-go/zkit/internal/client"
	"github.com/zkit-go/zkit/internal/jaas"
	"github.com/zkit-go/zkit/internal/proto"
	"github.com/zkit-go/zkit/internal/sasl"
)

// Client SASL settings (ZKClientConfig, ZooKeeperSaslClient).
const (
	keySASLClient                = "zookeeper.sasl.client" // "false" turns client SASL off
	stateSASLAuthenticated int32 = 6                       // KeeperState.SaslAuthenticated
)

// SASLSetup is what ZooKeeperSaslClient makes of the client's settings:
// a DIGEST-MD5 login, none, or a configuration that failed (Java then
// reports AuthFailed and goes on without SASL).
type SASLSetup struct {
	Creds    *client.SASLCredentials // DIGEST-MD5; nil: none
	Kerberos *KerberosSetup          // GSSAPI; nil: none
	LoginErr error                   // the JAAS setup failed
}

// KerberosSetup is a Krb5LoginModule Client section with the settings
// SaslServerPrincipal and SecurityUtils read.
type KerberosSetup struct {
	Keytab          string // keyTab
	User, Realm     string // principal="user@REALM"
	KRB5Conf        string // java.security.krb5.conf, else /etc/krb5.conf
	ServiceUser     string // zookeeper.sasl.client.username (default zookeeper)
	ServerPrincipal string // zookeeper.server.principal: overrides ServiceUser/host
	ServerRealm     string // zookeeper.server.realm
	Canonicalize    bool   // zookeeper.sasl.client.canonicalize.hostname (default true)
}

// ResolveSASL decides the client's SASL login as Java's client does.
// sys are the JVM system properties (-D options); conf is the client's
// properties (ClientProperties: the -D options overlaid by the
// -client-configuration file), whose zookeeper.sasl.* keys override sys. The JAAS file is named only by the system property
// java.security.auth.login.config; its section by zookeeper.sasl.clientconfig
// (default Client). No JAAS file, or zookeeper.sasl.client=false, means no
// SASL; a JAAS file without the section, unreadable, or using a login
// module other than DigestLoginModule is a failed setup.
func ResolveSASL(sys, conf map[string]string) SASLSetup {
	get := func(k string) (string, bool) {
		if v, ok := conf[k]; ok {
			return strings.TrimSpace(v), true
		}
		v, ok := sys[k]
		return v, ok
	}
	if v, ok := get(keySASLClient); ok && !strings.EqualFold(v, "true") {
		return SASLSetup{}
	}
	section := jaas.SectionName(get, jaas.ClientSectionKey, jaas.DefaultClientSection)
	_, explicitSection := get(jaas.ClientSectionKey)
	cfg, _, hasFile, err := jaas.LoadConfigured(func(k string) (string, bool) { v, ok := sys[k]; return v, ok })
	if !hasFile {
		if explicitSection {
			return SASLSetup{LoginErr: fmt.Errorf("cli: client cannot SASL-authenticate: %s names section %q but no JAAS file is set (%s)", jaas.ClientSectionKey, section, jaas.LoginConfigKey)}
		}
		return SASLSetup{}
	}
	if err != nil {
		return SASLSetup{LoginErr: err}
	}
	if _, ok := cfg.Section(section); ok {
		krb, err := cfg.Krb5Login(section)
		if err != nil {
			return SASLSetup{LoginErr: err}
		}
		if krb != nil {
			return SASLSetup{Kerberos: kerberosSetup(krb, sys, get)}
		}
	}
	user, password, err := cfg.ClientCredentials(section)
	if err != nil {
		return SASLSetup{LoginErr: err}
	}
	return SASLSetup{Creds: &client.SASLCredentials{User: user, Password: password}}
}

func kerberosSetup(krb *jaas.Krb5Login, sys map[string]string, get func(string) (string, bool)) *KerberosSetup {
	k := &KerberosSetup{Keytab: krb.KeyTab, KRB5Conf: "/etc/krb5.conf", ServiceUser: "zookeeper", Canonicalize: true}
	k.User, k.Realm, _ = strings.Cut(krb.Principal, "@")
	if v := sys["java.security.krb5.conf"]; v != "" {
		k.KRB5Conf = v
	}
	if v, ok := get("zookeeper.sasl.client.username"); ok && v != "" {
		k.ServiceUser = v
	}
	k.ServerPrincipal, _ = get("zookeeper.server.principal")
	k.ServerRealm, _ = get("zookeeper.server.realm")
	if v, ok := get("zookeeper.sasl.client.canonicalize.hostname"); ok {
		k.Canonicalize = strings.EqualFold(v, "true")
	}
	return k
}

// servicePrincipal is SaslServerPrincipal.getServerPrincipal without the
// realm: zookeeper.server.principal, or user "/" host, the host
// canonicalized by a reverse lookup unless that gives back the address.
func (k *KerberosSetup) servicePrincipal(addr string) string {
	if k.ServerPrincipal != "" {
		p, _, _ := strings.Cut(k.ServerPrincipal, "@")
		return p
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	if k.Canonicalize || net.ParseIP(host) != nil {
		ip := host
		if net.ParseIP(host) == nil {
			if ips, err := net.LookupHost(host); err == nil && len(ips) > 0 {
				ip = ips[0]
			}
		}
		if names, err := net.LookupAddr(ip); err == nil && len(names) > 0 {
			if name := strings.TrimSuffix(names[0], "."); name != ip {
				host = name
			}
		}
	}
	return k.ServiceUser + "/" + host
}

// login logs in from the keytab with gokrb5.
func (k *KerberosSetup) login() (*krbclient.Client, error) {
	principal := k.User
	if k.Realm != "" {
		principal += "@" + k.Realm
	}
	return sasl.KerberosLogin(k.KRB5Conf, k.Keytab, principal)
}

// saslFailed reports whether err is the server or the mechanism refusing
// the login (as opposed to the connection ending mid-exchange).
func saslFailed(err error) bool {
	return errors.Is(err, proto.ErrAuthFailed) || errors.Is(err, proto.ErrSessionClosedRequireSASL) ||
		errors.Is(err, sasl.ErrAuthFailed) || errors.Is(err, sasl.ErrProtocol) || errors.Is(err, sasl.ErrUnsupportedQOP)
}

// saslBeforeConnect is ClientCnxn.startConnect's part: a SASL setup that
// failed is reported as AuthFailed before every connection attempt, and
// the client goes on without SASL.
func (s *session) saslBeforeConnect() {
	if s.sasl.LoginErr != nil {
		s.onEvent(Event{Type: proto.EventNone, State: proto.StateAuthFailed, NoPath: true})
		return
	}
	if s.sasl.Kerberos != nil && s.krb == nil {
		// Java logs in (Krb5LoginModule) as it creates the SASL client
		// for a connection; a failed login is AuthFailed, and the
		// connection goes on without SASL.
		krb, err := s.sasl.Kerberos.login()
		if err != nil {
			s.onEvent(Event{Type: proto.EventNone, State: proto.StateAuthFailed, NoPath: true})
			return
		}
		s.krb = krb
	}
}

// saslClose ends the Kerberos login (gokrb5 renews it from a goroutine).
func (s *session) saslClose() {
	if s.krb != nil {
		s.krb.Destroy()
		s.krb = nil
	}
}

// saslMechanism is the mechanism for a connection to addr, nil for none.
func (s *session) saslMechanism(addr string) client.SASLMechanism {
	switch {
	case s.sasl.Creds != nil:
		return sasl.NewDigestClient(client.SASLProtocol, client.SASLServerName, s.sasl.Creds.User, s.sasl.Creds.Password)
	case s.sasl.Kerberos != nil && s.krb != nil:
		return sasl.NewGSSAPIClient(s.krb, s.sasl.Kerberos.servicePrincipal(addr))
	}
	return nil
}

// errSASLRefused marks a dial whose SASL login the server or the
// mechanism refused.
var errSASLRefused = errors.New("cli: sasl login refused")

// saslLogin runs the DIGEST-MD5 login on a new connection, after its auth
// and setWatches packets and before the shell may use it (Java holds
// requests until SASL completes). A refusal wraps errSASLRefused; any
// other error is a connection lost mid-login, retried like a failed dial.
func (s *session) saslLogin(ctx context.Context, conn *client.Conn, addr string) error {
	mech := s.saslMechanism(addr)
	if mech == nil {
		return nil
	}
	err := conn.SASLLoginWith(ctx, mech)
	if err != nil && saslFailed(err) {
		return fmt.Errorf("%w: %w", errSASLRefused, err)
	}
	return err
}

// saslRefused reports a refused login as Java's client does:
// SyncConnected, then AuthFailed, and the client is dead (AUTH_FAILED).
func (s *session) saslRefused() {
	s.onEvent(Event{Type: proto.EventNone, State: proto.StateSyncConnected, NoPath: true})
	s.authFailed()
}

// saslConnected follows the SyncConnected event of a connection that
// logged in.
func (s *session) saslConnected() {
	if s.sasl.Creds != nil || s.sasl.Kerberos != nil && s.krb != nil {
		s.onEvent(Event{Type: proto.EventNone, State: stateSASLAuthenticated, NoPath: true})
	}
}
