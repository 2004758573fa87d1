package quorum

import (
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/zkit-go/zkit/internal/datatree"
	"github.com/zkit-go/zkit/internal/engine"
	"github.com/zkit-go/zkit/internal/jute"
	"github.com/zkit-go/zkit/internal/proto"
	"github.com/zkit-go/zkit/internal/quorumnet"
	"github.com/zkit-go/zkit/internal/snapshot"
	"github.com/zkit-go/zkit/internal/zab"
)

// leaderConnectRetryDelay is ZooKeeper's
// zookeeper.leaderConnectDelayDuringRetryMs: a learner usually dials before
// the leader it elected has opened its quorum port, so it retries soon.
const leaderConnectRetryDelay = 100 * time.Millisecond

// maxBatch bounds how many queued packets and engine requests the peer
// loop takes before doing the cores' work.
const maxBatch = 1000

// inbound is a quorum packet (or a connection event) for the peer loop.
type inbound struct {
	from     int64
	conn     *quorumnet.PeerConn
	register bool // the first packet of a learner connection
	pkt      proto.QuorumPacket
	err      error
	snap     *receivedSnapshot
}

// receivedSnapshot is a SNAP's stream, read by the connection's reader.
type receivedSnapshot struct {
	tree     *datatree.Tree
	sessions map[int64]int32
}

// lead runs the leader role until it ends.
func (p *Peer) lead() {
	gen := p.newRole("leading")
	p.heldRevals = nil
	defer p.stopEngine()
	p.stats.startLeading()
	defer p.stats.stopLeading()
	if err := p.catchUp(); err != nil {
		p.log.Error("cannot lead", "err", err)
		return
	}
	// A reconfig this member logged but never saw committed is completed
	// as ZooKeeper's leader completes its last seen configuration: sync a
	// quorum of both configurations first, then activate it.
	var next *zab.Membership
	p.cfgMu.Lock()
	p.lastSeenMembers, p.lastSeenVersion = p.memberList(), p.activeVersion
	if lg := p.logged; lg != nil {
		nm := membership(lg.members)
		nm.Text = configText(lg.members, lg.version)
		next = &nm
		p.lastSeenMembers, p.lastSeenVersion = lg.members, lg.version
		p.log.Info("completing a logged reconfig before serving", "version", hexZxid(lg.version), "voters", nm.Voters, "observers", nm.Observers)
	}
	p.syncedSet = nil
	p.cfgMu.Unlock()
	acc, cur := p.epochs()
	// ZOOKEEPER-1783: with reconfig enabled, an unversioned configuration
	// takes the NEWLEADER zxid as its version once a quorum acked it, so
	// it outranks the partial configuration a joiner starts with.
	var epochConfig func(epoch int64) []byte
	if p.cfg.ReconfigEnabled && p.cfgVersion == 0 && next == nil {
		ms := p.memberList()
		epochConfig = func(epoch int64) []byte { return configText(ms, zab.MakeZxid(epoch, 0)) }
	}
	core, err := zab.NewLeader(zab.LeaderConfig{
		ID:              p.cfg.ID,
		Voters:          p.voters,
		Observers:       p.observers,
		AcceptedEpoch:   acc,
		CurrentEpoch:    cur,
		LastZxid:        p.lastLogged,
		History:         append([]zab.Entry(nil), p.history...),
		Older:           diskHistory{p.db},
		CommitLogCount:  commitLogCount,
		InitLimit:       p.cfg.InitLimit,
		SyncLimit:       p.cfg.SyncLimit,
		ConfigText:      p.configText,
		EpochConfigText: epochConfig,
		Next:            next,
	})
	if err != nil {
		p.log.Error("cannot lead", "err", err)
		return
	}
	addr := net.JoinHostPort(p.me.Host, strconv.Itoa(p.me.QuorumPort))
	ln, err := quorumnet.ListenLearnersSecure(addr, p.cfg.Listen, p.cfg.Security, time.Duration(p.cfg.InitLimit)*p.cfg.TickTime)
	if err != nil {
		p.log.Error("cannot open the quorum port", "addr", addr, "err", err)
		return
	}
	in := make(chan inbound, 1024)
	quit := make(chan struct{})
	var wg sync.WaitGroup
	conns := make(map[int64]*quorumnet.PeerConn)
	defer func() {
		close(quit)
		ln.Close()
		for _, c := range conns {
			c.Close()
		}
		wg.Wait()
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				p.readLearner(c, in, quit)
			}()
		}
	}()

	tick := time.NewTicker(p.cfg.TickTime)
	defer tick.Stop()
	etick := time.NewTicker(p.cfg.ElectionTick)
	defer etick.Stop()
	var eng *engine.Engine
	onPacket := func(ev inbound) {
		if ev.register {
			if old := conns[ev.from]; old != nil && old != ev.conn {
				old.Close()
				core.Disconnected(ev.from)
			}
			conns[ev.from] = ev.conn
		}
		if ev.err != nil {
			if conns[ev.from] == ev.conn {
				delete(conns, ev.from)
				core.Disconnected(ev.from)
			}
			ev.conn.Close()
			return
		}
		core.Step(ev.from, ev.pkt)
	}
	onOp := func(o op) bool {
		if o.gen != gen {
			return true
		}
		if o.kind == opSync {
			core.Sync(o.from)
			return true
		}
		if o.kind != opPropose {
			return true
		}
		if err := p.propose(core, o.txn); err != nil {
			p.log.Error("proposal refused, leaving the leader role", "zxid", hexZxid(o.zxid), "err", err)
			return false
		}
		p.stats.proposed(len(o.txn.Entry))
		return true
	}
	for {
		select {
		case ev := <-in:
			onPacket(ev)
		case <-tick.C:
			core.Tick()
		case m := <-p.elecNet.Recv():
			p.stepElection(m)
		case <-etick.C:
			p.elec.Tick()
		case o := <-p.ops:
			if !onOp(o) {
				return
			}
		case <-p.stop:
			return
		}
		// Take whatever else is queued (ACKs, proposals) before doing the
		// work, so one Ready (one fsync, one flush per learner) serves a
		// batch: the group commit ZooKeeper's SyncRequestProcessor does.
	drain:
		for i := 0; i < maxBatch; i++ {
			select {
			case ev := <-in:
				onPacket(ev)
			case o := <-p.ops:
				if !onOp(o) {
					return
				}
			default:
				break drain
			}
		}
		p.flushElection() // a leader only answers; it has decided
		done, err := p.leaderReady(core, conns, &eng, gen)
		if err != nil {
			p.log.Error("leader stopping", "err", err)
			return
		}
		if done {
			return
		}
	}
}

// readLearner reads one learner connection: the first packet names it.
func (p *Peer) readLearner(c *quorumnet.PeerConn, in chan<- inbound, quit <-chan struct{}) {
	send := func(ev inbound) bool {
		select {
		case in <- ev:
			return true
		case <-quit:
			return false
		}
	}
	first, err := c.Recv()
	if err != nil {
		c.Close()
		return
	}
	if first.Type != zab.FollowerInfo && first.Type != zab.ObserverInfo {
		p.log.Warn("learner connection did not start with FOLLOWERINFO/OBSERVERINFO", "type", first.Type)
		c.Close()
		return
	}
	var li proto.LearnerInfo
	if err := jute.Unmarshal(first.Data, &li); err != nil {
		c.Close()
		return
	}
	sid := li.ServerID
	if !send(inbound{from: sid, conn: c, register: true, pkt: first}) {
		c.Close()
		return
	}
	for {
		pkt, err := c.Recv()
		if err != nil {
			send(inbound{from: sid, conn: c, err: err})
			return
		}
		if !send(inbound{from: sid, conn: c, pkt: pkt}) {
			return
		}
	}
}

// leaderReady does the leader core's work; it reports the end of the role.
func (p *Peer) leaderReady(core *zab.Leader, conns map[int64]*quorumnet.PeerConn, eng **engine.Engine, gen int64) (bool, error) {
	if p.cfg.ReconfigEnabled {
		defer func() {
			s := core.Synced()
			p.cfgMu.Lock()
			p.syncedSet = s
			p.cfgMu.Unlock()
		}()
	}
	defer func() {
		p.stats.publishLearners(core.LearnerCounts())
		p.stats.quorumSize.Store(int64(len(p.voters)))
	}()
	for core.HasReady() {
		rd := core.Ready()
		// Broadcast PROPOSALs go out before this leader's own fsync, so the
		// followers' fsyncs run while it runs (zab doc: "Sending before the
		// leader's fsync"). Its own ACK counts at Advance, once durable.
		p.sendToLearners(conns, rd.Early)
		if err := p.persist(&rd); err != nil {
			return true, fmt.Errorf("persist: %w", err)
		}
		p.stats.logged(rd.Entries)
		if len(rd.Committed) > 0 {
			if *eng != nil {
				p.stats.commits.Add(int64(len(rd.Committed)))
				p.stats.quorumAcked(rd.Committed)
			}
			if err := p.commit(*eng, rd.Committed); err != nil {
				return true, err
			}
		}
		p.sendToLearners(conns, rd.Messages)
		for _, sid := range rd.Disconnect {
			if c := conns[sid]; c != nil {
				c.Close()
				delete(conns, sid)
			}
		}
		var syncs []int64
		var revals []zab.RevalidateRequest
		if e := *eng; e != nil {
			for _, fr := range rd.Requests {
				isSync, err := e.SubmitForwarded(fr.Data, fr.AuthInfo, fr.From)
				if err != nil {
					p.log.Warn("bad forwarded request", "from", fr.From, "err", err)
					continue
				}
				if isSync {
					syncs = append(syncs, fr.From)
				}
			}
			if len(rd.Touches) > 0 {
				ids := make([]int64, len(rd.Touches))
				tos := make([]int32, len(rd.Touches))
				for i, t := range rd.Touches {
					ids[i], tos[i] = t.SessionID, t.Timeout
				}
				e.TouchSessions(ids, tos)
			}
		}
		revals = rd.Revalidations
		p.stats.revalidations.Add(int64(len(revals)))
		if rd.Established && *eng == nil {
			p.elec.UpdatePeerEpoch(core.Epoch())
			switch lg := p.logged; {
			case lg != nil:
				// Agreed by a quorum of both (the core switched too).
				p.activateConfig(lg.members, lg.version, p.cfg.ID)
				p.initConfigNode()
			case p.cfg.ReconfigEnabled && p.cfgVersion == 0:
				p.activateConfig(p.memberList(), zab.MakeZxid(core.Epoch(), 0), p.cfg.ID)
				p.initConfigNode()
			}
		}
		if rd.Established && *eng == nil && rd.Done == nil {
			e, err := p.startEngine(engine.RoleLeader, core.NextZxid()-1, gen)
			if err != nil {
				return true, err
			}
			*eng = e
			p.setState("leader")
			// ZooKeeper's leader writes a snapshot as it starts leading
			// (loadData), so a restart of this member, under Java or
			// zkit, replays only this epoch's log, not the whole history
			// since an older snapshot. Here it is asked for once a quorum
			// has the history (everything applied is committed, so no
			// TRUNC can cut below it) and written in the background.
			p.db.RequestSnapshot()
		}
		if rd.Done != nil {
			if rd.Designated != 0 {
				p.designate(rd.Designated)
			}
			p.log.Warn("leader role over: clients are disconnected while the members elect a leader",
				"reason", rd.Done)
			return true, nil
		}
		core.Advance()
		for _, sid := range syncs {
			core.Sync(sid)
		}
		// A REVALIDATE before this leader serves waits for its engine, as
		// LearnerHandler waits for the leader's startup: its session
		// tracker is the only one that may call a session expired.
		p.heldRevals = append(p.heldRevals, revals...)
		if e := *eng; e != nil {
			for _, rv := range p.heldRevals {
				core.RevalidateReply(rv.From, rv.SessionID, e.RevalidateSession(rv.SessionID, rv.Timeout, rv.From))
			}
			p.heldRevals = nil
		}
	}
	return false, nil
}

// sendToLearners writes messages in order and flushes each connection once:
// the PROPOSALs and COMMITs of a batch leave in one write per learner.
func (p *Peer) sendToLearners(conns map[int64]*quorumnet.PeerConn, msgs []zab.Message) {
	if len(msgs) == 0 {
		return
	}
	touched := make(map[int64]*quorumnet.PeerConn)
	for _, m := range msgs {
		p.stats.sentToLearner(m)
		c := conns[m.To]
		if c == nil {
			continue
		}
		err := c.Send(m.Packet)
		if err == nil && m.Snapshot {
			err = c.SendSnapshot(p.snapshotSource())
		}
		if err != nil {
			c.Close()
			continue
		}
		touched[m.To] = c
	}
	for _, c := range touched {
		c.Flush()
	}
}

// learn runs the follower (or observer) role until it ends.
func (p *Peer) learn(leader int64, observer bool) {
	state := "following"
	if observer {
		state = "observing"
	}
	gen := p.newRole(state)
	defer p.stopEngine()
	if err := p.catchUp(); err != nil {
		p.log.Error("cannot follow", "err", err)
		return
	}
	lm, ok := p.members[leader]
	if !ok {
		p.log.Error("elected leader is not a member", "leader", leader)
		return
	}
	addr := net.JoinHostPort(lm.Host, strconv.Itoa(lm.QuorumPort))
	var c *quorumnet.PeerConn
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		c, err = quorumnet.DialLeaderSecure(addr, p.cfg.Dial, time.Duration(p.cfg.InitLimit)*p.cfg.TickTime, p.cfg.Security)
		if err == nil {
			break
		}
		select {
		case <-time.After(leaderConnectRetryDelay):
		case <-p.stop:
			return
		}
	}
	if err != nil {
		p.log.Warn("cannot connect to the elected leader; electing again", "leader", leader, "addr", addr, "err", err)
		return
	}
	p.stats.syncSince = time.Now()
	acc, cur := p.epochs()
	core := zab.NewLearner(zab.LearnerConfig{
		ID:            p.cfg.ID,
		Leader:        leader,
		Observer:      observer,
		AcceptedEpoch: acc,
		CurrentEpoch:  cur,
		LastZxid:      p.lastLogged,
		ConfigVersion: p.cfgVersion,
		InitLimit:     p.cfg.InitLimit,
		SyncLimit:     p.cfg.SyncLimit,
	})
	in := make(chan inbound, 1024)
	quit := make(chan struct{})
	var wg sync.WaitGroup
	defer func() {
		close(quit)
		c.Close()
		wg.Wait()
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		p.readLeader(c, in, quit)
	}()
	tick := time.NewTicker(p.cfg.TickTime)
	defer tick.Stop()
	etick := time.NewTicker(p.cfg.ElectionTick)
	defer etick.Stop()
	var eng *engine.Engine
	var snap *receivedSnapshot
	role := engine.RoleFollower
	if observer {
		role = engine.RoleObserver
	}
	onPacket := func(ev inbound) {
		if ev.err != nil {
			p.log.Warn("lost the connection to the leader: this member stops serving clients and looks for a leader",
				"leader", leader, "addr", addr, "err", ev.err)
			core.Disconnected()
			return
		}
		if ev.snap != nil {
			snap = ev.snap
		}
		if core.Established() {
			p.stats.learnerReceived(ev.pkt)
		}
		if ev.pkt.Type == zab.Diff {
			// Learner.syncWithLeader rewrites /zookeeper/config after
			// every sync mode, DIFF too (SNAP and TRUNC: learnerReady).
			p.initConfigNode()
		}
		core.Step(ev.pkt)
	}
	onOp := func(o op) {
		if o.gen != gen {
			return
		}
		switch o.kind {
		case opForward:
			core.Forward(o.data, o.auth)
		case opRevalidate:
			core.Revalidate(o.session, o.timeout)
		case opTouch:
			core.Touch(o.session, o.timeout)
		}
	}
	for {
		done, err := p.learnerReady(core, c, &eng, &snap, role, gen, leader)
		p.stats.quorumSize.Store(int64(len(p.voters))) // a committed reconfig changes it
		if err != nil {
			p.log.Error("learner stopping", "err", err)
			return
		}
		if done {
			return
		}
		select {
		case ev := <-in:
			onPacket(ev)
		case <-tick.C:
			core.Tick()
		case m := <-p.elecNet.Recv():
			p.stepElection(m)
		case <-etick.C:
			p.elec.Tick()
		case o := <-p.ops:
			onOp(o)
		case <-p.stop:
			return
		}
		// Batch what else is queued into one Ready (one fsync), as the
		// leader does.
	drain:
		for i := 0; i < maxBatch; i++ {
			select {
			case ev := <-in:
				onPacket(ev)
				if ev.err != nil || ev.snap != nil {
					break drain // let the role end, or install the snapshot, first
				}
			case o := <-p.ops:
				onOp(o)
			default:
				break drain
			}
		}
		p.flushElection()
	}
}

// readLeader reads the leader connection; a SNAP's snapshot stream is read
// here, right after its packet, and handed over with it.
func (p *Peer) readLeader(c *quorumnet.PeerConn, in chan<- inbound, quit <-chan struct{}) {
	for {
		pkt, err := c.Recv()
		ev := inbound{pkt: pkt, err: err}
		if err == nil && pkt.Type == zab.Snap {
			sk := newTreeSink(p.cfg.Engine.ExtendedTypesEnabled)
			if err := c.RecvSnapshot(sk); err != nil {
				ev.err = fmt.Errorf("read snapshot: %w", err)
			} else if t, err := sk.finish(); err != nil {
				ev.err = fmt.Errorf("load snapshot: %w", err)
			} else {
				ev.snap = &receivedSnapshot{tree: t, sessions: sk.sessions}
			}
		}
		select {
		case in <- ev:
		case <-quit:
			return
		}
		if ev.err != nil {
			return
		}
	}
}

func (p *Peer) learnerReady(core *zab.Learner, c *quorumnet.PeerConn, eng **engine.Engine, snap **receivedSnapshot, role engine.Role, gen int64, leader int64) (bool, error) {
	for core.HasReady() {
		rd := core.Ready()
		if rd.HasSnapshot {
			s := *snap
			if s == nil {
				return true, fmt.Errorf("SNAP at 0x%x without a snapshot stream", rd.SnapshotZxid)
			}
			if err := p.db.InstallSnapshot(s.tree, s.sessions, rd.SnapshotZxid); err != nil {
				return true, err
			}
			p.resetState()
			p.lastLogged = rd.SnapshotZxid
			p.history = nil
			*snap = nil
			p.forgetLoggedAfter(rd.SnapshotZxid)
			p.initConfigNode()
			p.log.Info("synced from the leader", "mode", "SNAP", "zxid", hexZxid(rd.SnapshotZxid))
		}
		if rd.HasTruncate {
			if err := p.db.Truncate(rd.TruncateTo); err != nil {
				return true, err
			}
			p.resetState()
			p.log.Info("synced from the leader", "mode", "TRUNC", "from", hexZxid(p.lastLogged), "to", hexZxid(rd.TruncateTo))
			p.lastLogged = p.db.LastZxid
			p.initConfigNode()
			kept := p.history[:0]
			for _, e := range p.history {
				if e.Zxid <= rd.TruncateTo {
					kept = append(kept, e)
				}
			}
			p.history = kept
			p.forgetLoggedAfter(rd.TruncateTo)
		}
		if err := p.persist(&rd); err != nil {
			return true, fmt.Errorf("persist: %w", err)
		}
		p.stats.logged(rd.Entries)
		// The batch's ACKs (one per proposal, one flush) leave as soon as
		// it is durable, before applying the commits, as Java's
		// SendAckRequestProcessor does not wait for its CommitProcessor.
		for _, m := range rd.Messages {
			if err := c.Send(m.Packet); err != nil {
				return true, err
			}
		}
		if len(rd.Messages) > 0 {
			if err := c.Flush(); err != nil {
				return true, err
			}
		}
		if *eng != nil {
			p.stats.commitPropagated(rd.Committed)
		}
		endRole := false
		if len(rd.Committed) > 0 {
			var err error
			if endRole, err = p.commitLeader(*eng, rd.Committed, leader); err != nil {
				return true, err
			}
			if endRole && rd.Designated != 0 {
				p.designate(rd.Designated)
			}
		}
		if rd.Established && len(rd.LeaderConfig) > 0 && p.cfg.ReconfigEnabled {
			// The leader's configuration, which this member may have missed
			// the commit of (Learner.syncWithLeader at UPTODATE).
			ms, v, err := ParseConfigText(string(rd.LeaderConfig))
			if err != nil {
				return true, fmt.Errorf("NEWLEADER configuration: %w", err)
			}
			if v > p.cfgVersion {
				if p.activateConfig(ms, v, leader) {
					endRole = true
				}
				if *eng == nil {
					p.initConfigNode()
				}
			}
		}
		if e := *eng; e != nil {
			for _, rv := range rd.Revalidated {
				e.Revalidated(rv.SessionID, rv.Valid)
			}
			if rd.Syncs > 0 {
				e.SyncsDone(rd.Syncs)
			}
		}
		if rd.Established && *eng == nil && !endRole {
			p.elec.UpdatePeerEpoch(core.Epoch())
			e, err := p.startEngine(role, 0, gen)
			if err != nil {
				return true, err
			}
			*eng = e
			p.setState(role.String())
			p.stats.synced(role == engine.RoleObserver)
		}
		if rd.Done != nil {
			p.log.Warn("leaving the "+role.String()+" role: this member stops serving clients and looks for a leader",
				"leader", leader, "reason", rd.Done)
			return true, nil
		}
		if endRole {
			p.log.Info("leaving the "+role.String()+" role: a committed reconfig changed this member's role or leader; electing again",
				"leader", leader)
			return true, nil
		}
		core.Advance()
	}
	return false, nil
}

// treeSink loads a snapshot stream into a new tree.
type treeSink struct {
	opts     []datatree.Option
	loader   *datatree.Loader
	acls     map[int64][]proto.ACL
	sessions map[int64]int32
}

func newTreeSink(extended bool) *treeSink {
	s := &treeSink{opts: []datatree.Option{datatree.WithExtendedTypes(extended)}}
	s.Reset()
	return s
}

func (s *treeSink) Reset() {
	s.loader = datatree.NewLoader(s.opts...)
	s.acls = make(map[int64][]proto.ACL)
	s.sessions = make(map[int64]int32)
}

func (s *treeSink) AddSession(id int64, timeout int32) error {
	s.sessions[id] = timeout
	return nil
}

func (s *treeSink) SetACL(ref int64, acl []proto.ACL) error {
	s.acls[ref] = acl
	return nil
}

func (s *treeSink) AddNode(path string, data []byte, aclRef int64, stat proto.StatPersisted) error {
	if path == "/" {
		path = ""
	}
	return s.loader.AddNode(path, data, aclRef, stat)
}

func (s *treeSink) finish() (*datatree.Tree, error) {
	s.loader.SetACLCache(s.acls)
	return s.loader.Finish()
}

var _ snapshot.Sink = (*treeSink)(nil)
