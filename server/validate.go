package server

import (
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/zkit-go/zkit/internal/engine"
	"github.com/zkit-go/zkit/internal/quorumnet"
)

// ErrUnknownSecuritySetting reports an unknown key in a security namespace
// (ssl., ssl.quorum., quorum.auth., authProvider., sasl..., secureClient...,
// and their zookeeper.* forms), or one a known security key is a likely
// correction of: a misspelt protection must not leave the server serving
// with less protection than configured, so the server does not start.
var ErrUnknownSecuritySetting = errors.New("unknown security setting")

// configNote is one thing Check found about a key that does not stop the
// server.
type configNote struct {
	key        string
	suggestion string // the closest known key, or ""
	unused     bool   // a known Java setting zkit does not act on
}

func (n configNote) String() string {
	switch {
	case n.unused:
		return fmt.Sprintf("%s is a Java ZooKeeper setting zkit does not use; ignored", n.key)
	case n.suggestion != "":
		return fmt.Sprintf("unknown key %s (did you mean %s?); ignored", n.key, n.suggestion)
	}
	return fmt.Sprintf("unknown key %s; ignored", n.key)
}

// log reports the note at start, each fact once.
func (n configNote) log(l *slog.Logger) {
	switch {
	case n.unused:
		l.Warn("config: Java ZooKeeper setting not used by zkit, ignored", "key", n.key)
	case n.suggestion != "":
		l.Warn("config: unknown key ignored", "key", n.key, "did_you_mean", n.suggestion)
	default:
		l.Warn("config: unknown key ignored", "key", n.key)
	}
}

// Check compares every key in Properties (the zoo.cfg's keys and the
// system properties ApplySystemProperties added) with the settings zkit
// knows: the zoo.cfg keys and zookeeper.* system properties of Java
// ZooKeeper 3.8. It returns one warning per key zkit will ignore, each
// naming the key and, for a likely typo, the closest known key
// ("unknown key tickTme (did you mean tickTime?); ignored"), and per
// known Java setting zkit does not act on. server.New logs these at
// start.
//
// Its error, a join of *ConfigError values naming each key, reports what
// stops a server: an unknown key in a security namespace or close to a
// security key (ErrUnknownSecuritySetting, with its likely correction),
// and a value out of range for a key Check knows the range of (ports,
// timeouts, security booleans, ssl.clientAuth, keystore types). Fields
// ParseConfig sets are range-checked there and in Validate.
func (c Config) Check() (warnings []string, err error) {
	notes, err := c.check()
	for _, n := range notes {
		warnings = append(warnings, n.String())
	}
	return warnings, err
}

func (c Config) check() ([]configNote, error) {
	var (
		notes []configNote
		errs  []error
	)
	for _, k := range slices.Sorted(maps.Keys(c.Properties)) {
		v := strings.TrimSpace(c.Properties[k])
		ki, _ := lookupKey(k)
		if ki == nil {
			sugg, suggSecurity := suggest(k)
			if inSecurityNamespace(k) || suggSecurity {
				msg := "not a setting zkit or ZooKeeper knows"
				if sugg != "" {
					msg = fmt.Sprintf("did you mean %s?", sugg)
				}
				errs = append(errs, &ConfigError{Key: k, Value: v, Err: fmt.Errorf(
					"%w (%s); refusing to start rather than serve with less protection than configured",
					ErrUnknownSecuritySetting, msg), hideValue: true})
				continue
			}
			notes = append(notes, configNote{key: k, suggestion: sugg})
			continue
		}
		if ki.unused {
			notes = append(notes, configNote{key: k, unused: true})
		}
		if ki.check != nil {
			if err := ki.check(v); err != nil {
				errs = append(errs, &ConfigError{Key: k, Value: v, Err: err})
			}
		}
	}
	return notes, errors.Join(errs...)
}

// Validate runs every check New runs on cfg, without opening storage or
// binding any port: what `zkit server -check` reports. It returns nil or
// the first problem found, naming the key (a *ConfigError where one key
// is at fault). The warnings Check returns are not errors.
func Validate(cfg Config) error {
	_, err := validate(cfg)
	return err
}

// validated is a configuration New can start from.
type validated struct {
	cfg      Config // with defaults filled in
	ops      opsConfig
	notes    []configNote
	ensemble bool
	// Settings read from Properties.
	preAllocKB, snapSizeKB int
	sessionless            time.Duration
	clientTLS              *clientTLS          // secureClientPort, ssl.*, x509
	clientAuth             engine.ClientAuth   // SASL (JAAS Server section), enforce.auth
	quorumSecurity         *quorumnet.Security // sslQuorum, ssl.quorum.*, quorum.auth.*
}

func validate(cfg Config) (validated, error) {
	var v validated
	if err := cfg.checkFields(); err != nil {
		return v, err
	}
	c, err := cfg.withDefaults()
	if err != nil {
		return v, err
	}
	if v.notes, err = c.check(); err != nil {
		return v, err
	}
	if v.ops, err = parseOpsConfig(c.Properties); err != nil {
		return v, err
	}
	// Loads the key and trust stores, so a missing file, a wrong password
	// or an expired certificate fails here too (zkit server -check).
	if v.clientTLS, err = parseClientTLS(c); err != nil {
		return v, err
	}
	// Reads the JAAS file, so a missing section or a bad login module
	// fails here too.
	if v.clientAuth, err = clientAuth(c); err != nil {
		return v, err
	}
	// QuorumPeerConfig.isDistributed: two voters or more, or any server
	// line with standaloneEnabled=false.
	v.ensemble = len(c.Servers) > 1 || (c.StandaloneDisabled && len(c.Servers) > 0)
	if v.ensemble {
		if err := checkEnsemble(&c); err != nil {
			return v, err
		}
		// Loads the quorum stores and JAAS sections.
		if v.quorumSecurity, err = quorumSecurity(c); err != nil {
			return v, err
		}
	}
	if v.preAllocKB, err = propInt(c, "preAllocSize", 0); err != nil {
		return v, err
	}
	if v.snapSizeKB, err = propInt(c, "snapSizeLimitInKb", 0); err != nil {
		return v, err
	}
	ms, err := propInt(c, "nio.sessionlessCnxnTimeout", 0)
	if err != nil {
		return v, err
	}
	v.sessionless = time.Duration(ms) * time.Millisecond
	v.cfg = c
	return v, nil
}

// checkFields range-checks the fields a Config built by hand may carry,
// naming the zoo.cfg key of each.
func (c Config) checkFields() error {
	bad := func(key string, val any, msg string) error {
		return &ConfigError{Key: key, Value: fmt.Sprint(val), Err: errors.New(msg)}
	}
	switch {
	case c.ClientPort < 0 || c.ClientPort > 65535:
		return bad("clientPort", c.ClientPort, "want a port number 0-65535")
	case c.TickTime < 0:
		return bad("tickTime", c.TickTime.Milliseconds(), "want a positive number of milliseconds")
	case c.MaxClientCnxns < 0:
		return bad("maxClientCnxns", c.MaxClientCnxns, "want a non-negative integer")
	case c.MinSessionTimeout < 0:
		return bad("minSessionTimeout", c.MinSessionTimeout.Milliseconds(), "want a non-negative number of milliseconds")
	case c.MaxSessionTimeout < 0:
		return bad("maxSessionTimeout", c.MaxSessionTimeout.Milliseconds(), "want a non-negative number of milliseconds")
	case c.JuteMaxBuffer < 0:
		return bad("jute.maxbuffer", c.JuteMaxBuffer, "want a positive integer")
	case c.InitLimit < 0:
		return bad("initLimit", c.InitLimit, "want a positive integer")
	case c.SyncLimit < 0:
		return bad("syncLimit", c.SyncLimit, "want a positive integer")
	case c.PeerType != "" && c.PeerType != "participant" && c.PeerType != "observer":
		return bad("peerType", c.PeerType, "want participant or observer")
	}
	for _, qs := range c.Servers {
		key := "server." + strconv.FormatInt(qs.ID, 10)
		if qs.QuorumPort <= 0 || qs.QuorumPort > 65535 || qs.ElectionPort <= 0 || qs.ElectionPort > 65535 {
			return bad(key, fmt.Sprintf("%s:%d:%d", qs.Host, qs.QuorumPort, qs.ElectionPort), "want quorum and election ports 1-65535")
		}
	}
	return nil
}

func checkPort(v string) error {
	_, err := parsePort(v)
	return err
}

func checkPositive(v string) error {
	_, err := parsePositive(v)
	return err
}

func checkNonNegative(v string) error {
	_, err := parseNonNegative(v)
	return err
}

// checkStrictBool accepts only true or false (any case) for a security
// switch: Java's Boolean.parseBoolean reads a typo such as "ture" as
// false, which would turn the protection off without a word.
func checkStrictBool(v string) error {
	if strings.EqualFold(v, "true") || strings.EqualFold(v, "false") {
		return nil
	}
	return errors.New("want true or false")
}

// checkClientAuth accepts X509Util's ClientAuth values (empty: need).
func checkClientAuth(v string) error {
	switch strings.ToLower(v) {
	case "", "need", "want", "none":
		return nil
	}
	return errors.New("want need, want or none")
}

// checkStoreType accepts KeyStoreFileType's names (empty: from the file
// name's extension).
func checkStoreType(v string) error {
	switch strings.ToUpper(v) {
	case "", "JKS", "PEM", "PKCS12", "BCFKS":
		return nil
	}
	return errors.New("want JKS, PEM, PKCS12 or BCFKS")
}
