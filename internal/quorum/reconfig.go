package quorum

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/zkit-go/zkit/internal/engine"
	"github.com/zkit-go/zkit/internal/members"
	"github.com/zkit-go/zkit/internal/proto"
	"github.com/zkit-go/zkit/internal/statemachine"
	"github.com/zkit-go/zkit/internal/zab"

	"github.com/zkit-go/zkit/internal/vfs"
)

// ErrBadConfigText reports a reconfig txn whose configuration does not
// parse; it wraps members.ErrBadLine's message.
var ErrBadConfigText = errors.New("quorum: bad configuration text")

// membership splits members into sorted voters and observers.
func membership(ms []members.Member) zab.Membership {
	var m zab.Membership
	for _, x := range ms {
		if x.Observer {
			m.Observers = append(m.Observers, x.ID)
		} else {
			m.Voters = append(m.Voters, x.ID)
		}
	}
	sort.Slice(m.Voters, func(i, j int) bool { return m.Voters[i] < m.Voters[j] })
	sort.Slice(m.Observers, func(i, j int) bool { return m.Observers[i] < m.Observers[j] })
	return m
}

// nextMembers applies a reconfig request to the last seen members
// (PrepRequestProcessor: newMembers replaces them; otherwise leaving ids
// go and joining "server.N=spec" entries, each with a client port, are
// added or replace their id).
func nextMembers(cur []members.Member, req *proto.ReconfigRequest) ([]members.Member, error) {
	// Java's null strings arrive as "".
	if req.NewMembers != "" {
		ms, _, err := members.ParseText(req.NewMembers)
		if err != nil {
			return nil, proto.ErrBadArguments
		}
		return ms, nil
	}
	next := make(map[int64]members.Member, len(cur))
	for _, m := range cur {
		next[m.ID] = m
	}
	if req.LeavingServers != "" {
		for _, s := range strings.Split(req.LeavingServers, ",") {
			if s = strings.TrimSpace(s); s == "" {
				continue
			}
			id, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return nil, proto.ErrBadArguments
			}
			delete(next, id)
		}
	}
	if req.JoiningServers != "" {
		for _, s := range strings.Split(req.JoiningServers, ",") {
			if s = strings.TrimSpace(s); s == "" {
				continue
			}
			k, v, ok := strings.Cut(s, "=")
			if !ok {
				return nil, proto.ErrBadArguments
			}
			id, err := strconv.ParseInt(strings.TrimSpace(k[strings.LastIndexByte(k, '.')+1:]), 10, 64)
			if err != nil {
				return nil, proto.ErrBadArguments
			}
			m, err := members.Parse(id, v)
			if err != nil || m.ClientAddr == "" {
				return nil, proto.ErrBadArguments
			}
			next[id] = m
		}
	}
	ms := make([]members.Member, 0, len(next))
	for _, m := range next {
		ms = append(ms, m)
	}
	return members.Sorted(ms), nil
}

// txnType reads the type of a logged PROPOSAL body's TxnHeader (clientId
// 8, cxid 4, zxid 8, time 8, type 4) without decoding the txn: noteLogged
// looks for a reconfig in a learner's logged tail, which is decoded only
// when it commits. Committed txns are typed (commitLeader).
func txnType(data []byte) proto.OpCode {
	if len(data) < 32 {
		return 0
	}
	return proto.OpCode(int32(binary.BigEndian.Uint32(data[28:])))
}

// reconfigConfig returns the members and version a logged reconfig txn
// activates, from its entry bytes (noteLogged: a learner's logged tail is
// not decoded until it commits).
func reconfigConfig(data []byte) ([]members.Member, int64, error) {
	t, err := statemachine.Decode(data)
	if err != nil {
		return nil, 0, err
	}
	return txnConfig(t)
}

// reconfigOf returns the members and version a reconfig txn activates.
// The configuration this leader's NextConfig built for it (the last seen
// one, versioned with the txn's zxid) is taken as built; any other
// reconfig's text, a learner's, is parsed.
func (p *Peer) reconfigOf(t *engine.Txn) ([]members.Member, int64, error) {
	p.cfgMu.Lock()
	ms, v := p.lastSeenMembers, p.lastSeenVersion
	p.cfgMu.Unlock()
	if v == t.Hdr.Zxid && v != 0 {
		return ms, v, nil
	}
	return txnConfig(t)
}

// txnConfig returns the members and version a reconfig txn activates,
// from the configuration text it carries.
func txnConfig(t *engine.Txn) ([]members.Member, int64, error) {
	sd, ok := t.Record.(*proto.SetDataTxn)
	if !ok {
		return nil, 0, fmt.Errorf("%w: reconfig txn is not a setData", ErrBadConfigText)
	}
	ms, version, err := members.ParseText(string(sd.Data))
	if err != nil {
		return nil, 0, fmt.Errorf("%w: %w", ErrBadConfigText, err)
	}
	return ms, version, nil
}

// leaderReconfig is the leader engine's engine.Reconfigurer.
type leaderReconfig struct{ p *Peer }

func (r leaderReconfig) NextConfig(req *proto.ReconfigRequest, zxid int64) ([]byte, error) {
	return r.next(req, zxid, true)
}

// CheckConfig is NextConfig without marking a reconfig in progress
// (engine.ReconfigChecker), so the engine can check the caller's
// permission after the configuration, in Java's order.
func (r leaderReconfig) CheckConfig(req *proto.ReconfigRequest) error {
	_, err := r.next(req, 0, false)
	return err
}

// next checks req against the last seen configuration and, if mark, makes
// the new one (version zxid) the last seen: a reconfig in progress.
func (r leaderReconfig) next(req *proto.ReconfigRequest, zxid int64, mark bool) ([]byte, error) {
	p := r.p
	p.cfgMu.Lock()
	defer p.cfgMu.Unlock()
	if p.lastSeenVersion != p.activeVersion {
		return nil, proto.ErrReconfigInProgress
	}
	if req.CurConfigID != -1 && req.CurConfigID != p.lastSeenVersion {
		p.log.Warn("reconfig from an old configuration", "from", hexZxid(req.CurConfigID), "lastSeen", hexZxid(p.lastSeenVersion))
		return nil, proto.ErrBadVersion
	}
	ms, err := nextMembers(p.lastSeenMembers, req)
	if err != nil {
		return nil, err
	}
	mb := membership(ms)
	if len(mb.Voters) < 2 && !(p.cfg.SingleVoterAllowed && len(mb.Voters) == 1) {
		p.log.Warn("reconfig failed: the new configuration must include at least 2 followers")
		return nil, proto.ErrBadArguments
	}
	if !quorumOf(mb.Voters, p.syncedSet) {
		p.log.Warn("reconfig failed: there must be a connected and synced quorum in the new configuration")
		return nil, proto.ErrNewConfigNoQuorum
	}
	if !mark {
		return nil, nil
	}
	// From here the reconfig is in progress (lastSeenQuorumVerifier): a
	// second one is refused until this one commits or the role ends.
	p.lastSeenMembers, p.lastSeenVersion = ms, zxid
	return members.ConfigText(ms, zxid), nil
}

func quorumOf(voters []int64, set map[int64]bool) bool { return members.IsQuorum(voters, set) }

// activateConfig switches this member to a committed configuration
// (QuorumPeer.processReconfig): members, voters and observers, the
// election, the dynamic configuration file. It reports whether the
// current role must end: the member changed between voter and observer,
// or (learner) its leader is no longer a voter, or (leader) it is no
// longer a voter itself.
//
// A server the configuration leaves out, like one joining before the
// reconfig that adds it, keeps following the leader as ZooKeeper's does:
// its acknowledgements do not count, it keeps serving its clients, and a
// later reconfig can add it back without a restart. Its election keeps the
// view it had, which lists it, so it can find the leader again.
func (p *Peer) activateConfig(ms []members.Member, version int64, leader int64) (endRole bool) {
	if version <= p.cfgVersion {
		return false
	}
	oldMe, wasMember := p.members[p.cfg.ID]
	p.members = make(map[int64]members.Member, len(ms))
	for _, m := range ms {
		p.members[m.ID] = m
	}
	mb := membership(ms)
	p.voters, p.observers = mb.Voters, mb.Observers
	p.cfgVersion = version
	p.configText = members.ConfigText(ms, version)
	p.cfgMu.Lock()
	p.activeVersion = version
	if version >= p.lastSeenVersion {
		p.lastSeenMembers, p.lastSeenVersion = ms, version
	}
	p.cfgMu.Unlock()
	if p.logged != nil && p.logged.version <= version {
		p.forgetLogged()
	}
	p.elecNetAddMembers(ms)
	p.writeDynamicConfig()
	p.log.Info("configuration activated", "version", hexZxid(version), "voters", mb.Voters, "observers", mb.Observers)
	me, isMember := p.members[p.cfg.ID]
	if !isMember {
		p.log.Warn("this server is not in the configuration; it follows the leader without a vote")
		return leader == p.cfg.ID
	}
	p.me = me
	if err := p.elec.SetConfig(mb.Voters, mb.Observers, p.configText); err != nil {
		p.log.Error("cannot switch the election to the new configuration", "err", err)
		return true
	}
	if wasMember && oldMe.Observer != me.Observer {
		return true
	}
	if leader != p.cfg.ID {
		if lm, ok := p.members[leader]; !ok || lm.Observer {
			return true
		}
	}
	return false
}

// loggedConfig is a reconfig's configuration found in the txn log.
type loggedConfig struct {
	members []members.Member
	version int64
}

// noteLogged records the newest reconfig among entries, just logged, that
// is newer than the active configuration and anything recorded before, and
// writes it to <DynamicConfigPrefix>.dynamic.next as ZooKeeper does
// (QuorumPeer.setLastSeenQuorumVerifier). Only with reconfig enabled, as
// there.
func (p *Peer) noteLogged(entries []zab.Entry) {
	if !p.cfg.ReconfigEnabled {
		return
	}
	for _, en := range entries {
		if txnType(en.Data) != proto.OpReconfig {
			continue
		}
		ms, v, err := reconfigConfig(en.Data)
		if err != nil {
			p.log.Error("logged reconfig does not parse", "zxid", hexZxid(en.Zxid), "err", err)
			continue
		}
		if v <= p.cfgVersion || (p.logged != nil && v <= p.logged.version) {
			continue
		}
		p.logged = &loggedConfig{members: ms, version: v}
		p.elecNetAddMembers(ms)
		if name := p.nextConfigFile(); name != "" {
			if err := vfs.WriteFileAtomic(vfs.OS{}, name, members.NextFileText(ms, v)); err != nil {
				p.log.Error("cannot write the next dynamic configuration", "file", name, "err", err)
			}
		}
	}
}

// forgetLogged drops the logged configuration: activated, or cut from the
// log by a sync.
func (p *Peer) forgetLogged() {
	p.logged = nil
	if name := p.nextConfigFile(); name != "" {
		if err := os.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
			p.log.Error("cannot remove the next dynamic configuration", "file", name, "err", err)
		}
	}
}

// forgetLoggedAfter drops the logged configuration when a sync (SNAP or
// TRUNC to zxid) cut it from the log.
func (p *Peer) forgetLoggedAfter(zxid int64) {
	if p.logged != nil && p.logged.version > zxid {
		p.forgetLogged()
	}
}

// nextConfigFile is <DynamicConfigPrefix>.dynamic.next, or "" without a
// prefix.
func (p *Peer) nextConfigFile() string {
	if p.cfg.DynamicConfigPrefix == "" {
		return ""
	}
	return p.cfg.DynamicConfigPrefix + ".dynamic.next"
}

// elecNetAddMembers makes the election network know every member of ms,
// so this member can reach a configuration's new voters
// (QuorumPeer.connectNewPeers).
func (p *Peer) elecNetAddMembers(ms []members.Member) {
	for _, m := range ms {
		if m.ID != p.cfg.ID {
			p.elecNet.AddPeer(m.ID, m.ElectionAddr())
		}
	}
}

// writeDynamicConfig writes the activated configuration as ZooKeeper's
// QuorumPeer does: <DynamicConfigPrefix>.dynamic.<version hex> holding the
// server lines in string order, without the version (Java refuses a
// dynamic file with a version line; the name carries it). Then
// Config.ConfigWritten, when set, points the static file at it. Nothing
// without a prefix.
func (p *Peer) writeDynamicConfig() {
	if p.cfg.DynamicConfigPrefix == "" {
		return
	}
	name := p.cfg.DynamicConfigPrefix + ".dynamic." + strconv.FormatInt(p.cfgVersion, 16)
	if err := vfs.WriteFileAtomic(vfs.OS{}, name, members.DynamicFileText(p.memberList())); err != nil {
		p.log.Error("cannot write the dynamic configuration", "file", name, "err", err)
		return
	}
	if p.cfg.ConfigWritten != nil {
		me := p.members[p.cfg.ID]
		if err := p.cfg.ConfigWritten(name, me.ClientAddr != ""); err != nil {
			p.log.Error("cannot point the static configuration at the dynamic one", "file", name, "err", err)
		}
	}
}
