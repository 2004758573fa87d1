package server

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/zkit-go/zkit/internal/datatree"
	"github.com/zkit-go/zkit/internal/engine"
	"github.com/zkit-go/zkit/internal/members"
	"github.com/zkit-go/zkit/internal/proto"
	"github.com/zkit-go/zkit/internal/quorum"
	"github.com/zkit-go/zkit/internal/snapshot"
	"github.com/zkit-go/zkit/internal/zkdb"
)

// Role is a server's part in its ensemble.
type Role string

// Roles, as srvr's Mode line shows them.
const (
	RoleStandalone Role = "standalone"
	RoleLeader     Role = "leader"
	RoleFollower   Role = "follower"
	RoleObserver   Role = "observer"
	// RoleLooking is an ensemble member electing a leader; it serves no
	// clients meanwhile.
	RoleLooking Role = "looking"
	// RoleReadOnly is an ensemble member without a quorum serving
	// read-only clients (readonlymode.enabled).
	RoleReadOnly Role = "read-only"
)

// ErrStarted reports a second Start.
var ErrStarted = errors.New("server: already started")

// Server is a ZooKeeper-compatible server: standalone, or a member of an
// ensemble when its configuration lists more than one server.N.
type Server struct {
	cfg Config
	db  *zkdb.DB

	engine *engine.Engine // standalone
	peer   *quorum.Peer   // ensemble member

	clientTLS *clientTLS // the client port's TLS setup (tls.go)

	mu        sync.Mutex // guards started, addr and ops
	started   bool
	addr      net.Addr
	opsCfg    opsConfig   // admin and metrics endpoints, from Properties
	ops       *opsServers // running endpoints; nil before Start
	ready     chan struct{}
	done      chan struct{} // ensemble: closed by Close
	closeOnce sync.Once
	closeErr  error
}

// New validates cfg, restores the database and prepares a server; it binds
// nothing.
func New(cfg Config) (*Server, error) {
	v, err := validate(cfg)
	if err != nil {
		return nil, err
	}
	c, oc, ensemble, ct := v.cfg, v.ops, v.ensemble, v.clientTLS
	for _, n := range v.notes {
		n.log(c.Logger)
	}
	if c.FS == nil {
		if err := os.MkdirAll(c.DataDir, 0o755); err != nil {
			return nil, fmt.Errorf("server: dataDir: %w", err)
		}
	}
	treeOpts := []datatree.Option{
		datatree.WithExtendedTypes(c.ExtendedTypesEnabled),
		datatree.WithDigest(c.DigestEnabled),
	}
	compression, _ := c.Property("snapshot.compression.method")
	trustEmpty, _ := c.Property("snapshot.trust.empty")
	db, err := zkdb.Open(zkdb.Config{
		FS:                 c.FS,
		DataDir:            c.DataDir,
		DataLogDir:         c.DataLogDir,
		NoSync:             !c.ForceSync,
		SnapCount:          c.SnapCount,
		SnapSizeLimit:      int64(v.snapSizeKB) * 1024,
		Compression:        compression,
		PreAllocSize:       int64(v.preAllocKB) * 1024,
		TrustEmptySnapshot: strings.EqualFold(trustEmpty, "true"),
		TreeOptions:        treeOpts,
		Logger:             c.Logger,
	})
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	ec := engine.Config{
		TickTime:               c.TickTime,
		MinSessionTimeout:      c.MinSessionTimeout,
		MaxSessionTimeout:      c.MaxSessionTimeout,
		MaxBuffer:              c.JuteMaxBuffer,
		MaxClientCnxns:         c.MaxClientCnxns,
		FourLetterWords:        c.FourLetterWords,
		ExtendedTypesEnabled:   c.ExtendedTypesEnabled,
		SkipACL:                c.SkipACL,
		SuperDigest:            c.SuperDigest,
		Auth:                   v.clientAuth,
		ServerID:               c.ServerID,
		ContainerCheckInterval: c.ContainerCheckInterval,
		ContainerMaxPerMinute:  c.ContainerMaxPerMinute,
		EnforceQuota:           c.EnforceQuota,
		LocalSessions:          c.LocalSessionsEnabled,
		LocalSessionsUpgrading: c.LocalSessionsEnabled && c.LocalSessionsUpgradingEnabled,
		SessionlessCnxnTimeout: v.sessionless,
		Logger:                 c.Logger,
		Info: engine.ServerInfo{
			ClientPort: clientPortShown(c),
			DataDir:    c.DataDir,
			DataLogDir: c.DataLogDir,
		},
	}
	ec.X509, ec.Info.SecureClientPort = ct.x509, ct.securePort
	s := &Server{cfg: c, db: db, ready: make(chan struct{}), done: make(chan struct{}), opsCfg: oc, clientTLS: ct}
	if ensemble {
		ms := make([]members.Member, len(c.Servers))
		for i, qs := range c.Servers {
			ms[i] = qs.member()
		}
		qc := quorum.Config{
			ID:        c.ServerID,
			Members:   ms,
			TickTime:  c.TickTime,
			InitLimit: c.InitLimit,
			SyncLimit: c.SyncLimit,
			DB:        db,
			Engine:    ec,
			Listen:    c.Listen,
			Dial:      c.Dial,
			Logger:    c.Logger,
			Security:  v.quorumSecurity,

			ReadOnlyMode:        c.ReadOnlyModeEnabled,
			ReconfigEnabled:     c.ReconfigEnabled,
			SingleVoterAllowed:  c.StandaloneDisabled,
			ConfigVersion:       c.ConfigVersion,
			DynamicConfigPrefix: c.ConfigPath,
		}
		if c.ConfigPath != "" {
			qc.ConfigWritten = func(dynamicFile string, clientInLine bool) error {
				return editStaticConfig(c.ConfigPath, dynamicFile, clientInLine)
			}
		}
		s.peer, err = quorum.New(qc)
		if err != nil {
			db.Close()
			return nil, fmt.Errorf("server: %w", err)
		}
		return s, nil
	}
	ec.Tree, ec.Sessions, ec.Log = db.Tree, db.Sessions, db
	s.engine, err = engine.New(ec)
	if err != nil {
		db.Close()
		return nil, err
	}
	db.AttachMetrics(s.engine.Metrics())
	return s, nil
}

// checkEnsemble checks an ensemble member's configuration and takes its
// client address from its server line when the line has one.
func checkEnsemble(c *Config) error {
	if c.ServerID == 0 {
		return errors.New("server: config: an ensemble member needs its id in dataDir/myid")
	}
	var me *QuorumServer
	for i := range c.Servers {
		if c.Servers[i].ID == c.ServerID {
			me = &c.Servers[i]
		}
	}
	if me == nil {
		return fmt.Errorf("server: config: myid %d is not among the server.N lines", c.ServerID)
	}
	if me.ClientAddress != "" {
		host, port, err := net.SplitHostPort(me.ClientAddress)
		if err != nil {
			return fmt.Errorf("server: config: server.%d client address: %w", me.ID, err)
		}
		c.ClientPortAddress = host
		if host == "0.0.0.0" {
			c.ClientPortAddress = ""
		}
		c.ClientPort, _ = strconv.Atoi(port)
	}
	if (me.Observer && c.PeerType != "observer") || (!me.Observer && c.PeerType == "observer") {
		return fmt.Errorf("server: config: peerType=%s does not match the server.%d line", c.PeerType, me.ID)
	}
	return nil
}

// Start binds the client port and starts serving (an ensemble member
// serves once it has a leader and is in sync).
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return ErrStarted
	}
	ln, err := s.listenClients()
	if err != nil {
		return err
	}
	if s.peer != nil {
		if s.cfg.ReconfigEnabled && s.cfg.ConfigPath != "" && s.cfg.DynamicConfigFile == "" {
			// The membership is still in the zoo.cfg, which the first
			// activated configuration rewrites: keep a copy, as ZooKeeper
			// does at every such start.
			if err := backupStaticConfig(s.cfg.ConfigPath); err != nil {
				ln.Close()
				return fmt.Errorf("server: back up %s: %w", s.cfg.ConfigPath, err)
			}
		}
		if err := s.peer.Start(ln); err != nil {
			ln.Close()
			return err
		}
		ops, err := startOps(s.cfg, s.opsCfg, s.currentEngine)
		if err != nil {
			s.peer.Close()
			return err
		}
		s.ops = ops
		s.db.StartSnapshotter(s.peerSnapshotSource, s.cfg.PurgeInterval, s.cfg.SnapRetainCount)
		s.started = true
		s.addr = listenerAddr(ln)
		s.cfg.Logger.Info("ensemble member started", "addr", addrString(s.addr), "myid", s.cfg.ServerID)
		go func() {
			select {
			case <-s.peer.Ready():
				close(s.ready)
			case <-s.done:
			}
		}()
		return nil
	}
	if err := s.engine.Start(ln); err != nil {
		return err
	}
	ops, err := startOps(s.cfg, s.opsCfg, s.currentEngine)
	if err != nil {
		s.engine.Close()
		return err
	}
	s.ops = ops
	s.db.StartSnapshotter(s.snapshotSource, s.cfg.PurgeInterval, s.cfg.SnapRetainCount)
	s.started = true
	s.addr = listenerAddr(ln)
	s.cfg.Logger.Info("serving", "addr", addrString(s.addr), "mode", string(RoleStandalone))
	close(s.ready)
	return nil
}

// clientPortShown is conf's clientPort: -1 without a client listener, as
// ZooKeeperServer.getClientPort answers.
func clientPortShown(c Config) int {
	if !c.servesClients() {
		return -1
	}
	return c.ClientPort
}

// clientListener binds the client port, or returns a listener that never
// accepts when no client port is configured (see Config.ClientPort).
func (s *Server) clientListener() (net.Listener, error) {
	if !s.cfg.servesClients() {
		s.cfg.Logger.Info("no clientPort configured: not listening for plaintext clients")
		return newIdleListener(), nil
	}
	addr := net.JoinHostPort(s.cfg.ClientPortAddress, strconv.Itoa(s.cfg.ClientPort))
	ln, err := s.cfg.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("server: listen on %s: %w", addr, err)
	}
	return ln, nil
}

// Config returns the server's configuration, with defaults filled in.
func (s *Server) Config() Config { return s.cfg }

// Ready is closed once the server serves clients.
func (s *Server) Ready() <-chan struct{} { return s.ready }

// Addr returns the client listener's address, or nil before Start and
// when no client port is configured.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// Role returns the server's current role.
func (s *Server) Role() Role {
	if s.peer == nil {
		return RoleStandalone
	}
	switch s.peer.State() {
	case quorum.Leader:
		return RoleLeader
	case quorum.Follower:
		return RoleFollower
	case quorum.Observer:
		return RoleObserver
	case quorum.ReadOnly:
		return RoleReadOnly
	}
	return RoleLooking
}

// Close stops the server and waits for all its goroutines. It is
// idempotent and returns the fatal error that stopped the server, if any.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		ops := s.ops
		s.mu.Unlock()
		ops.close()
		var err error
		if s.peer != nil {
			err = s.peer.Close()
			close(s.done)
		} else {
			err = s.engine.Close()
		}
		if cerr := s.db.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("server: closing txn log: %w", cerr)
		}
		s.closeErr = err
	})
	return s.closeErr
}

// Done is closed when the server has stopped, by Close or by a fatal error.
func (s *Server) Done() <-chan struct{} {
	if s.peer != nil {
		return s.done
	}
	return s.engine.Done()
}

// Err returns the fatal error that stopped the server, if any.
func (s *Server) Err() error {
	if s.peer != nil {
		return nil
	}
	return s.engine.Err()
}

// currentEngine is the engine serving clients now, or nil.
func (s *Server) currentEngine() *engine.Engine {
	if s.peer != nil {
		return s.peer.Engine()
	}
	return s.engine
}

// ExpireSession ends a session as if it had timed out. Tests use it to
// exercise session loss; in an ensemble only the leader can do it, and it
// reports whether this server did.
func (s *Server) ExpireSession(id int64) bool {
	e := s.currentEngine()
	if e == nil || (s.peer != nil && e.Role() != engine.RoleLeader) {
		return false
	}
	e.ExpireSession(id)
	return true
}

// FourLetterWord returns a four-letter word's output, whitelisted or not.
func (s *Server) FourLetterWord(cmd string) string {
	if e := s.currentEngine(); e != nil {
		return e.FourLetterWord(cmd)
	}
	return "This ZooKeeper instance is not currently serving requests\n"
}

// snapshotSource is what a standalone server's snapshot writes: the
// committed sessions and the applied tree, walked fuzzily while writes go
// on; the tree digest is read after the walk, as ZooKeeper writes it after
// the nodes.
// CommittedSessions returns the global sessions whose createSession txn
// has been applied here (what a snapshot records); local sessions are not
// among them. Nil while the server does not run.
func (s *Server) CommittedSessions() map[int64]int32 {
	if s.peer != nil {
		sessions, _, _ := s.peer.SnapshotState()
		return sessions
	}
	if s.engine == nil {
		return nil
	}
	sessions, _ := s.engine.SnapshotState()
	return sessions
}

func (s *Server) snapshotSource() (*snapshot.Source, int64) {
	sessions, zxid := s.engine.SnapshotState()
	return s.sourceOf(sessions, s.engine.Tree()), zxid
}

func (s *Server) peerSnapshotSource() (*snapshot.Source, int64) {
	sessions, zxid, tree := s.peer.SnapshotState()
	return s.sourceOf(sessions, tree), zxid
}

func (s *Server) sourceOf(sessions map[int64]int32, tree *datatree.Tree) *snapshot.Source {
	digest := &snapshot.ZxidDigest{}
	src := &snapshot.Source{Sessions: sessions}
	if s.cfg.DigestEnabled {
		src.Digest = digest
	}
	src.Tree = digestAfterWalk{Tree: zkdb.SnapshotTree(tree), tree: tree, digest: digest}
	return src
}

type digestAfterWalk struct {
	snapshot.Tree
	tree   *datatree.Tree
	digest *snapshot.ZxidDigest
}

func (d digestAfterWalk) Walk(fn func(path string, data []byte, aclRef int64, stat proto.StatPersisted) error) error {
	if err := d.Tree.Walk(fn); err != nil {
		return err
	}
	zd := d.tree.LastZxidDigest()
	*d.digest = snapshot.ZxidDigest{Zxid: zd.Zxid, Version: zd.Version, Digest: zd.Digest}
	return nil
}

// TakeSnapshot writes a snapshot now and returns its file name.
func (s *Server) TakeSnapshot() (string, error) { return s.db.TakeSnapshot() }

// propInt reads a non-negative integer setting through Property (so
// both its zoo.cfg and zookeeper.* names count), def when absent.
func propInt(c Config, key string, def int) (int, error) {
	v, ok := c.Property(key)
	if !ok {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, &ConfigError{Key: key, Value: v, Err: errors.New("want a non-negative integer")}
	}
	return n, nil
}
