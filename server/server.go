package server

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"sync"

	"github.com/zkit-go/zkit/internal/engine"
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
	if err := os.MkdirAll(c.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("server: dataDir: %w", err)
	}
	e, err := engine.New(engine.Config{
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
		return nil, err
	}
	return &Server{cfg: c, engine: e, ready: make(chan struct{}), opsCfg: oc}, nil
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
	s.started = true
	s.addr = ln.Addr()
	s.cfg.Logger.Info("serving", "addr", s.addr.String(), "mode", string(RoleStandalone))
	close(s.ready)
	return nil
}

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
	return s.engine.Close()
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
