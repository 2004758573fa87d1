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
	"github.com/zkit-go/zkit/internal/proto"
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
)

// ErrStarted reports a second Start.
var ErrStarted = errors.New("server: already started")

// Server is a ZooKeeper-compatible server.
type Server struct {
	cfg    Config
	engine *engine.Engine
	db     *zkdb.DB

	mu      sync.Mutex // guards started, addr and ops
	started bool
	addr    net.Addr
	ready   chan struct{}

	opsCfg    opsConfig   // admin and metrics endpoints, from Properties
	ops       *opsServers // running endpoints; nil before Start
	closeOnce sync.Once
}

// New validates cfg and prepares a server; it binds nothing.
func New(cfg Config) (*Server, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	oc, err := parseOpsConfig(c.Properties)
	if err != nil {
		return nil, err
	}
	if len(c.Servers) > 1 {
		return nil, errors.New("server: ensembles (more than one server.N line) are not supported yet")
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
	preAlloc, err := propInt(c.Properties, "preAllocSize", 0)
	if err != nil {
		return nil, err
	}
	snapSizeKB, err := propInt(c.Properties, "snapSizeLimitInKb", 0)
	if err != nil {
		return nil, err
	}
	db, err := zkdb.Open(zkdb.Config{
		FS:                 c.FS,
		DataDir:            c.DataDir,
		DataLogDir:         c.DataLogDir,
		NoSync:             !c.ForceSync,
		SnapCount:          c.SnapCount,
		SnapSizeLimit:      int64(snapSizeKB) * 1024,
		Compression:        c.Properties["snapshot.compression.method"],
		PreAllocSize:       int64(preAlloc) * 1024,
		TrustEmptySnapshot: strings.EqualFold(c.Properties["snapshot.trust.empty"], "true"),
		TreeOptions:        treeOpts,
		Logger:             c.Logger,
	})
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	e, err := engine.New(engine.Config{
		Tree:                   db.Tree,
		Sessions:               db.Sessions,
		Log:                    db,
		TickTime:               c.TickTime,
		MinSessionTimeout:      c.MinSessionTimeout,
		MaxSessionTimeout:      c.MaxSessionTimeout,
		MaxBuffer:              c.JuteMaxBuffer,
		MaxClientCnxns:         c.MaxClientCnxns,
		FourLetterWords:        c.FourLetterWords,
		ExtendedTypesEnabled:   c.ExtendedTypesEnabled,
		SkipACL:                c.SkipACL,
		SuperDigest:            c.SuperDigest,
		ServerID:               c.ServerID,
		ContainerCheckInterval: c.ContainerCheckInterval,
		ContainerMaxPerMinute:  c.ContainerMaxPerMinute,
		Logger:                 c.Logger,
		Info: engine.ServerInfo{
			ClientPort: c.ClientPort,
			DataDir:    c.DataDir,
			DataLogDir: c.DataLogDir,
		},
	})
	if err != nil {
		db.Close()
		return nil, err
	}
	return &Server{cfg: c, engine: e, db: db, ready: make(chan struct{}), opsCfg: oc}, nil
}

// Start binds the client port and starts serving.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return ErrStarted
	}
	addr := net.JoinHostPort(s.cfg.ClientPortAddress, strconv.Itoa(s.cfg.ClientPort))
	ln, err := s.cfg.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("server: listen on %s: %w", addr, err)
	}
	if err := s.engine.Start(ln); err != nil {
		return err
	}
	ops, err := startOps(s.cfg, s.opsCfg, s.engine)
	if err != nil {
		s.engine.Close()
		return err
	}
	s.ops = ops
	s.db.StartSnapshotter(s.snapshotSource, s.cfg.PurgeInterval, s.cfg.SnapRetainCount)
	s.started = true
	s.addr = ln.Addr()
	s.cfg.Logger.Info("serving", "addr", s.addr.String(), "mode", string(RoleStandalone))
	close(s.ready)
	return nil
}

// Config returns the server's configuration, with defaults filled in.
func (s *Server) Config() Config { return s.cfg }

// Ready is closed once the server serves clients.
func (s *Server) Ready() <-chan struct{} { return s.ready }

// Addr returns the client listener's address, or nil before Start.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// Role returns the server's current role.
func (s *Server) Role() Role { return Role(s.engine.Mode()) }

// Close stops the server and waits for all its goroutines. It is
// idempotent and returns the fatal error that stopped the server, if any.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		ops := s.ops
		s.mu.Unlock()
		ops.close()
	})
	err := s.engine.Close()
	if cerr := s.db.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("server: closing txn log: %w", cerr)
	}
	return err
}

// snapshotSource is what a snapshot writes: the committed sessions and the
// applied tree, walked fuzzily while writes go on; the tree digest is read
// after the walk, as ZooKeeper writes it after the nodes.
func (s *Server) snapshotSource() (*snapshot.Source, int64) {
	sessions, zxid := s.engine.SnapshotState()
	tree := s.engine.Tree()
	digest := &snapshot.ZxidDigest{}
	src := &snapshot.Source{Sessions: sessions}
	if s.cfg.DigestEnabled {
		src.Digest = digest
	}
	src.Tree = digestAfterWalk{Tree: zkdb.SnapshotTree(tree), tree: tree, digest: digest}
	return src, zxid
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

func propInt(props map[string]string, key string, def int) (int, error) {
	v, ok := props[key]
	if !ok {
		return def, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 0 {
		return 0, &ConfigError{Key: key, Value: v, Err: errors.New("want a non-negative integer")}
	}
	return n, nil
}

// Done is closed when the server has stopped, by Close or by a fatal error.
func (s *Server) Done() <-chan struct{} { return s.engine.Done() }

// Err returns the fatal error that stopped the server, if any.
func (s *Server) Err() error { return s.engine.Err() }

// ExpireSession ends a session as if it had timed out. Tests use it to
// exercise session loss.
func (s *Server) ExpireSession(id int64) { s.engine.ExpireSession(id) }

// FourLetterWord returns a four-letter word's output, whitelisted or not.
func (s *Server) FourLetterWord(cmd string) string { return s.engine.FourLetterWord(cmd) }
