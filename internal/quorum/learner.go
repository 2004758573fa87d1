package quorum

import (
	"fmt"
	"sync"
	"time"

	"github.com/zkit-go/zkit/internal/engine"
	"github.com/zkit-go/zkit/internal/members"
	"github.com/zkit-go/zkit/internal/quorumnet"
	"github.com/zkit-go/zkit/internal/zab"
)

// leaderConnectRetryDelay is ZooKeeper's
// zookeeper.leaderConnectDelayDuringRetryMs: a learner usually dials before
// the leader it elected has opened its quorum port, so it retries soon.
const leaderConnectRetryDelay = 100 * time.Millisecond

// learnerRole is one term of this member as follower or observer: the
// Zab learner core, the connection to the leader, a SNAP's snapshot until
// it is installed and, once synced, the engine serving clients. The peer
// loop owns it; the connection's reader feeds it through in and stops at
// quit.
type learnerRole struct {
	p      *Peer
	gen    int64 // the role generation: ops of older engines are dropped
	leader int64
	addr   string      // the leader's quorum address
	role   engine.Role // RoleFollower or RoleObserver
	core   *zab.Learner
	conn   *quorumnet.PeerConn
	eng    *engine.Engine    // nil until synced
	snap   *receivedSnapshot // a SNAP's stream, until installed

	in   chan inbound
	quit chan struct{}
	wg   sync.WaitGroup // the reader
}

// learn runs the follower (or observer) role until it ends.
func (p *Peer) learn(leader int64, observer bool) {
	state, role := Following, engine.RoleFollower
	if observer {
		state, role = Observing, engine.RoleObserver
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
	addr := lm.QuorumAddr()
	c, err := p.dialLeader(addr)
	if err != nil {
		p.log.Warn("cannot connect to the elected leader; electing again", "leader", leader, "addr", addr, "err", err)
		return
	}
	if c == nil {
		return // stopped
	}
	p.stats.syncSince = time.Now()
	acc, cur := p.epochs()
	r := &learnerRole{
		p:      p,
		gen:    gen,
		leader: leader,
		addr:   addr,
		role:   role,
		conn:   c,
		in:     make(chan inbound, 1024),
		quit:   make(chan struct{}),
		core: zab.NewLearner(zab.LearnerConfig{
			ID:            p.cfg.ID,
			Leader:        leader,
			Observer:      observer,
			AcceptedEpoch: acc,
			CurrentEpoch:  cur,
			LastZxid:      p.lastLogged,
			ConfigVersion: p.cfgVersion,
			InitLimit:     p.cfg.InitLimit,
			SyncLimit:     p.cfg.SyncLimit,
		}),
	}
	defer r.close()
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		r.readLeader()
	}()
	r.run()
}

// dialLeader connects to the leader's quorum port, retrying a few times
// while it opens it; a nil connection without an error means the peer
// stopped.
func (p *Peer) dialLeader(addr string) (*quorumnet.PeerConn, error) {
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		var c *quorumnet.PeerConn
		c, err = quorumnet.DialLeaderSecure(addr, p.cfg.Dial, time.Duration(p.cfg.InitLimit)*p.cfg.TickTime, p.cfg.Security)
		if err == nil {
			return c, nil
		}
		select {
		case <-time.After(leaderConnectRetryDelay):
		case <-p.stop:
			return nil, nil
		}
	}
	return nil, err
}

// close stops the reader and closes the leader connection.
func (r *learnerRole) close() {
	close(r.quit)
	r.conn.Close()
	r.wg.Wait()
}

// run is the role's loop: it does the core's work, then takes the
// leader's packets, engine requests and ticks, until the role ends.
func (r *learnerRole) run() {
	p := r.p
	tick := time.NewTicker(p.cfg.TickTime)
	defer tick.Stop()
	etick := time.NewTicker(p.cfg.ElectionTick)
	defer etick.Stop()
	for {
		done, err := r.handleReady()
		p.stats.quorumSize.Store(int64(len(p.voters))) // a committed reconfig changes it
		if err != nil {
			p.log.Error("learner stopping", "err", err)
			return
		}
		if done {
			return
		}
		select {
		case ev := <-r.in:
			r.handleInbound(ev)
		case <-tick.C:
			r.core.Tick()
		case m := <-p.elecNet.Recv():
			p.stepElection(m)
		case <-etick.C:
			p.elec.Tick()
		case o := <-p.ops:
			r.handleOp(o)
		case <-p.stop:
			return
		}
		// Batch what else is queued into one Ready (one fsync), as the
		// leader does.
	drain:
		for i := 0; i < maxBatch; i++ {
			select {
			case ev := <-r.in:
				r.handleInbound(ev)
				if ev.err != nil || ev.snap != nil {
					break drain // let the role end, or install the snapshot, first
				}
			case o := <-p.ops:
				r.handleOp(o)
			default:
				break drain
			}
		}
		p.flushElection()
	}
}

// handleInbound steps the core with a packet from the leader, or tells it
// the connection is lost.
func (r *learnerRole) handleInbound(ev inbound) {
	p := r.p
	if ev.err != nil {
		p.log.Warn("lost the connection to the leader: this member stops serving clients and looks for a leader",
			"leader", r.leader, "addr", r.addr, "err", ev.err)
		r.core.Disconnected()
		return
	}
	if ev.snap != nil {
		r.snap = ev.snap
	}
	if r.core.Established() {
		p.stats.learnerReceived(ev.pkt)
	}
	if ev.pkt.Type == zab.Diff {
		// Learner.syncWithLeader rewrites /zookeeper/config after
		// every sync mode, DIFF too (SNAP and TRUNC: handleReady).
		p.initConfigNode()
	}
	r.core.Step(ev.pkt)
}

// handleOp hands an engine request of this role to the core.
func (r *learnerRole) handleOp(o op) {
	if o.gen != r.gen {
		return
	}
	switch o.kind {
	case opForward:
		r.core.Forward(o.data, o.auth)
	case opRevalidate:
		r.core.Revalidate(o.session, o.timeout)
	case opTouch:
		r.core.Touch(o.session, o.timeout)
	}
}

// readLeader reads the leader connection; a SNAP's snapshot stream is read
// here, right after its packet, and handed over with it.
func (r *learnerRole) readLeader() {
	for {
		pkt, err := r.conn.Recv()
		ev := inbound{pkt: pkt, err: err}
		if err == nil && pkt.Type == zab.Snap {
			sk := newTreeSink(r.p.cfg.Engine.ExtendedTypesEnabled)
			if err := r.conn.RecvSnapshot(sk); err != nil {
				ev.err = fmt.Errorf("read snapshot: %w", err)
			} else if t, err := sk.finish(); err != nil {
				ev.err = fmt.Errorf("load snapshot: %w", err)
			} else {
				ev.snap = &receivedSnapshot{tree: t, sessions: sk.sessions}
			}
		}
		select {
		case r.in <- ev:
		case <-r.quit:
			return
		}
		if ev.err != nil {
			return
		}
	}
}

// handleReady does the learner core's work; it reports the end of the
// role.
func (r *learnerRole) handleReady() (bool, error) {
	p, core := r.p, r.core
	for core.HasReady() {
		rd := core.Ready()
		// Forwarded requests leave first, and commits of entries logged
		// durably in an earlier Ready are applied: neither waits for
		// this Ready's fsync.
		if err := r.sendToLeader(rd.Early); err != nil {
			return true, err
		}
		endRole, err := r.apply(rd.Committed[:rd.CommittedEarly], rd.Designated)
		if err != nil {
			return true, err
		}
		if rd.HasSnapshot {
			if err := r.installSnapshot(rd.SnapshotZxid); err != nil {
				return true, err
			}
		}
		if rd.HasTruncate {
			if err := r.truncate(rd.TruncateTo); err != nil {
				return true, err
			}
		}
		if err := p.persist(&rd); err != nil {
			return true, fmt.Errorf("persist: %w", err)
		}
		p.stats.logged(rd.Entries)
		// The batch's ACKs (one per proposal, one write) leave as soon as
		// it is durable, before applying the commits, as Java's
		// SendAckRequestProcessor does not wait for its CommitProcessor.
		if err := r.sendToLeader(rd.Messages); err != nil {
			return true, err
		}
		end, err := r.apply(rd.Committed[rd.CommittedEarly:], rd.Designated)
		if err != nil {
			return true, err
		}
		endRole = endRole || end
		if rd.Established && len(rd.LeaderConfig) > 0 && p.cfg.ReconfigEnabled {
			changed, err := r.takeLeaderConfig(rd.LeaderConfig)
			if err != nil {
				return true, err
			}
			endRole = endRole || changed
		}
		if e := r.eng; e != nil {
			for _, rv := range rd.Revalidated {
				e.Revalidated(rv.SessionID, rv.Valid)
			}
			if rd.Syncs > 0 {
				e.SyncsDone(rd.Syncs)
			}
		}
		if rd.Established && r.eng == nil && !endRole {
			if err := r.serve(); err != nil {
				return true, err
			}
		}
		if rd.Done != nil || endRole {
			p.flushLast(r.conn)
		}
		if rd.Done != nil {
			p.log.Warn("leaving the "+r.role.String()+" role: this member stops serving clients and looks for a leader",
				"leader", r.leader, "reason", rd.Done)
			return true, nil
		}
		if endRole {
			p.log.Info("leaving the "+r.role.String()+" role: a committed reconfig changed this member's role or leader; electing again",
				"leader", r.leader)
			return true, nil
		}
		core.Advance()
	}
	return false, nil
}

// apply applies committed entries; it reports whether a reconfig among
// them ends the role (then designated, if set, is the leader to follow).
func (r *learnerRole) apply(committed []zab.Entry, designated int64) (endRole bool, err error) {
	if len(committed) == 0 {
		return false, nil
	}
	p := r.p
	if r.eng != nil {
		p.stats.commitPropagated(committed)
	}
	if endRole, err = p.commitLeader(r.eng, committed, r.leader); err != nil {
		return false, err
	}
	if endRole && designated != 0 {
		p.designate(designated)
	}
	return endRole, nil
}

// installSnapshot replaces the database with a SNAP's snapshot.
func (r *learnerRole) installSnapshot(zxid int64) error {
	p, s := r.p, r.snap
	if s == nil {
		return fmt.Errorf("SNAP at 0x%x without a snapshot stream", zxid)
	}
	if err := p.db.InstallSnapshot(s.tree, s.sessions, zxid); err != nil {
		return err
	}
	p.resetState()
	p.lastLogged = zxid
	p.history = nil
	r.snap = nil
	p.forgetLoggedAfter(zxid)
	p.initConfigNode()
	p.log.Info("synced from the leader", "mode", "SNAP", "zxid", hexZxid(zxid))
	return nil
}

// truncate cuts the log back to a TRUNC's zxid.
func (r *learnerRole) truncate(to int64) error {
	p := r.p
	if err := p.db.Truncate(to); err != nil {
		return err
	}
	p.resetState()
	p.log.Info("synced from the leader", "mode", "TRUNC", "from", hexZxid(p.lastLogged), "to", hexZxid(to))
	p.lastLogged = p.db.LastZxid
	p.initConfigNode()
	kept := p.history[:0]
	for _, e := range p.history {
		if e.Zxid <= to {
			kept = append(kept, e)
		}
	}
	p.history = kept
	p.forgetLoggedAfter(to)
	return nil
}

// sendToLeader queues messages in order and does not wait for them: the
// connection's writer sends what is queued together in one write, and a
// write error closes the socket, so the reader reports it to the loop.
func (r *learnerRole) sendToLeader(msgs []zab.Message) error {
	for _, m := range msgs {
		if err := r.conn.Send(m.Packet); err != nil {
			return err
		}
	}
	return nil
}

// takeLeaderConfig activates NEWLEADER's configuration when it is newer
// than this member's, which may have missed its commit
// (Learner.syncWithLeader at UPTODATE); it reports whether the role must
// end for it.
func (r *learnerRole) takeLeaderConfig(text []byte) (endRole bool, err error) {
	p := r.p
	ms, v, err := members.ParseText(string(text))
	if err != nil {
		return false, fmt.Errorf("NEWLEADER configuration: %w", err)
	}
	if v <= p.cfgVersion {
		return false, nil
	}
	endRole = p.activateConfig(ms, v, r.leader)
	if r.eng == nil {
		p.initConfigNode()
	}
	return endRole, nil
}

// serve starts the role's engine once the learner is synced.
func (r *learnerRole) serve() error {
	p := r.p
	p.elec.UpdatePeerEpoch(r.core.Epoch())
	e, err := p.startEngine(r.role, 0, r.gen)
	if err != nil {
		return err
	}
	r.eng = e
	if r.role == engine.RoleObserver {
		p.setState(Observer)
	} else {
		p.setState(Follower)
	}
	p.stats.synced(r.role == engine.RoleObserver)
	return nil
}
