package jaas

import (
	"fmt"
	"os"
	"os/user"
	"sort"
	"strings"
)

// Settings that name the login configuration and its sections, with
// ZooKeeper's defaults.
const (
	// LoginConfigKey is the system property naming the JAAS file.
	LoginConfigKey = "java.security.auth.login.config"

	ServerSectionKey        = "zookeeper.sasl.serverconfig"
	ClientSectionKey        = "zookeeper.sasl.clientconfig"
	QuorumServerSectionKey  = "quorum.auth.server.saslLoginContext"
	QuorumLearnerSectionKey = "quorum.auth.learner.saslLoginContext"

	DefaultServerSection        = "Server"
	DefaultClientSection        = "Client"
	DefaultQuorumServerSection  = "QuorumServer"
	DefaultQuorumLearnerSection = "QuorumLearner"
)

// Login module classes.
const (
	DigestLoginModule = "org.apache.zookeeper.server.auth.DigestLoginModule"
	// Krb5LoginModule and its IBM twin mean GSSAPI (Kerberos).
	Krb5LoginModule    = "com.sun.security.auth.module.Krb5LoginModule"
	IBMKrb5LoginModule = "com.ibm.security.auth.module.Krb5LoginModule"
)

// userPrefix marks a DIGEST-MD5 user in a server section's options.
const userPrefix = "user_"

// Lookup reads a setting by name (server.Config.Property, or a map of
// -D options for clients).
type Lookup func(key string) (string, bool)

// SectionName returns the section a setting selects, or its default.
func SectionName(get Lookup, key, def string) string {
	if get != nil {
		if v, ok := get(key); ok && strings.TrimSpace(v) != "" {
			return strings.TrimSpace(v)
		}
	}
	return def
}

// LoadConfigured loads the JAAS file that java.security.auth.login.config
// names in get, expanding ${...} in option values from get and the JVM's
// own properties (SystemExpander); ok is false, with no error, when the
// setting is absent or blank. The server (client-port and quorum SASL)
// and zkit cli all find their file here.
func LoadConfigured(get Lookup) (cfg *Config, path string, ok bool, err error) {
	v, set := get(LoginConfigKey)
	if !set || strings.TrimSpace(v) == "" {
		return nil, "", false, nil
	}
	if path, err = PathFromProperty(v); err != nil {
		return nil, "", true, fmt.Errorf("%s: %w", LoginConfigKey, err)
	}
	if cfg, err = Load(path, SystemExpander(get)); err != nil {
		return nil, path, true, fmt.Errorf("%s: %w", LoginConfigKey, err)
	}
	return cfg, path, true, nil
}

// DigestSection checks that every entry of section uses DigestLoginModule;
// anything else (Kerberos above all) is ErrUnsupported, naming the module
// and its line.
func (c *Config) DigestSection(section string) ([]Entry, error) {
	entries, ok := c.Section(section)
	if !ok {
		return nil, fmt.Errorf("%w: no section named %q in %s", ErrNoSection, section, c.File)
	}
	for _, e := range entries {
		switch e.LoginModule {
		case DigestLoginModule:
		case Krb5LoginModule, IBMKrb5LoginModule:
			return nil, fmt.Errorf("%w: %s:%d: section %q uses %s (Kerberos/GSSAPI), not %s (DIGEST-MD5) credentials", ErrUnsupported, c.File, e.Line, section, e.LoginModule, DigestLoginModule)
		default:
			return nil, fmt.Errorf("%w: %s:%d: section %q uses login module %s; zkit supports only %s", ErrUnsupported, c.File, e.Line, section, e.LoginModule, DigestLoginModule)
		}
	}
	return entries, nil
}

// ServerCredentials is SaslServerCallbackHandler's user table: every
// user_<name>="<password>" option of the section's entries (a later entry
// wins). A section without users is ErrCredentials: no client could log in.
func (c *Config) ServerCredentials(section string) (map[string]string, error) {
	entries, err := c.DigestSection(section)
	if err != nil {
		return nil, err
	}
	users := map[string]string{}
	for _, e := range entries {
		keys := make([]string, 0, len(e.Options))
		for k := range e.Options {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if name, ok := strings.CutPrefix(k, userPrefix); ok {
				users[name] = e.Options[k]
			}
		}
	}
	if len(users) == 0 {
		return nil, fmt.Errorf("%w: section %q of %s has no user_<name>=\"<password>\" option", ErrCredentials, section, c.File)
	}
	return users, nil
}

// ClientCredentials is what DigestLoginModule gives a client or a quorum
// learner: the username and password options of the first entry that has
// a username.
func (c *Config) ClientCredentials(section string) (user, password string, err error) {
	entries, err := c.DigestSection(section)
	if err != nil {
		return "", "", err
	}
	for _, e := range entries {
		u, ok := e.Options["username"]
		if !ok {
			continue
		}
		p, ok := e.Options["password"]
		if !ok {
			return "", "", fmt.Errorf("%w: %s:%d: section %q has username but no password", ErrCredentials, c.File, e.Line, section)
		}
		return u, p, nil
	}
	return "", "", fmt.Errorf("%w: section %q of %s has no username=\"...\" password=\"...\" options", ErrCredentials, section, c.File)
}

// SystemExpander resolves ${name} in option values the way a JVM's
// system properties would: from get first (zoo.cfg-derived or -D
// settings), then user.home, user.name, user.dir and the separators.
func SystemExpander(get Lookup) Expander {
	return func(name string) (string, bool) {
		if get != nil {
			if v, ok := get(name); ok {
				return v, true
			}
		}
		switch name {
		case "user.home":
			h, err := os.UserHomeDir()
			return h, err == nil
		case "user.name":
			u, err := user.Current()
			if err != nil {
				return "", false
			}
			return u.Username, true
		case "user.dir":
			d, err := os.Getwd()
			return d, err == nil
		case "file.separator":
			return string(os.PathSeparator), true
		case "path.separator":
			return string(os.PathListSeparator), true
		case "line.separator":
			return "\n", true
		}
		return "", false
	}
}

// Krb5Login is a Krb5LoginModule entry as a keytab-based acceptor needs it
// (useKeyTab=true keyTab="..." principal="...").
type Krb5Login struct {
	KeyTab    string
	Principal string
	Line      int
}

// Krb5Login returns the section's Kerberos login, nil when the section has
// no Krb5LoginModule entry. An entry zkit cannot honour (no keytab, no
// principal, a ticket cache instead of a keytab) is ErrUnsupported.
func (c *Config) Krb5Login(section string) (*Krb5Login, error) {
	entries, ok := c.Section(section)
	if !ok {
		return nil, fmt.Errorf("%w: no section named %q in %s", ErrNoSection, section, c.File)
	}
	var login *Krb5Login
	for _, e := range entries {
		if e.LoginModule != Krb5LoginModule && e.LoginModule != IBMKrb5LoginModule {
			continue
		}
		if login != nil {
			return nil, fmt.Errorf("%w: %s:%d: section %q has more than one Kerberos login", ErrUnsupported, c.File, e.Line, section)
		}
		if !strings.EqualFold(e.Options["useKeyTab"], "true") || e.Options["keyTab"] == "" {
			return nil, fmt.Errorf("%w: %s:%d: section %q: zkit accepts Kerberos only with useKeyTab=true and keyTab=\"...\"", ErrUnsupported, c.File, e.Line, section)
		}
		if e.Options["principal"] == "" || e.Options["principal"] == "*" {
			return nil, fmt.Errorf("%w: %s:%d: section %q: principal=\"service/host@REALM\" is required", ErrUnsupported, c.File, e.Line, section)
		}
		login = &Krb5Login{KeyTab: e.Options["keyTab"], Principal: e.Options["principal"], Line: e.Line}
	}
	return login, nil
}
