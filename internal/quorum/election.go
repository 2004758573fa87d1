package quorum

import (
	"time"

	"github.com/zkit-go/zkit/internal/election"
	"github.com/zkit-go/zkit/internal/engine"
	"github.com/zkit-go/zkit/internal/members"
	"github.com/zkit-go/zkit/internal/quorumnet"
)

// lookForLeader runs the election until it decides (false: the peer
// stopped), serving read-only clients meanwhile in read-only mode.
func (p *Peer) lookForLeader() (election.Decision, bool) {
	p.setState(Looking)
	p.stats.startLooking()
	_, cur := p.epochs()
	p.elec.Start(p.lastLogged, cur)
	tick := time.NewTicker(p.cfg.ElectionTick)
	defer tick.Stop()
	// Read-only mode: after a grace period without a leader, serve
	// read-only clients from what this member has applied, until the
	// election decides (QuorumPeer starts a ReadOnlyZooKeeperServer the
	// same way). Its clients are dropped then and reconnect.
	var roStart <-chan time.Time
	if p.cfg.ReadOnlyMode {
		t := time.NewTimer(p.readOnlyDelay())
		defer t.Stop()
		roStart = t.C
	}
	defer p.stopEngine()
	for {
		if d := p.flushElection(); d != nil {
			p.log.Info("election decided", "leader", d.Leader, "role", d.Role.String(), "zxid", hexZxid(d.Zxid))
			p.stats.elected()
			return *d, true
		}
		select {
		case <-roStart:
			roStart = nil
			p.mu.Lock()
			gen := p.gen
			p.mu.Unlock()
			if _, err := p.startEngine(engine.RoleReadOnly, 0, gen); err != nil {
				p.log.Error("cannot start read-only mode", "err", err)
			}
		case m := <-p.elecNet.Recv():
			p.stepElection(m)
		case <-tick.C:
			p.elec.Tick()
		case <-p.ops:
			// No role: whatever an old engine asked is void.
		case <-p.stop:
			return election.Decision{}, false
		}
	}
}

// readOnlyDelay is how long a looking peer waits before serving read-only
// clients: ZooKeeper's grace period, max(2 s, tickTime).
func (p *Peer) readOnlyDelay() time.Duration {
	return max(2*time.Second, p.cfg.TickTime)
}

func (p *Peer) stepElection(m quorumnet.Received) {
	n, err := election.DecodeNotification(m.Msg)
	if err != nil {
		p.log.Warn("bad election notification", "from", m.From, "err", err)
		return
	}
	if p.adoptGossipedConfig(n.Config) {
		return
	}
	p.elec.Step(m.From, n)
}

// adoptGossipedConfig takes a newer configuration from a notification
// while looking, as FastLeaderElection's receiver does (processReconfig,
// then a new round): a member that was away when a reconfig committed, or
// a joiner started with a partial view, finds the ensemble as it is now.
// Every member sends its active configuration, one a quorum agreed on.
func (p *Peer) adoptGossipedConfig(text []byte) bool {
	if !p.cfg.ReconfigEnabled || len(text) == 0 || p.elec.State() != election.Looking {
		return false
	}
	ms, v, err := members.ParseText(string(text))
	if err != nil || v <= p.cfgVersion || len(ms) == 0 {
		return false
	}
	p.log.Info("adopting a newer configuration from an election notification", "version", hexZxid(v), "mine", hexZxid(p.cfgVersion))
	p.activateConfig(ms, v, 0)
	p.mu.Lock()
	serving := p.eng != nil // read-only mode: the tree is the engine's
	p.mu.Unlock()
	if !serving {
		p.initConfigNode()
	}
	if _, isMember := p.members[p.cfg.ID]; !isMember {
		mb := membership(ms)
		if err := p.elec.SetOutsideConfig(mb.Voters, mb.Observers, p.configText); err != nil {
			p.log.Error("cannot switch the election to the new configuration", "err", err)
			return true
		}
	}
	_, cur := p.epochs()
	p.elec.Start(p.lastLogged, cur)
	return true
}

// flushElection sends the election core's messages (looping back those to
// itself) and returns its decision, if any.
func (p *Peer) flushElection() *election.Decision {
	var dec *election.Decision
	for p.elec.HasReady() {
		rd := p.elec.Ready()
		p.elec.Advance()
		if rd.Decision != nil {
			d := *rd.Decision
			dec = &d
		}
		for _, m := range rd.Messages {
			if m.To == p.cfg.ID {
				p.elec.Step(p.cfg.ID, m.Notification)
				continue
			}
			p.elecNet.Send(m.To, election.AppendNotification(nil, m.Notification))
		}
	}
	return dec
}

// designate records the leader a committed reconfig named, so the next
// role is taken without an election (QuorumPeer's reconfigFlag), when it
// is a voter of the configuration now active.
func (p *Peer) designate(leader int64) {
	if m, ok := p.members[leader]; !ok || m.Observer {
		return
	}
	d := p.elec.Designate(leader, p.cfgVersion)
	p.designated = &d
}
