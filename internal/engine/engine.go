package engine

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zkit-go/zkit/internal/acl"
	"github.com/zkit-go/zkit/internal/datatree"
	"github.com/zkit-go/zkit/internal/jute"
	"github.com/zkit-go/zkit/internal/metrics"
	"github.com/zkit-go/zkit/internal/proto"
	"github.com/zkit-go/zkit/internal/session"
	"github.com/zkit-go/zkit/internal/statemachine"
)

// ErrClosed reports use of an engine after Close.
var ErrClosed = errors.New("engine: closed")

// TxnLog is where the write path makes txns durable. Append buffers a txn;
// Sync makes every appended txn durable. An error from either is fatal: the
// engine stops and acknowledges nothing further.
type TxnLog interface {
	Append(hdr *proto.TxnHeader, rec jute.Record, digest *proto.TxnDigest) error
	Sync() error
}

// MemLog is a TxnLog that keeps nothing: the tree is the only copy. It is
// the log of a server without durability.
type MemLog struct{}

func (MemLog) Append(*proto.TxnHeader, jute.Record, *proto.TxnDigest) error { return nil }
func (MemLog) AppendRaw(int64, []byte) error                                { return nil }
func (MemLog) Sync() error                                                  { return nil }

// Config configures an Engine. Zero durations take ZooKeeper's defaults.
type Config struct {
	TickTime               time.Duration
	MinSessionTimeout      time.Duration
	MaxSessionTimeout      time.Duration
	MaxBuffer              int
	MaxClientCnxns         int
	FourLetterWords        []string
	ExtendedTypesEnabled   bool
	SkipACL                bool
	SuperDigest            string
	Auth                   ClientAuth // auth providers, SASL, enforcement (sasl.go)
	ServerID               int64
	ContainerCheckInterval time.Duration
	ContainerMaxPerMinute  int
	// EnforceQuota refuses creates and setData that would exceed a hard
	// quota limit with QUOTAEXCEEDED (ZooKeeper's zookeeper.enforceQuota).
	EnforceQuota bool
	// LocalSessions makes new sessions local to this engine
	// (localSessionsEnabled); LocalSessionsUpgrading upgrades one to a
	// global session when it creates an ephemeral node
	// (localSessionsUpgradingEnabled). See local.go.
	LocalSessions          bool
	LocalSessionsUpgrading bool
	// SessionlessCnxnTimeout closes a connection that has not completed
	// its ConnectRequest (or four-letter word) this long after it was
	// accepted (zookeeper.nio.sessionlessCnxnTimeout; zero means Java's
	// 10s), so idle sockets cannot pile up even with MaxClientCnxns=0.
	SessionlessCnxnTimeout time.Duration
	// Tree and Sessions are the restored state; nil means empty. State,
	// when set, is the committed state instead, shared with the caller
	// (an ensemble member's peer, across roles): the engine applies
	// committed txns through it and seeds its session tracker from it.
	Tree     *datatree.Tree
	Sessions map[int64]int32
	State    *statemachine.Machine
	Log      TxnLog
	Logger   *slog.Logger
	// Info is shown by the conf four-letter word.
	Info ServerInfo

	// Role and Quorum make the engine an ensemble member's (see Quorum);
	// the zero Role is a standalone server. ZxidFloor is where a new
	// leader's zxids start (its epoch << 32).
	Role      Role
	Quorum    Quorum
	ZxidFloor int64

	// ReconfigEnabled is ZooKeeper's reconfigEnabled: without it the
	// reconfig op answers RECONFIGDISABLED. Reconfig computes the new
	// configuration on a leader; nil (standalone, learners) answers
	// UNIMPLEMENTED, as a standalone ZooKeeper does.
	ReconfigEnabled bool
	Reconfig        Reconfigurer

	// X509 configures the x509 scheme. A connection whose net.Conn has
	// AuthIDs() []proto.ID (a TLS client verified by server/tls.go) starts
	// with those ids after its ip id.
	X509 acl.X509Config
}

// Reconfigurer is the ensemble side of the reconfig op, called by the
// leader's prep stage (one request at a time).
type Reconfigurer interface {
	// NextConfig checks a reconfig request against the configuration last
	// seen (in-progress reconfig, curConfigId, syntax, a synced quorum of
	// the new voters) and returns the new configuration's text with
	// version zxid, or the error code to answer.
	NextConfig(req *proto.ReconfigRequest, zxid int64) ([]byte, error)
}

// ReconfigChecker is an optional side of a Reconfigurer: CheckConfig
// runs NextConfig's checks without marking a reconfig in progress, so
// that the prep stage can answer the configuration's errors before the
// caller's permission, in Java's order (PrepRequestProcessor checks WRITE
// on /zookeeper/config last).
type ReconfigChecker interface {
	CheckConfig(req *proto.ReconfigRequest) error
}

// ServerInfo describes the server for the four-letter words.
type ServerInfo struct {
	ClientPort int
	DataDir    string
	DataLogDir string
	Version    string
	ListenAddr string

	SecureClientPort int // 0: none
}

// Engine serves ZooKeeper clients from one data tree.
type Engine struct {
	cfg      Config
	log      *slog.Logger
	tree     *datatree.Tree
	sessions *session.Tracker
	local    *session.Tracker // local sessions; nil unless LocalSessions
	serverID int64
	auth     *acl.Authenticator
	// repl is where prep hands txns (see Replicator): the leader's
	// Quorum, or standalone's local log; nil on a learner (no prep).
	repl    Replicator
	fourLW  map[string]bool
	started time.Time

	// state is the committed state (tree and committed sessions) that
	// Commit applies to; tree is its tree as of New.
	state *statemachine.Machine
	// treeMu is state's lock, ordering apply against reads: apply
	// write-locks it around one txn (and the watch events it fires); reads
	// read-lock it while they read and queue their reply. See the package
	// doc for the lock order.
	treeMu *sync.RWMutex

	prepCh   chan *request
	stop     chan struct{}
	stopOnce sync.Once
	wg       sync.WaitGroup
	fatalMu  sync.Mutex
	fatal    error // guarded by fatalMu; the first fatal storage error
	done     chan struct{}

	prep prepState // owned by the prep goroutine, outstanding shared with apply

	// waitMu guards waiting, revalidating and syncs: a learner's requests
	// waiting for the leader.
	waitMu       sync.Mutex
	waiting      map[waitKey]*request
	revalidating map[int64][]*conn
	syncs        []*request

	// connsMu guards conns, bySession and perIP.
	connsMu   sync.Mutex
	conns     map[*conn]struct{}
	bySession map[int64]*conn
	perIP     map[string]int
	closed    bool // guarded by connsMu; no new goroutines after Close

	// handingOver is set by Handover: readers drop what arrives, a resume
	// waiting for the leader closes without an answer.
	handingOver atomic.Bool

	stats     stats
	metrics   *metrics.Registry
	traceMask atomic.Int64
	quotaLog  rateLog
}

// stats are the counters the four-letter words show.
type stats struct {
	received     atomic.Int64
	sent         atomic.Int64
	outstanding  atomic.Int64
	latencyMu    sync.Mutex // guards the latency fields
	latencyMin   int64
	latencyMax   int64
	latencySum   int64
	latencyCount int64

	resp       bufferStats // response sizes
	authFailed atomic.Int64

	// Registered in the metrics registry by registerMetrics.
	connRequests  *metrics.Counter
	bytesReceived *metrics.Counter
	responseBytes *metrics.Counter
	watchBytes    *metrics.Counter
	quotaExceeded *metrics.CounterSet
	readLatency   *metrics.Summary
	updateLatency *metrics.Summary
	fsyncTime     *metrics.Summary
	syncBatch     *metrics.Summary
	syncQueued    *metrics.Counter
	prepQueued    *metrics.Counter

	staleSessionsExpired  *metrics.Counter
	largeRequestsRejected *metrics.Counter
	connectionRejected    *metrics.Counter
}

func (s *stats) observe(d time.Duration) {
	ms := d.Milliseconds()
	s.latencyMu.Lock()
	if s.latencyCount == 0 || ms < s.latencyMin {
		s.latencyMin = ms
	}
	if ms > s.latencyMax {
		s.latencyMax = ms
	}
	s.latencySum += ms
	s.latencyCount++
	s.latencyMu.Unlock()
}

func (s *stats) reset() {
	s.received.Store(0)
	s.sent.Store(0)
	s.resp.reset()
	s.authFailed.Store(0)
	s.latencyMu.Lock()
	s.latencyMin, s.latencyMax, s.latencySum, s.latencyCount = 0, 0, 0, 0
	s.latencyMu.Unlock()
}

// New builds an engine over restored state. It starts nothing.
// DefaultSessionlessCnxnTimeout is NIOServerCnxnFactory's default
// zookeeper.nio.sessionlessCnxnTimeout.
const DefaultSessionlessCnxnTimeout = 10 * time.Second

func New(cfg Config) (*Engine, error) {
	if cfg.TickTime <= 0 {
		cfg.TickTime = 3 * time.Second
	}
	if cfg.MinSessionTimeout <= 0 {
		cfg.MinSessionTimeout = 2 * cfg.TickTime
	}
	if cfg.MaxSessionTimeout <= 0 {
		cfg.MaxSessionTimeout = 20 * cfg.TickTime
	}
	if cfg.MaxBuffer <= 0 {
		cfg.MaxBuffer = jute.DefaultMaxBuffer
	}
	if cfg.ContainerCheckInterval <= 0 {
		cfg.ContainerCheckInterval = time.Minute
	}
	if cfg.ContainerMaxPerMinute <= 0 {
		cfg.ContainerMaxPerMinute = 10000
	}
	if cfg.SessionlessCnxnTimeout <= 0 {
		cfg.SessionlessCnxnTimeout = DefaultSessionlessCnxnTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Log == nil {
		cfg.Log = MemLog{}
	}
	if cfg.Info.Version == "" {
		cfg.Info.Version = Version
	}
	state := cfg.State
	if state == nil {
		tree := cfg.Tree
		if tree == nil {
			tree = datatree.New(datatree.WithExtendedTypes(cfg.ExtendedTypesEnabled))
		}
		state = statemachine.New(tree, cfg.Sessions)
	}
	committed, _, tree := state.Snapshot()
	auth, err := acl.New(cfg.Auth.aclConfig(acl.Config{SuperDigest: cfg.SuperDigest, SkipACL: cfg.SkipACL, X509: cfg.X509, Logger: cfg.Logger}))
	if err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	if err := cfg.Auth.validate(auth); err != nil {
		return nil, err
	}
	serverID := cfg.ServerID
	if serverID == 0 {
		serverID = 1 // ZooKeeper's standalone session tracker uses id 1
	}
	now := time.Now().UnixMilli()
	tracker, err := session.New(session.Config{
		TickTime: int32(cfg.TickTime.Milliseconds()),
		ServerID: serverID,
		IDTimeMs: now,
		Now:      now,
	})
	if err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	for id, to := range committed {
		tracker.Add(id, to, now)
	}
	if cfg.Role == RoleReadOnly {
		// Sessions created in read-only mode are local: no txn can be
		// logged without a quorum.
		cfg.LocalSessions = true
	}
	local, err := newLocalTracker(cfg, serverID, now)
	if err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	e := &Engine{
		cfg:       cfg,
		log:       cfg.Logger,
		tree:      tree,
		state:     state,
		treeMu:    state.Lock(),
		sessions:  tracker,
		local:     local,
		serverID:  serverID,
		auth:      auth,
		fourLW:    fourLetterWhitelist(cfg.FourLetterWords),
		prepCh:    make(chan *request, 1024),
		stop:      make(chan struct{}),
		done:      make(chan struct{}),
		conns:     make(map[*conn]struct{}),
		bySession: make(map[int64]*conn),
		perIP:     make(map[string]int),
	}
	e.waiting = make(map[waitKey]*request)
	e.revalidating = make(map[int64][]*conn)
	e.prep.init(max(tree.LastProcessedZxid(), cfg.ZxidFloor))
	e.metrics = metrics.New()
	e.registerMetrics()
	e.stats.resp.reset()
	e.traceMask.Store(defaultTraceMask)
	return e, nil
}

// Start starts the pipeline goroutines and serves clients from ln until
// Close. The engine owns ln.
func (e *Engine) Start(ln net.Listener) error {
	e.started = time.Now()
	ll := newLocalLog(e, e.cfg.Log)
	e.repl = ll
	if !e.goAttach(e.prepLoop) || !e.goAttach(ll.logLoop) || !e.goAttach(ll.commitLoop) ||
		!e.goAttach(e.expiryLoop) || !e.goAttach(e.containerLoop) {
		return ErrClosed
	}
	if e.local != nil && !e.goAttach(e.localExpiryLoop) {
		return ErrClosed
	}
	if !e.goAttach(func() { e.acceptLoop(ln) }) {
		ln.Close()
		return ErrClosed
	}
	e.goAttach(func() {
		<-e.stop
		ln.Close()
	})
	return nil
}

// goAttach runs f on a goroutine the engine owns; it refuses after Close.
func (e *Engine) goAttach(f func()) bool {
	e.connsMu.Lock()
	defer e.connsMu.Unlock()
	if e.closed {
		return false
	}
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		f()
	}()
	return true
}

// Close stops serving and waits for every goroutine the engine started.
func (e *Engine) Close() error {
	e.stopOnce.Do(func() { e.finishClose(e.shutDown()) })
	return e.Err()
}

// shutDown refuses new goroutines and stops the pipeline; it returns the
// open connections, for finishClose.
func (e *Engine) shutDown() []*conn {
	e.connsMu.Lock()
	e.closed = true
	conns := make([]*conn, 0, len(e.conns))
	for c := range e.conns {
		conns = append(conns, c)
	}
	e.connsMu.Unlock()
	close(e.stop)
	return conns
}

// finishClose closes the connections and waits for every goroutine.
func (e *Engine) finishClose(conns []*conn) {
	for _, c := range conns {
		c.close()
	}
	e.wg.Wait()
	close(e.done)
}

// Done is closed once the engine has stopped.
func (e *Engine) Done() <-chan struct{} { return e.done }

// Err returns the fatal error that stopped the engine, if any.
func (e *Engine) Err() error {
	e.fatalMu.Lock()
	defer e.fatalMu.Unlock()
	return e.fatal
}

// fail records a fatal error and stops the engine without waiting for it
// (the caller may be one of the goroutines Close waits for).
func (e *Engine) fail(err error) {
	e.fatalMu.Lock()
	if e.fatal == nil {
		e.fatal = err
		e.log.Error("fatal error, stopping", "err", err)
	}
	e.fatalMu.Unlock()
	go e.Close()
}

// Tree returns the data tree (for snapshots and tests).
func (e *Engine) Tree() *datatree.Tree { return e.tree }

// Sessions returns the session tracker.
func (e *Engine) Sessions() *session.Tracker { return e.sessions }

// SnapshotState returns the committed sessions and the zxid of the last
// applied txn, consistently; a snapshot records these, then walks the tree
// (fuzzily) while writes go on.
func (e *Engine) SnapshotState() (sessions map[int64]int32, zxid int64) {
	sessions, zxid, _ = e.state.Snapshot()
	return sessions, zxid
}

// LastZxid returns the zxid of the last applied txn.
func (e *Engine) LastZxid() int64 {
	e.treeMu.RLock()
	defer e.treeMu.RUnlock()
	return e.tree.LastProcessedZxid()
}

// ExpireSession closes a session as if it had timed out (tests use it).
func (e *Engine) ExpireSession(id int64) {
	if e.isLocal(id) {
		e.local.Remove(id)
		if c := e.forgetSession(id); c != nil {
			c.close()
		}
		return
	}
	e.sessions.SetClosing(id)
	e.submit(&request{sessionID: id, op: proto.OpCloseSession, internal: true})
}

// submit hands a write to prep. It gives up if the engine stops.
func (e *Engine) submit(r *request) bool {
	select {
	case e.prepCh <- r:
		e.stats.prepQueued.Inc()
		return true
	case <-e.stop:
		return false
	}
}
