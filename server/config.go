package server

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/zkit-go/zkit/internal/javaprops"
	"github.com/zkit-go/zkit/internal/members"
	"github.com/zkit-go/zkit/internal/vfs"
)

// Config configures a Server. Build one by hand, start from DefaultConfig,
// or read a zoo.cfg with ParseConfig. New never modifies the caller's Config.
type Config struct {
	// TickTime is ZooKeeper's basic time unit (tickTime, ms in zoo.cfg).
	TickTime time.Duration
	// DataDir holds snapshots (DataDir/version-2) and myid.
	DataDir string
	// DataLogDir holds the txn log (DataLogDir/version-2); empty means DataDir.
	DataLogDir string
	// ClientPort and ClientPortAddress name the plaintext client
	// listener. As in ZooKeeper, no clientPort means no client listener:
	// ClientPort 0 with an empty ClientPortAddress (a zoo.cfg without
	// clientPort, or clientPort=0) listens nowhere, never on a random
	// port. ClientPort 0 with an address asks for an ephemeral port on
	// that address (embedders and tests: "127.0.0.1" and 0; Server.Addr
	// tells the port chosen); zoo.cfg cannot say that (clientPortAddress
	// without clientPort is an error there, as in ZooKeeper). A port with
	// an empty address listens on every interface, as ZooKeeper does. An
	// ensemble member whose server.N line carries a client address serves
	// there whatever these say.
	ClientPort        int
	ClientPortAddress string
	// MaxClientCnxns limits connections from one IP address (0: no limit).
	MaxClientCnxns int
	// MinSessionTimeout and MaxSessionTimeout bound negotiated session
	// timeouts; zero means 2 and 20 ticks.
	MinSessionTimeout time.Duration
	MaxSessionTimeout time.Duration
	// JuteMaxBuffer is the largest packet and znode payload accepted
	// (jute.maxbuffer, default 0xfffff).
	JuteMaxBuffer int
	// FourLetterWords lists the four-letter words enabled
	// (4lw.commands.whitelist); "*" enables all. srvr is always enabled.
	FourLetterWords []string
	// ExtendedTypesEnabled allows TTL nodes (extendedTypesEnabled).
	ExtendedTypesEnabled bool
	// SuperDigest is "super:<base64 sha1>" for the super user
	// (DigestAuthenticationProvider.superDigest).
	SuperDigest string
	// SkipACL turns off every permission check (skipACL=yes).
	SkipACL bool
	// ForceSync, when false, skips fsync on the txn log (forceSync=no).
	ForceSync bool
	// SnapCount is the number of txns between snapshots (snapCount).
	SnapCount int
	// SnapRetainCount and PurgeInterval configure autopurge
	// (autopurge.snapRetainCount, autopurge.purgeInterval in hours; 0 = off).
	SnapRetainCount int
	PurgeInterval   time.Duration
	// ContainerCheckInterval is how often empty containers and expired TTL
	// nodes are looked for (znode.container.checkIntervalMs).
	ContainerCheckInterval time.Duration
	// ContainerMaxPerMinute bounds container deletions per minute
	// (znode.container.maxPerMinute).
	ContainerMaxPerMinute int
	// DigestEnabled maintains ZooKeeper's tree digest (digest.enabled).
	DigestEnabled bool
	// ServerID is this member's id (dataDir/myid); 0 for a standalone server.
	ServerID int64
	// Servers lists the ensemble (server.N lines); empty for standalone.
	Servers []QuorumServer
	// InitLimit and SyncLimit are in ticks (initLimit, syncLimit).
	InitLimit int
	SyncLimit int
	// PeerType is "participant" or "observer" (peerType).
	PeerType string
	// EnforceQuota makes hard quota limits (setquota -N/-B) refuse creates
	// and setData with QUOTAEXCEEDED (enforceQuota, ZooKeeper's
	// zookeeper.enforceQuota system property; also read under that name).
	// Soft limits are only logged either way.
	EnforceQuota bool
	// LocalSessionsEnabled makes new sessions local to the member that
	// created them (localSessionsEnabled); LocalSessionsUpgradingEnabled
	// upgrades a local session to a global one when it creates an
	// ephemeral node (localSessionsUpgradingEnabled); without it such a
	// create fails with EPHEMERALONLOCALSESSION.
	LocalSessionsEnabled          bool
	LocalSessionsUpgradingEnabled bool
	// ReadOnlyModeEnabled lets an ensemble member cut off from its quorum
	// serve read-only clients (readonlymode.enabled). ZooKeeper reads only
	// the JVM system property; zkit also takes the zoo.cfg key.
	ReadOnlyModeEnabled bool
	// ReconfigEnabled allows dynamic reconfiguration (reconfigEnabled,
	// default false as in ZooKeeper): the reconfig op, zkCli's reconfig.
	ReconfigEnabled bool
	// StandaloneDisabled is standaloneEnabled=false: a configuration with
	// one server line runs as a one-voter ensemble (a leader of itself)
	// rather than a standalone server, so reconfig can grow it, and a
	// reconfig may leave a single voter. The zero value is ZooKeeper's
	// default, standaloneEnabled=true.
	StandaloneDisabled bool
	// DynamicConfigFile is the dynamicConfigFile key: a file of server.N
	// lines and a version line, read by ParseConfig into Servers and
	// ConfigVersion.
	DynamicConfigFile string
	// ConfigVersion is the configuration's version (0 for a static one).
	ConfigVersion int64
	// ConfigPath is the zoo.cfg ParseConfig read; activated configurations
	// are written next to it as <ConfigPath>.dynamic.<version hex>.
	ConfigPath string
	// Properties holds every key of the zoo.cfg, known or not, as ZooKeeper
	// turns unknown keys into zookeeper.* system properties.
	Properties map[string]string

	// FS is the filesystem the data and log directories live on; nil means
	// the operating system's. Tests inside the module use it to simulate
	// crashes that lose unsynced bytes and to inject write errors.
	FS vfs.FS

	// Logger receives the server's logs; nil means slog.Default().
	Logger *slog.Logger
	// Listen opens listeners; nil means net.Listen. Tests use it to
	// interpose on the network.
	Listen func(network, address string) (net.Listener, error)
	// Dial opens connections to other members; nil means a net.Dialer.
	Dial func(network, address string, timeout time.Duration) (net.Conn, error)
}

// servesClients reports whether the configuration names a plaintext client
// listener (see ClientPort).
func (c Config) servesClients() bool { return c.ClientPort != 0 || c.ClientPortAddress != "" }

// QuorumServer is one server.N line of zoo.cfg.
type QuorumServer struct {
	ID            int64
	Host          string
	QuorumPort    int
	ElectionPort  int
	Observer      bool
	ClientAddress string // host:port, or "" when the line has none
}

// DefaultConfig is the embedded configuration `zkit server` uses without a
// zoo.cfg: standalone on 127.0.0.1:2181, data under ./data, tickTime 2000,
// and every four-letter word enabled (it only listens on loopback).
func DefaultConfig() Config {
	return Config{
		TickTime:               2000 * time.Millisecond,
		DataDir:                "data",
		ClientPort:             2181,
		ClientPortAddress:      "127.0.0.1",
		MaxClientCnxns:         60,
		JuteMaxBuffer:          0xfffff,
		FourLetterWords:        []string{"*"},
		ForceSync:              true,
		SnapCount:              100000,
		SnapRetainCount:        3,
		ContainerCheckInterval: time.Minute,
		ContainerMaxPerMinute:  10000,
		DigestEnabled:          true,
		InitLimit:              10,
		SyncLimit:              5,
		PeerType:               "participant",
		// The embedded configuration runs no AdminServer (ZooKeeper's
		// default is on, at 0.0.0.0:8080; a zoo.cfg gets that default).
		Properties: map[string]string{"admin.enableServer": "false"},
	}
}

// ConfigError names the zoo.cfg key that holds a bad value.
type ConfigError struct {
	Key   string
	Value string
	Err   error

	hideValue bool // an unknown key's value may be a secret: not shown
}

func (e *ConfigError) Error() string {
	if e.hideValue {
		return fmt.Sprintf("server: config %s: %v", e.Key, e.Err)
	}
	v := e.Value
	if secretKey(e.Key) && v != "" {
		v = "(hidden)"
	}
	return fmt.Sprintf("server: config %s=%q: %v", e.Key, v, e.Err)
}

// secretKey reports a key whose value must not appear in messages.
func secretKey(k string) bool {
	k = strings.ToLower(k)
	return strings.Contains(k, "password") || strings.Contains(k, "superdigest") ||
		strings.Contains(k, "secret")
}

func (e *ConfigError) Unwrap() error { return e.Err }

// ParseConfig reads a zoo.cfg. Keys keep ZooKeeper's names and meanings;
// unknown keys are kept in Properties (ZooKeeper makes them system
// properties) for Config.Check to report; a bad value is a *ConfigError
// naming the key. A relative
// dataDir is taken relative to the working directory, as ZooKeeper does.
// If dataDir/myid exists it sets ServerID.
func ParseConfig(path string) (Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return Config{}, fmt.Errorf("server: %w", err)
	}
	defer f.Close()
	keys, props, err := javaprops.Parse(f)
	if err != nil {
		return Config{}, fmt.Errorf("server: %s: %w", path, err)
	}
	cfg := DefaultConfig()
	cfg.DataDir = ""
	cfg.ClientPort = 0
	cfg.ClientPortAddress = ""
	cfg.TickTime = 3000 * time.Millisecond // ZooKeeper's default when the key is absent
	cfg.FourLetterWords = nil
	cfg.Properties = props
	st := parseState{minTimeout: -1, maxTimeout: -1}
	for _, k := range keys {
		v := strings.TrimSpace(props[k])
		if err := cfg.setField(k, v, &st); err != nil {
			return Config{}, &ConfigError{Key: k, Value: v, Err: err}
		}
	}
	if cfg.DataDir == "" {
		return Config{}, errors.New("server: config: dataDir is not set")
	}
	cfg.ConfigPath = path
	if cfg.DynamicConfigFile != "" {
		if err := readDynamicConfig(&cfg); err != nil {
			return Config{}, err
		}
	}
	if cfg.ClientPort == 0 && cfg.ClientPortAddress != "" {
		return Config{}, errors.New("server: config: clientPortAddress is set but clientPort is not set")
	}
	if st.minTimeout != -1 {
		cfg.MinSessionTimeout = time.Duration(st.minTimeout) * time.Millisecond
	}
	if st.maxTimeout != -1 {
		cfg.MaxSessionTimeout = time.Duration(st.maxTimeout) * time.Millisecond
	}
	if b, err := os.ReadFile(filepath.Join(cfg.DataDir, "myid")); err == nil {
		line := strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0])
		id, err := strconv.ParseInt(line, 10, 64)
		if err != nil {
			return Config{}, fmt.Errorf("server: config: %s/myid: %q is not a server id", cfg.DataDir, line)
		}
		cfg.ServerID = id
	}
	return cfg, nil
}

// parseState is what setField collects across keys before ParseConfig
// combines it.
type parseState struct {
	minTimeout, maxTimeout int // ms; -1 when absent
}

// setField sets the Config field a zoo.cfg key (or, through
// ApplySystemProperties, a system property) names. Keys without a field
// are left to Properties. v is trimmed.
func (cfg *Config) setField(k, v string, st *parseState) error {
	var err error
	switch k {
	case "tickTime":
		var ms int
		if ms, err = parsePositive(v); err == nil {
			cfg.TickTime = time.Duration(ms) * time.Millisecond
		}
	case "dataDir":
		cfg.DataDir = v
	case "dataLogDir":
		cfg.DataLogDir = v
	case "clientPort":
		cfg.ClientPort, err = parsePort(v)
	case "clientPortAddress":
		cfg.ClientPortAddress = v
	case "maxClientCnxns":
		cfg.MaxClientCnxns, err = parseNonNegative(v)
	case "minSessionTimeout":
		st.minTimeout, err = strconv.Atoi(v)
	case "maxSessionTimeout":
		st.maxTimeout, err = strconv.Atoi(v)
	case "jute.maxbuffer":
		cfg.JuteMaxBuffer, err = parsePositive(v)
	case "4lw.commands.whitelist":
		cfg.FourLetterWords = splitList(v)
	case "extendedTypesEnabled":
		cfg.ExtendedTypesEnabled, err = parseBool(v)
	case "DigestAuthenticationProvider.superDigest":
		if !strings.Contains(v, ":") {
			err = errors.New(`want "super:<base64 sha1 digest>"`)
		}
		cfg.SuperDigest = v
	case "skipACL":
		cfg.SkipACL = v == "yes" || v == "true"
	case "forceSync":
		cfg.ForceSync = v != "no"
	case "snapCount":
		cfg.SnapCount, err = parsePositive(v)
	case "autopurge.snapRetainCount":
		cfg.SnapRetainCount, err = strconv.Atoi(v)
		if err == nil && cfg.SnapRetainCount < 3 {
			cfg.SnapRetainCount = 3 // ZooKeeper's minimum
		}
	case "autopurge.purgeInterval":
		var h int
		if h, err = strconv.Atoi(v); err == nil {
			cfg.PurgeInterval = time.Duration(max(h, 0)) * time.Hour
		}
	case "znode.container.checkIntervalMs":
		var ms int
		if ms, err = parsePositive(v); err == nil {
			cfg.ContainerCheckInterval = time.Duration(ms) * time.Millisecond
		}
	case "znode.container.maxPerMinute":
		cfg.ContainerMaxPerMinute, err = parsePositive(v)
	case "digest.enabled":
		cfg.DigestEnabled, err = parseBool(v)
	case "initLimit":
		cfg.InitLimit, err = parsePositive(v)
	case "syncLimit":
		cfg.SyncLimit, err = parsePositive(v)
	case "peerType":
		switch strings.ToLower(v) {
		case "participant", "observer":
			cfg.PeerType = strings.ToLower(v)
		default:
			err = errors.New("want participant or observer")
		}
	case "enforceQuota", "zookeeper.enforceQuota":
		// Java's Boolean.parseBoolean: anything but "true" is false.
		cfg.EnforceQuota = strings.EqualFold(v, "true")
	case "localSessionsEnabled":
		cfg.LocalSessionsEnabled, err = parseBool(v)
	case "localSessionsUpgradingEnabled":
		cfg.LocalSessionsUpgradingEnabled, err = parseBool(v)
	case "reconfigEnabled":
		cfg.ReconfigEnabled, err = parseBool(v)
	case "standaloneEnabled":
		var on bool
		on, err = parseBool(v)
		cfg.StandaloneDisabled = !on
	case "dynamicConfigFile":
		cfg.DynamicConfigFile = v
	case "readonlymode.enabled", "zookeeper.readonlymode.enabled":
		cfg.ReadOnlyModeEnabled = strings.EqualFold(v, "true")
	case "electionAlg":
		if v != "3" {
			err = errors.New("only 3 is supported")
		}
	default:
		if strings.HasPrefix(k, "server.") {
			var qs QuorumServer
			if qs, err = parseQuorumServer(k, v); err == nil {
				cfg.Servers = append(cfg.Servers, qs)
			}
		}
	}
	return err
}

// parseQuorumServer parses a server.N line (package members owns the
// syntax and its checks).
func parseQuorumServer(key, v string) (QuorumServer, error) {
	m, err := members.ParseLine(key, v)
	if err != nil {
		return QuorumServer{}, err
	}
	return quorumServerOf(m), nil
}

// Line is the server.N line as Java prints it: the role always named,
// an IPv6 host in brackets, the client address when the line has one.
func (qs QuorumServer) Line() string { return qs.member().Format() }

// member is qs as package members (and the quorum peer) holds it.
func (qs QuorumServer) member() members.Member {
	return members.Member{ID: qs.ID, Host: qs.Host, QuorumPort: qs.QuorumPort,
		ElectionPort: qs.ElectionPort, Observer: qs.Observer, ClientAddr: qs.ClientAddress}
}

func quorumServerOf(m members.Member) QuorumServer {
	return QuorumServer{ID: m.ID, Host: m.Host, QuorumPort: m.QuorumPort,
		ElectionPort: m.ElectionPort, Observer: m.Observer, ClientAddress: m.ClientAddr}
}

func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func parseBool(v string) (bool, error) {
	switch strings.ToLower(v) {
	case "true", "yes":
		return true, nil
	case "false", "no":
		return false, nil
	}
	return false, errors.New("want true or false")
}

func parsePositive(v string) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return 0, errors.New("want a positive integer")
	}
	return n, nil
}

func parseNonNegative(v string) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, errors.New("want a non-negative integer")
	}
	return n, nil
}

func parsePort(v string) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > 65535 {
		return 0, errors.New("want a port number 0-65535")
	}
	return n, nil
}

// withDefaults returns a copy of c with zero values filled in and checks
// the combination.
func (c Config) withDefaults() (Config, error) {
	d := DefaultConfig()
	if c.TickTime <= 0 {
		c.TickTime = d.TickTime
	}
	if c.MinSessionTimeout <= 0 {
		c.MinSessionTimeout = 2 * c.TickTime
	}
	if c.MaxSessionTimeout <= 0 {
		c.MaxSessionTimeout = 20 * c.TickTime
	}
	if c.MinSessionTimeout > c.MaxSessionTimeout {
		return c, fmt.Errorf("server: config: minSessionTimeout %v must not be larger than maxSessionTimeout %v",
			c.MinSessionTimeout, c.MaxSessionTimeout)
	}
	if c.JuteMaxBuffer <= 0 {
		c.JuteMaxBuffer = d.JuteMaxBuffer
	}
	if c.SnapCount <= 0 {
		c.SnapCount = d.SnapCount
	}
	if c.SnapRetainCount < 3 {
		c.SnapRetainCount = 3
	}
	if c.ContainerCheckInterval <= 0 {
		c.ContainerCheckInterval = d.ContainerCheckInterval
	}
	if c.ContainerMaxPerMinute <= 0 {
		c.ContainerMaxPerMinute = d.ContainerMaxPerMinute
	}
	if c.DataDir == "" {
		return c, errors.New("server: config: dataDir is not set")
	}
	if c.DataLogDir == "" {
		c.DataLogDir = c.DataDir
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Listen == nil {
		c.Listen = net.Listen
	}
	if c.Dial == nil {
		c.Dial = func(network, address string, timeout time.Duration) (net.Conn, error) {
			return net.DialTimeout(network, address, timeout)
		}
	}
	props := make(map[string]string, len(c.Properties))
	for k, v := range c.Properties {
		props[k] = v
	}
	c.Properties = props
	c.FourLetterWords = append([]string(nil), c.FourLetterWords...)
	c.Servers = append([]QuorumServer(nil), c.Servers...)
	return c, nil
}

// readDynamicConfig reads cfg.DynamicConfigFile (QuorumPeerConfig's
// dynamic configuration): its server.N lines replace the static ones.
// As in ZooKeeper the version is the file name's hex suffix
// (zoo.cfg.dynamic.100000000), 0 without one, and the file itself must
// not carry a version line.
func readDynamicConfig(cfg *Config) error {
	f, err := os.Open(cfg.DynamicConfigFile)
	if err != nil {
		return fmt.Errorf("server: dynamicConfigFile: %w", err)
	}
	defer f.Close()
	keys, props, err := javaprops.Parse(f)
	if err != nil {
		return fmt.Errorf("server: %s: %w", cfg.DynamicConfigFile, err)
	}
	cfg.Servers = nil
	cfg.ConfigVersion = versionFromFilename(cfg.DynamicConfigFile)
	for _, k := range keys {
		v := strings.TrimSpace(props[k])
		switch {
		case k == "version":
			return fmt.Errorf("server: %s: a dynamic configuration file must not have a version line (its name carries the version)", cfg.DynamicConfigFile)
		case strings.HasPrefix(k, "server."):
			qs, err := parseQuorumServer(k, v)
			if err != nil {
				return &ConfigError{Key: k, Value: v, Err: err}
			}
			cfg.Servers = append(cfg.Servers, qs)
		}
	}
	return nil
}

// versionFromFilename is the hex number after a file name's last dot, or
// 0 (QuorumPeerConfig.getVersionFromFilename).
func versionFromFilename(name string) int64 {
	i := strings.LastIndexByte(name, '.')
	if i < 0 {
		return 0
	}
	n, err := strconv.ParseUint(name[i+1:], 16, 64)
	if err != nil {
		return 0
	}
	return int64(n)
}
