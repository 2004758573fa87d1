package quorum

import (
	"fmt"
	"sync"
	"time"

	"github.com/zkit-go/zkit/internal/engine"
	"github.com/zkit-go/zkit/internal/jute"
	"github.com/zkit-go/zkit/internal/members"
	"github.com/zkit-go/zkit/internal/proto"
	"github.com/zkit-go/zkit/internal/quorumnet"
	"github.com/zkit-go/zkit/internal/zab"
)

// leaderRole is one term of this member as leader: the Zab leader core,
// the learners' connections and, once a quorum has synced, the engine
// serving clients. The peer loop owns it; the quorum port's acceptor and
// one reader per learner feed it through in and stop at quit.
type leaderRole struct {
	p     *Peer
	gen   int64 // the role generation: ops of older engines are dropped
	core  *zab.Leader
	ln    *quorumnet.LearnerListener
	conns map[int64]*quorumnet.PeerConn
	eng   *engine.Engine // nil until a quorum has synced
	// heldRevals are learners' REVALIDATEs that came before the engine
	// served; they are answered once it does.
	heldRevals []zab.RevalidateRequest

	in   chan inbound
	quit chan struct{}
	wg   sync.WaitGroup // the acceptor and the learner readers
}

// lead runs the leader role until it ends.
func (p *Peer) lead() {
	gen := p.newRole(Leading)
	defer p.stopEngine()
	p.stats.startLeading()
	defer p.stats.stopLeading()
	if err := p.catchUp(); err != nil {
		p.log.Error("cannot lead", "err", err)
		return
	}
	core, err := p.newLeaderCore()
	if err != nil {
		p.log.Error("cannot lead", "err", err)
		return
	}
	addr := p.me.QuorumAddr()
	ln, err := quorumnet.ListenLearnersSecure(addr, p.cfg.Listen, p.cfg.Security, time.Duration(p.cfg.InitLimit)*p.cfg.TickTime)
	if err != nil {
		p.log.Error("cannot open the quorum port", "addr", addr, "err", err)
		return
	}
	r := &leaderRole{
		p:     p,
		gen:   gen,
		core:  core,
		ln:    ln,
		conns: make(map[int64]*quorumnet.PeerConn),
		in:    make(chan inbound, 1024),
		quit:  make(chan struct{}),
	}
	defer r.close()
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		r.acceptLearners()
	}()
	r.run()
}

// newLeaderCore creates the Zab leader core from this member's log,
// epochs and configuration.
func (p *Peer) newLeaderCore() (*zab.Leader, error) {
	// A reconfig this member logged but never saw committed is completed
	// as ZooKeeper's leader completes its last seen configuration: sync a
	// quorum of both configurations first, then activate it.
	var next *zab.Membership
	p.cfgMu.Lock()
	p.lastSeenMembers, p.lastSeenVersion = p.memberList(), p.activeVersion
	if lg := p.logged; lg != nil {
		nm := membership(lg.members)
		nm.Text = members.ConfigText(lg.members, lg.version)
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
		epochConfig = func(epoch int64) []byte { return members.ConfigText(ms, zab.MakeZxid(epoch, 0)) }
	}
	return zab.NewLeader(zab.LeaderConfig{
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
}

// close stops the acceptor and the readers and closes every learner
// connection.
func (r *leaderRole) close() {
	close(r.quit)
	r.ln.Close()
	for _, c := range r.conns {
		c.Close()
	}
	r.wg.Wait()
}

// acceptLearners starts a reader per learner connection until the quorum
// port closes.
func (r *leaderRole) acceptLearners() {
	for {
		c, err := r.ln.Accept()
		if err != nil {
			return
		}
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			r.readLearner(c)
		}()
	}
}

// run is the role's loop: it takes learners' packets, engine requests and
// ticks, then does the core's work, until the role ends.
func (r *leaderRole) run() {
	p := r.p
	tick := time.NewTicker(p.cfg.TickTime)
	defer tick.Stop()
	etick := time.NewTicker(p.cfg.ElectionTick)
	defer etick.Stop()
	for {
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
			if !r.handleOp(o) {
				return
			}
		case <-p.stop:
			return
		}
		// Take whatever else is queued (ACKs, proposals) before doing the
		// work, so one Ready (one fsync, one write per learner) serves a
		// batch: the group commit ZooKeeper's SyncRequestProcessor does.
	drain:
		for i := 0; i < maxBatch; i++ {
			select {
			case ev := <-r.in:
				r.handleInbound(ev)
			case o := <-p.ops:
				if !r.handleOp(o) {
					return
				}
			default:
				break drain
			}
		}
		p.flushElection() // a leader only answers; it has decided
		done, err := r.handleReady()
		if err != nil {
			p.log.Error("leader stopping", "err", err)
			return
		}
		if done {
			return
		}
	}
}

// handleInbound registers or drops a learner connection, or steps the
// core with its packet.
func (r *leaderRole) handleInbound(ev inbound) {
	if ev.register {
		if old := r.conns[ev.from]; old != nil && old != ev.conn {
			old.Close()
			r.core.Disconnected(ev.from)
		}
		r.conns[ev.from] = ev.conn
	}
	if ev.err != nil {
		if r.conns[ev.from] == ev.conn {
			delete(r.conns, ev.from)
			r.core.Disconnected(ev.from)
		}
		ev.conn.Close()
		return
	}
	r.core.Step(ev.from, ev.pkt)
}

// handleOp takes an engine request of this role: a proposal or a
// learner's sync. It reports false when the role must end.
func (r *leaderRole) handleOp(o op) bool {
	p := r.p
	if o.gen != r.gen {
		return true
	}
	if o.kind == opSync {
		r.core.Sync(o.from)
		return true
	}
	if o.kind != opPropose {
		return true
	}
	if err := p.propose(r.core, o.txn); err != nil {
		p.log.Error("proposal refused, leaving the leader role", "zxid", hexZxid(o.zxid), "err", err)
		return false
	}
	p.stats.proposed(len(o.txn.Entry))
	return true
}

// readLearner reads one learner connection: the first packet names it.
func (r *leaderRole) readLearner(c *quorumnet.PeerConn) {
	send := func(ev inbound) bool {
		select {
		case r.in <- ev:
			return true
		case <-r.quit:
			return false
		}
	}
	first, err := c.Recv()
	if err != nil {
		c.Close()
		return
	}
	if first.Type != zab.FollowerInfo && first.Type != zab.ObserverInfo {
		r.p.log.Warn("learner connection did not start with FOLLOWERINFO/OBSERVERINFO", "type", first.Type)
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

// handleReady does the leader core's work; it reports the end of the role.
func (r *leaderRole) handleReady() (bool, error) {
	p, core := r.p, r.core
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
		// Broadcast PROPOSALs, and the COMMITs of entries durable at a
		// quorum, go out before this leader's own fsync, so the followers'
		// fsyncs run while it runs and a commit does not wait for the
		// fsync of newer proposals (zab doc: "Sending before the leader's
		// fsync"). Its own ACK counts at Advance, once durable.
		r.sendToLearners(rd.Early)
		if err := r.apply(rd.Committed[:rd.CommittedEarly]); err != nil {
			return true, err
		}
		if err := p.persist(&rd); err != nil {
			return true, fmt.Errorf("persist: %w", err)
		}
		p.stats.logged(rd.Entries)
		if err := r.apply(rd.Committed[rd.CommittedEarly:]); err != nil {
			return true, err
		}
		r.sendToLearners(rd.Messages)
		for _, sid := range rd.Disconnect {
			if c := r.conns[sid]; c != nil {
				// Its last packets (a COMMITANDACTIVATE that changes its
				// role) leave before the close, which drops the queue.
				r.p.flushLast(c)
				c.Close()
				delete(r.conns, sid)
			}
		}
		syncs := r.submitRequests(&rd)
		p.stats.revalidations.Add(int64(len(rd.Revalidations)))
		if rd.Established && r.eng == nil {
			if err := r.establish(&rd); err != nil {
				return true, err
			}
		}
		if rd.Done != nil {
			if rd.Designated != 0 {
				p.designate(rd.Designated)
			}
			// The role's last packets (COMMITANDACTIVATE naming the
			// designated leader) leave before close drops the queues.
			for _, c := range r.conns {
				p.flushLast(c)
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
		r.heldRevals = append(r.heldRevals, rd.Revalidations...)
		if e := r.eng; e != nil {
			for _, rv := range r.heldRevals {
				core.RevalidateReply(rv.From, rv.SessionID, e.RevalidateSession(rv.SessionID, rv.Timeout, rv.From))
			}
			r.heldRevals = nil
		}
	}
	return false, nil
}

// apply applies committed entries (durable at a quorum, this leader
// included), answering their clients.
func (r *leaderRole) apply(committed []zab.Entry) error {
	if len(committed) == 0 {
		return nil
	}
	if r.eng != nil {
		r.p.stats.commits.Add(int64(len(committed)))
		r.p.stats.quorumAcked(committed)
	}
	return r.p.commit(r.eng, committed)
}

// submitRequests hands the learners' forwarded requests and session
// touches to the engine; it returns the learners whose forwarded sync the
// core answers after this Ready.
func (r *leaderRole) submitRequests(rd *zab.Ready) []int64 {
	e := r.eng
	if e == nil {
		return nil
	}
	var syncs []int64
	for _, fr := range rd.Requests {
		isSync, err := e.SubmitForwarded(fr.Data, fr.AuthInfo, fr.From)
		if err != nil {
			r.p.log.Warn("bad forwarded request", "from", fr.From, "err", err)
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
	return syncs
}

// establish is the step a quorum's NEWLEADER acknowledgement allows:
// activate the configuration it agreed (a logged reconfig's, or the
// epoch's version of an unversioned one) and, unless the role is already
// over, start serving.
func (r *leaderRole) establish(rd *zab.Ready) error {
	p, core := r.p, r.core
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
	if rd.Done != nil {
		return nil
	}
	e, err := p.startEngine(engine.RoleLeader, core.NextZxid()-1, r.gen)
	if err != nil {
		return err
	}
	r.eng = e
	p.setState(Leader)
	// ZooKeeper's leader writes a snapshot as it starts leading
	// (loadData), so a restart of this member, under Java or zkit,
	// replays only this epoch's log, not the whole history since an older
	// snapshot. Here it is asked for once a quorum has the history
	// (everything applied is committed, so no TRUNC can cut below it) and
	// written in the background.
	p.db.RequestSnapshot()
	return nil
}

// sendToLearners queues messages in order on each learner's connection
// and does not wait for them: each connection's writer writes what is
// queued together in one write, and a write error closes the socket, so
// the learner's reader reports it to the loop. The loop goes on to its
// fsync while the packets leave.
func (r *leaderRole) sendToLearners(msgs []zab.Message) {
	p := r.p
	for _, m := range msgs {
		p.stats.sentToLearner(m)
		c := r.conns[m.To]
		if c == nil {
			continue
		}
		err := c.Send(m.Packet)
		if err == nil && m.Snapshot {
			err = c.SendSnapshot(p.snapshotSource())
		}
		if err != nil {
			c.Close()
		}
	}
}
