package quorum

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/zkit-go/zkit/internal/datatree"
	"github.com/zkit-go/zkit/internal/election"
	"github.com/zkit-go/zkit/internal/engine"
	"github.com/zkit-go/zkit/internal/members"
	"github.com/zkit-go/zkit/internal/proto"
	"github.com/zkit-go/zkit/internal/quorumnet"
	"github.com/zkit-go/zkit/internal/snapshot"
	"github.com/zkit-go/zkit/internal/statemachine"
	"github.com/zkit-go/zkit/internal/storage"
	"github.com/zkit-go/zkit/internal/txnlog"
	"github.com/zkit-go/zkit/internal/zab"
	"github.com/zkit-go/zkit/internal/zkdb"
)

// Config configures a peer.
type Config struct {
	ID        int64
	Members   []members.Member
	TickTime  time.Duration
	InitLimit int
	SyncLimit int
	// DB is the restored database; the peer owns it from New on.
	DB *zkdb.DB
	// Engine is the template for each role's engine: timeouts, limits,
	// four-letter words. Tree, Sessions, Log, Role, Quorum and ZxidFloor are
	// set per role.
	Engine engine.Config
	// ElectionTick is the election core's tick (default 50 ms).
	ElectionTick time.Duration
	// SingleVoterAllowed lets a reconfig leave one voter (ZooKeeper's
	// standaloneEnabled=false); otherwise it needs at least 2.
	SingleVoterAllowed bool
	// ConfigVersion is the version of Members: 0 for a static
	// configuration, the version in a dynamic configuration file's name.
	ConfigVersion int64
	// ReconfigEnabled allows the reconfig op (reconfigEnabled).
	ReconfigEnabled bool
	// DynamicConfigPrefix, when set, is where activated configurations are
	// written: <prefix>.dynamic.<version hex> (ZooKeeper: the zoo.cfg path).
	DynamicConfigPrefix string
	// ConfigWritten, when set, is called after an activated configuration
	// was written to dynamicFile, to point the static configuration at it
	// (QuorumPeerConfig.editStaticConfig); clientInLine says whether this
	// member's server line names its client address, so the static
	// clientPort keys are dropped.
	ConfigWritten func(dynamicFile string, clientInLine bool) error
	// ReadOnlyMode serves read-only clients while the peer looks for a
	// leader (readonlymode.enabled); see readOnlyDelay.
	ReadOnlyMode bool
	Listen       func(network, addr string) (net.Listener, error)
	Dial         func(network, addr string, timeout time.Duration) (net.Conn, error)
	Logger       *slog.Logger

	// Security is TLS and quorum SASL on the election and quorum ports
	// (nil: plaintext, no authentication).
	Security *quorumnet.Security
}

// ErrNotMember reports a configuration that does not list this server.
var ErrNotMember = errors.New("quorum: this server is not in the server list")

// commitLogCount is ZooKeeper's zookeeper.commitLogCount: how many
// committed txns a leader keeps in memory for DIFF syncs.
const commitLogCount = 500

// Peer is a member of an ensemble.
type Peer struct {
	cfg        Config
	log        *slog.Logger
	db         *zkdb.DB
	me         members.Member
	members    map[int64]members.Member
	voters     []int64
	observers  []int64
	configText []byte
	// cfgVersion is the configuration's version: 0 for a static
	// configuration, the zxid of the reconfig txn that made it otherwise.
	// members, voters, observers, configText and cfgVersion belong to the
	// peer loop once it runs (a committed reconfig changes them).
	cfgVersion int64

	// cfgMu guards what the leader engine's reconfig prep reads: the last
	// seen configuration (a proposed reconfig's, else the active one), the
	// active version, and the learners synced with this leader.
	cfgMu           sync.Mutex
	lastSeenMembers []members.Member
	lastSeenVersion int64
	activeVersion   int64
	syncedSet       map[int64]bool

	elecNet *quorumnet.ElectionNet
	elec    *election.Election

	ops  chan op
	stop chan struct{}
	wg   sync.WaitGroup

	stopOnce sync.Once

	// mu guards eng, state, gen and roleDone.
	mu        sync.Mutex
	eng       *engine.Engine
	state     State
	gen       int64 // the role generation; ops of older roles are dropped
	roleDone  chan struct{}
	ready     chan struct{}
	readyOnce sync.Once

	// Owned by the peer loop.
	lastLogged int64
	// designated is the next role's decision when a committed reconfig
	// named the new leader: the loop takes it instead of electing.
	designated *election.Decision
	history    []zab.Entry // the committed log tail, for DIFF
	// proposed holds a leader's proposals, typed, until they commit (see
	// propose).
	proposed map[int64]*engine.Txn
	// logged is the newest configuration of a reconfig in this member's
	// log that it has not activated (ZooKeeper's lastSeenQuorumVerifier
	// when newer than the active one), or nil. While it is set, a new
	// leader's sync needs a quorum of both configurations.
	logged *loggedConfig

	// sm is the committed state (tree and committed sessions), over
	// db.Tree: applied through by each role's engine while one serves,
	// by the peer loop otherwise; read by the snapshotter. A SNAP or TRUNC
	// sync resets it (resetState).
	sm *statemachine.Machine

	stats *roleStats // quorum statistics, reported by each role's engine
}

// SnapshotState returns the committed sessions and the last applied zxid,
// for a background snapshot.
func (p *Peer) SnapshotState() (map[int64]int32, int64, *datatree.Tree) {
	return p.sm.Snapshot()
}

// opKind says what an engine asked of the peer loop.
type opKind int

const (
	opPropose opKind = iota
	opForward
	opRevalidate
	opTouch
	opSync // a learner's sync, after the proposals prepped before it
)

type op struct {
	gen     int64
	kind    opKind
	zxid    int64
	data    []byte
	auth    []proto.ID
	session int64
	timeout int32
	from    int64       // opSync: the learner
	txn     *engine.Txn // opPropose
}

// New checks the configuration and prepares a peer; it binds nothing.
func New(cfg Config) (*Peer, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.ElectionTick <= 0 {
		cfg.ElectionTick = 50 * time.Millisecond
	}
	if cfg.InitLimit <= 0 {
		cfg.InitLimit = 10
	}
	if cfg.SyncLimit <= 0 {
		cfg.SyncLimit = 5
	}
	if cfg.Listen == nil {
		cfg.Listen = net.Listen
	}
	if cfg.Dial == nil {
		cfg.Dial = func(network, addr string, timeout time.Duration) (net.Conn, error) {
			return net.DialTimeout(network, addr, timeout)
		}
	}
	p := &Peer{
		stats:   newRoleStats(),
		cfg:     cfg,
		log:     cfg.Logger.With("myid", cfg.ID),
		db:      cfg.DB,
		members: make(map[int64]members.Member),
		ops:     make(chan op, 4096),
		stop:    make(chan struct{}),
		ready:   make(chan struct{}),
		state:   Looking,
		sm:      statemachine.New(cfg.DB.Tree, cfg.DB.Sessions),
	}
	for _, m := range cfg.Members {
		p.members[m.ID] = m
	}
	me, found := p.members[cfg.ID]
	if !found {
		return nil, fmt.Errorf("%w: myid %d", ErrNotMember, cfg.ID)
	}
	p.me = me
	mb := membership(cfg.Members)
	p.voters, p.observers = mb.Voters, mb.Observers
	p.cfgVersion = cfg.ConfigVersion
	p.lastSeenMembers = append([]members.Member(nil), cfg.Members...)
	p.lastSeenVersion, p.activeVersion = p.cfgVersion, p.cfgVersion
	p.configText = members.ConfigText(cfg.Members, p.cfgVersion)
	p.initConfigNode()
	p.lastLogged = cfg.DB.LastZxid
	hist, err := cfg.DB.History(0, commitLogCount)
	if err != nil {
		return nil, fmt.Errorf("quorum: read committed log: %w", err)
	}
	for _, e := range hist {
		p.history = append(p.history, zab.Entry{Zxid: e.Header.Zxid, Data: e.Raw})
	}
	if err := p.initEpochs(); err != nil {
		return nil, err
	}
	ticks := func(d time.Duration) int { return max(1, int(d/cfg.ElectionTick)) }
	p.elec, err = election.New(election.Config{
		ID:              cfg.ID,
		Voters:          p.voters,
		Observers:       p.observers,
		ConfigText:      p.configText,
		FinalizeWait:    ticks(200 * time.Millisecond),
		MinNotification: ticks(200 * time.Millisecond),
		MaxNotification: ticks(60 * time.Second),
	})
	if err != nil {
		return nil, fmt.Errorf("quorum: %w", err)
	}
	peers := make(map[int64]string)
	for _, m := range cfg.Members {
		if m.ID != cfg.ID {
			peers[m.ID] = m.ElectionAddr()
		}
	}
	p.elecNet = quorumnet.NewElectionNet(quorumnet.ElectionConfig{
		MyID:           cfg.ID,
		ListenAddr:     p.me.ElectionAddr(),
		Peers:          peers,
		Security:       cfg.Security,
		Listen:         cfg.Listen,
		Dial:           cfg.Dial,
		ConnectTimeout: 5 * time.Second,
		Logger:         cfg.Logger, // quorumnet adds myid itself
	})
	// A reconfig logged before a restart and not activated (ZooKeeper
	// reads it back from the .dynamic.next file).
	p.noteLogged(p.history)
	return p, nil
}

// initConfigNode writes this member's configuration into /zookeeper/config
// (ZKDatabase.initConfigInZKDatabase): at start and after a sync with the
// leader, while no engine serves.
func (p *Peer) initConfigNode() {
	p.db.Tree.InitConfig(p.configText, p.cfgVersion, time.Now().UnixMilli())
}

// Start binds the election port and runs the peer; clients are served from
// ln (owned by the peer from now on).
func (p *Peer) Start(ln net.Listener) error {
	if err := p.elecNet.Start(); err != nil {
		return fmt.Errorf("quorum: election port: %w", err)
	}
	p.wg.Add(3)
	go func() {
		defer p.wg.Done()
		p.run()
	}()
	go func() {
		defer p.wg.Done()
		p.acceptClients(ln)
	}()
	go func() {
		defer p.wg.Done()
		<-p.stop
		ln.Close()
	}()
	return nil
}

// Ready is closed the first time this peer serves clients.
func (p *Peer) Ready() <-chan struct{} { return p.ready }

// State is the peer's state: Looking (ReadOnly while looking in read-only
// mode), Leading, Following or Observing while a role syncs, then Leader,
// Follower or Observer once it serves.
func (p *Peer) State() State {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.state == Looking && p.eng != nil && p.eng.Role() == engine.RoleReadOnly {
		return ReadOnly
	}
	return p.state
}

// Engine returns the engine serving now, or nil.
func (p *Peer) Engine() *engine.Engine {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.eng
}

// Close stops the peer and waits for every goroutine it started.
func (p *Peer) Close() error {
	p.stopOnce.Do(func() {
		close(p.stop)
		p.wg.Wait()
		p.elecNet.Close()
	})
	return nil
}

func (p *Peer) stopped() bool {
	select {
	case <-p.stop:
		return true
	default:
		return false
	}
}

func (p *Peer) setState(s State) {
	p.mu.Lock()
	p.state = s
	p.mu.Unlock()
	p.log.Info("peer state", "state", s.String())
}

func (p *Peer) run() {
	for !p.stopped() {
		p.stats.unavailable()
		var dec election.Decision
		if d := p.designated; d != nil {
			p.designated = nil
			dec = *d
			p.log.Info("taking the role a reconfig designated", "leader", dec.Leader, "role", dec.Role.String())
		} else {
			var ok bool
			if dec, ok = p.lookForLeader(); !ok {
				return
			}
		}
		switch dec.Role {
		case election.Leading:
			p.lead()
		case election.Following:
			p.learn(dec.Leader, false)
		case election.Observing:
			p.learn(dec.Leader, true)
		}
	}
}

// newRole starts a role generation: ops from older engines are dropped.
func (p *Peer) newRole(state State) int64 {
	p.mu.Lock()
	p.gen++
	gen := p.gen
	p.state = state
	p.mu.Unlock()
	p.log.Info("peer state", "state", state.String())
	return gen
}

// startEngine creates and starts the engine of a role that is established.
func (p *Peer) startEngine(role engine.Role, zxidFloor int64, gen int64) (*engine.Engine, error) {
	ec := p.cfg.Engine
	ec.Tree, ec.Sessions = nil, nil
	ec.State = p.sm
	ec.Log = nil
	ec.Role = role
	rq := &roleQuorum{p: p, gen: gen, done: make(chan struct{})}
	ec.Quorum = rq
	ec.ZxidFloor = zxidFloor
	ec.ServerID = p.cfg.ID
	ec.ReconfigEnabled = p.cfg.ReconfigEnabled
	if role == engine.RoleLeader {
		ec.Reconfig = leaderReconfig{p}
	}
	eng, err := engine.New(ec)
	if err != nil {
		return nil, err
	}
	p.stats.quorumSize.Store(int64(len(p.voters)))
	p.stats.attach(eng, role)
	p.db.AttachMetrics(eng.Metrics())
	if err := eng.StartServing(); err != nil {
		eng.Close()
		return nil, err
	}
	p.mu.Lock()
	p.eng = eng
	p.roleDone = rq.done
	p.mu.Unlock()
	if role != engine.RoleReadOnly {
		p.readyOnce.Do(func() { close(p.ready) })
	}
	p.log.Info("serving clients", "role", role.String())
	return eng, nil
}

func (p *Peer) stopEngine() {
	p.proposed = nil // a leader's proposals that never committed
	p.mu.Lock()
	eng := p.eng
	p.eng = nil
	if p.roleDone != nil {
		close(p.roleDone)
		p.roleDone = nil
	}
	p.mu.Unlock()
	switch {
	case eng == nil:
	case p.stopped():
		eng.Close()
	default:
		// The role ended, the member goes on: its clients get the replies
		// already due (the reconfig that ended the role, say) before
		// their connections close.
		eng.Handover(engine.HandoverLinger)
	}
}

// resetState makes the committed state the database's after a SNAP or
// TRUNC sync replaced its tree and sessions (no engine serves then).
func (p *Peer) resetState() {
	p.sm.Reset(p.db.Tree, p.db.Sessions)
}

// commit applies committed txns: through the engine when one serves (it
// completes its clients' requests), straight to the tree during sync.
//
// A committed reconfig activates its configuration just before it is
// applied; commit reports whether the role must end for it (see
// activateConfig).
func (p *Peer) commit(eng *engine.Engine, entries []zab.Entry) error {
	_, err := p.commitLeader(eng, entries, p.cfg.ID)
	return err
}

// commitLeader is commit for a role whose leader is leader.
func (p *Peer) commitLeader(eng *engine.Engine, entries []zab.Entry, leader int64) (endRole bool, err error) {
	txns, err := p.committedTxns(entries)
	if err != nil {
		return false, err
	}
	// Activate before applying, as ZooKeeper does (Leader.tryToCommit and
	// the learners' COMMITANDACTIVATE call processReconfig before the
	// commit): applying answers the reconfig's client, and a reconfig the
	// client sends next must not find this one still in progress.
	for _, t := range txns {
		if t.Hdr.Type != proto.OpReconfig {
			continue
		}
		ms, v, err := p.reconfigOf(t)
		if err != nil {
			p.log.Error("committed reconfig does not parse", "zxid", hexZxid(t.Hdr.Zxid), "err", err)
			continue
		}
		if p.activateConfig(ms, v, leader) {
			endRole = true
		}
	}
	if err := p.applyCommitted(eng, entries, txns); err != nil {
		return false, err
	}
	return endRole, nil
}

// committedTxns returns committed entries typed: a leader's own proposals
// as its engine handed them over (p.proposed), anything else (a learner's,
// a logged tail) decoded here, once. A txn that does not decode is fatal:
// the log and the tree would part ways.
func (p *Peer) committedTxns(entries []zab.Entry) ([]*engine.Txn, error) {
	txns := make([]*engine.Txn, len(entries))
	for i, en := range entries {
		if t, ok := p.proposed[en.Zxid]; ok {
			delete(p.proposed, en.Zxid)
			txns[i] = t
			continue
		}
		t, err := statemachine.Decode(en.Data)
		if err != nil {
			return nil, fmt.Errorf("quorum: committed txn 0x%x: %w", en.Zxid, err)
		}
		txns[i] = t
	}
	return txns, nil
}

// applyCommitted applies committed txns (entries and their typed txns,
// index for index) to the committed state, which keeps the committed
// sessions too: through the engine when one serves (it completes its
// clients' requests), directly otherwise. It keeps the entries as history
// for DIFF syncs.
func (p *Peer) applyCommitted(eng *engine.Engine, entries []zab.Entry, txns []*engine.Txn) error {
	if eng != nil {
		eng.Commit(txns)
	} else {
		for _, t := range txns {
			p.sm.Apply(t)
		}
	}
	p.history = append(p.history, entries...)
	if n := len(p.history) - commitLogCount; n > 0 {
		p.history = append([]zab.Entry(nil), p.history[n:]...)
	}
	return nil
}

// propose hands a leader engine's txn to the Zab leader, keeping the typed
// txn until it commits (committedTxns), so the committed entry comes back
// decoded. The map belongs to the peer loop, and to the role: stopEngine
// drops what never committed. A reconfig is found from its typed header.
func (p *Peer) propose(core *zab.Leader, t *engine.Txn) error {
	var err error
	if t.Hdr.Type == proto.OpReconfig {
		var ms []members.Member
		var v int64
		if ms, v, err = p.reconfigOf(t); err == nil {
			next := membership(ms)
			next.Text = members.ConfigText(ms, v)
			err = core.ProposeReconfig(t.Hdr.Zxid, t.Entry, next)
		}
	} else {
		err = core.Propose(t.Hdr.Zxid, t.Entry)
	}
	if err != nil {
		return err
	}
	if p.proposed == nil {
		p.proposed = make(map[int64]*engine.Txn)
	}
	p.proposed[t.Hdr.Zxid] = t
	return nil
}

// catchUp applies the txns this member logged but never saw committed: a
// new role takes the whole log as its history (ZooKeeper reloads its
// database from disk at each role), so the tree must hold all of it. A
// reconfig among them is not activated here: a learner's may still be cut
// back by the leader's TRUNC, and a leader completes it only once a quorum
// of both configurations has synced (p.logged).
func (p *Peer) catchUp() error {
	applied := p.db.Tree.LastProcessedZxid()
	if p.lastLogged <= applied {
		return nil
	}
	es, err := p.db.History(applied, 0)
	if err != nil {
		return fmt.Errorf("quorum: read logged txns after 0x%x: %w", applied, err)
	}
	entries := make([]zab.Entry, 0, len(es))
	txns := make([]*engine.Txn, 0, len(es))
	for _, e := range es {
		entries = append(entries, zab.Entry{Zxid: e.Header.Zxid, Data: e.Raw})
		t, err := statemachine.Decode(e.Raw)
		if err != nil {
			return fmt.Errorf("quorum: logged txn 0x%x: %w", e.Header.Zxid, err)
		}
		txns = append(txns, t)
	}
	if len(entries) > 0 {
		p.log.Info("applying logged txns before the new role", "from", hexZxid(entries[0].Zxid), "to", hexZxid(entries[len(entries)-1].Zxid))
	}
	p.noteLogged(entries)
	return p.applyCommitted(nil, entries, txns)
}

// persist makes a Ready's entries and epochs durable, in zab's order.
func (p *Peer) persist(rd *zab.Ready) error {
	for _, en := range rd.Entries {
		if err := p.db.AppendRaw(en.Zxid, en.Data); err != nil {
			return err
		}
		p.lastLogged = en.Zxid
	}
	if len(rd.Entries) > 0 {
		start := time.Now()
		if err := p.db.SyncRaw(); err != nil {
			return err
		}
		p.stats.logSynced(len(rd.Entries), time.Since(start))
		p.noteLogged(rd.Entries)
	}
	st := p.db.Store()
	if rd.HasAcceptedEpoch {
		if err := st.WriteEpoch(storage.AcceptedEpochFile, rd.AcceptedEpoch); err != nil {
			return err
		}
	}
	if rd.HasCurrentEpoch {
		if err := st.WriteEpoch(storage.CurrentEpochFile, rd.CurrentEpoch); err != nil {
			return err
		}
	}
	return nil
}

// snapshotSource is the applied state, consistent because the peer loop is
// the only goroutine that applies.
func (p *Peer) snapshotSource() *snapshot.Source {
	sessions, _, tree := p.sm.Snapshot()
	return &snapshot.Source{Tree: zkdb.SnapshotTree(tree), Sessions: sessions}
}

// snapshotSizeFactor is ZooKeeper's zookeeper.snapshotSizeFactor: a
// leader syncs a learner from its txn log only while the log files to read
// are at most this fraction of its newest snapshot; beyond that a snapshot
// is cheaper to send.
const snapshotSizeFactor = 0.33

// diskHistory serves a leader's older history from the txn log.
type diskHistory struct{ db *zkdb.DB }

func (h diskHistory) From(zxid int64) []zab.Entry {
	if h.tooLarge(zxid) {
		return nil // PlanSync sends a snapshot
	}
	es, err := h.db.History(zxid-1, 0)
	if err != nil || len(es) == 0 {
		return nil
	}
	if es[0].Header.Zxid > zxid && !h.reachesBack(zxid) {
		// The log starts after the learner's last txn (this member was
		// itself synced by SNAP, or its old logs were purged): a DIFF
		// would skip everything between, so the learner (a new member
		// at zxid 0, say) gets a snapshot, as ZKDatabase.
		// getProposalsFromTxnLog refuses a log that begins after the
		// learner's zxid.
		return nil
	}
	out := make([]zab.Entry, len(es))
	for i, e := range es {
		out[i] = zab.Entry{Zxid: e.Header.Zxid, Data: e.Raw}
	}
	return out
}

// reachesBack reports whether the txn log begins at or before zxid: its
// oldest file's first txn (the zxid in its name) is not after it.
func (h diskHistory) reachesBack(zxid int64) bool {
	st := h.db.Store()
	logs, err := txnlog.List(st.FS(), st.LogDir())
	return err == nil && len(logs) > 0 && logs[0].Zxid <= zxid
}

// tooLarge is ZKDatabase.getProposalsFromTxnLog's size check: the log
// files after the one holding zxid, by file length, against
// snapshotSizeFactor times the newest snapshot's length (no snapshot: no
// limit). Like ZooKeeper it counts preallocated length, so a sync that
// needs more than one log file usually becomes a SNAP.
func (h diskHistory) tooLarge(zxid int64) bool {
	st := h.db.Store()
	fsys := st.FS()
	snaps, err := snapshot.List(fsys, st.SnapDir())
	if err != nil || len(snaps) == 0 {
		return false
	}
	fi, err := fsys.Stat(filepath.Join(st.SnapDir(), snaps[0].Name))
	if err != nil {
		return false
	}
	limit := int64(float64(fi.Size()) * snapshotSizeFactor)
	if limit <= 0 {
		return false
	}
	logs, err := txnlog.List(fsys, st.LogDir())
	if err != nil {
		return false
	}
	files := txnlog.FilesFor(logs, zxid)
	var size int64
	for _, f := range files[min(1, len(files)):] {
		if fi, err := fsys.Stat(filepath.Join(st.LogDir(), f.Name)); err == nil {
			size += fi.Size()
		}
	}
	return size > limit
}

// roleQuorum is the engine.Quorum of one role: it queues the engine's
// requests for the peer loop, tagged with the role's generation.
type roleQuorum struct {
	p    *Peer
	gen  int64
	done chan struct{} // closed when the role ends, so no engine blocks on a gone loop
}

func (q *roleQuorum) send(o op) {
	o.gen = q.gen
	select {
	case q.p.ops <- o:
	case <-q.done:
	case <-q.p.stop:
	}
}

// Replicate (engine.Replicator) queues a leader engine's txn for the peer
// loop to propose.
func (q *roleQuorum) Replicate(t *engine.Txn) {
	q.send(op{kind: opPropose, zxid: t.Hdr.Zxid, txn: t})
}

func (q *roleQuorum) Forward(data []byte, auth []proto.ID) {
	q.send(op{kind: opForward, data: data, auth: auth})
}

func (q *roleQuorum) Revalidate(id int64, timeout int32) {
	q.send(op{kind: opRevalidate, session: id, timeout: timeout})
}

// SyncLearner (engine.LearnerSyncer) queues a learner's sync behind the
// proposals the engine handed over before it.
func (q *roleQuorum) SyncLearner(from int64) {
	q.send(op{kind: opSync, from: from})
}

func (q *roleQuorum) Touch(id int64, timeout int32) {
	q.send(op{kind: opTouch, session: id, timeout: timeout})
}

func hexZxid(z int64) string { return "0x" + strconv.FormatInt(z, 16) }

// treeOf is a helper for tests: the database's current tree.
func (p *Peer) treeOf() *datatree.Tree { return p.db.Tree }

// memberList returns the members, sorted by id.
func (p *Peer) memberList() []members.Member {
	ms := make([]members.Member, 0, len(p.members))
	for _, m := range p.members {
		ms = append(ms, m)
	}
	return members.Sorted(ms)
}
