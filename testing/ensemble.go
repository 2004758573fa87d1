package testing

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	gotesting "testing"
	"time"

	"github.com/zkit-go/zkit/internal/testport"
	"github.com/zkit-go/zkit/server"
)

// Ensemble is an in-process ZooKeeper ensemble on loopback, with fault
// injection: members can be stopped, restarted and partitioned.
type Ensemble struct {
	t       gotesting.TB
	Members []*Member
	net     *fabric
	opts    []EnsembleOption      // StartEnsemble's options, for AddMember
	servers []server.QuorumServer // the server list new members start with
}

// Member is one server of an Ensemble.
type Member struct {
	ID  int64
	e   *Ensemble
	cfg server.Config

	mu  sync.Mutex // guards srv
	srv *server.Server
}

// EnsembleOption adjusts an ensemble member's configuration.
type EnsembleOption func(id int64, c *server.Config)

// WithMemberConfig lets a test change any member's configuration.
func WithMemberConfig(f func(id int64, c *server.Config)) EnsembleOption { return f }

// WithObservers makes the last n members observers.
func WithObservers(n int) EnsembleOption {
	return func(id int64, c *server.Config) {
		for i := range c.Servers {
			if i >= len(c.Servers)-n {
				c.Servers[i].Observer = true
			}
		}
		for _, s := range c.Servers {
			if s.ID == id && s.Observer {
				c.PeerType = "observer"
			}
		}
	}
}

// StartEnsemble starts n members on free loopback ports with their data in
// t.TempDir(), waits until every member serves, and closes them when the
// test ends. The defaults suit tests: tickTime 100 ms (sessions time out
// within 2 s to 20 s... 200 ms to 2 s), every four-letter word enabled,
// extended types on.
func StartEnsemble(t gotesting.TB, n int, opts ...EnsembleOption) *Ensemble {
	t.Helper()
	if n < 1 {
		t.Fatalf("zktesting: an ensemble needs at least one member, not %d", n)
	}
	e := &Ensemble{t: t, net: newFabric(), opts: opts}
	type ports struct{ client, quorum, election net.Listener }
	all := make([]ports, n)
	servers := make([]server.QuorumServer, n)
	for i := range all {
		for _, l := range []*net.Listener{&all[i].client, &all[i].quorum, &all[i].election} {
			ln, err := listenOutsideEphemeral()
			if err != nil {
				t.Fatalf("zktesting: reserve a port: %v", err)
			}
			*l = ln
		}
		servers[i] = server.QuorumServer{
			ID:            int64(i + 1),
			Host:          "127.0.0.1",
			QuorumPort:    portOf(all[i].quorum),
			ElectionPort:  portOf(all[i].election),
			ClientAddress: all[i].client.Addr().String(),
		}
	}
	e.servers = append([]server.QuorumServer(nil), servers...)
	for i := range all {
		id := int64(i + 1)
		dir := filepath.Join(t.TempDir(), fmt.Sprintf("member%d", id))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatalf("zktesting: %v", err)
		}
		if err := os.WriteFile(filepath.Join(dir, "myid"), []byte(strconv.FormatInt(id, 10)), 0o644); err != nil {
			t.Fatalf("zktesting: %v", err)
		}
		cfg := server.DefaultConfig()
		cfg.DataDir = dir
		cfg.ServerID = id
		cfg.TickTime = 100 * time.Millisecond
		cfg.InitLimit = 20
		cfg.SyncLimit = 10
		cfg.ExtendedTypesEnabled = true
		cfg.MaxClientCnxns = 0
		cfg.Servers = append([]server.QuorumServer(nil), servers...)
		cfg.ClientPortAddress = "127.0.0.1"
		cfg.ClientPort = portOf(all[i].client)
		cfg.Logger = testLogger()
		for _, o := range opts {
			o(id, &cfg)
		}
		m := &Member{ID: id, e: e, cfg: cfg}
		e.net.reserve(id, all[i].client, all[i].quorum, all[i].election)
		e.net.markQuorum(all[i].quorum.Addr().String())
		cfg.Listen = e.net.listen(id)
		cfg.Dial = e.net.dial(id)
		m.cfg = cfg
		e.Members = append(e.Members, m)
	}
	t.Cleanup(e.Close)
	for _, m := range e.Members {
		m.start()
	}
	e.WaitServing(60 * time.Second)
	return e
}

func portOf(l net.Listener) int { return l.Addr().(*net.TCPAddr).Port }

// listenOutsideEphemeral binds a loopback port below the kernel's
// ephemeral range (see package testport): a member's ports must be free
// again when it restarts.
func listenOutsideEphemeral() (net.Listener, error) { return testport.Listen() }

// FreePort returns a loopback port that is free now and lies below the
// kernel's ephemeral range, for a server a test restarts on the same port
// (a port from the ephemeral range can meanwhile become the local port of
// an outgoing connection, even of a client dialling that very port).
func FreePort() (int, error) { return testport.Free() }

// AddMember starts a new member, the next id, on fresh loopback ports,
// configured with the ensemble's server list plus itself (the way a
// server joining by dynamic reconfiguration is started), StartEnsemble's
// options and then opts. It does not wait for the member to serve: it
// serves once it has synced with the leader. Its server.N line for a
// reconfig is Member.ServerSpec.
func (e *Ensemble) AddMember(opts ...EnsembleOption) *Member {
	t := e.t
	t.Helper()
	var id int64
	for _, m := range e.Members {
		id = max(id, m.ID)
	}
	id++
	var client, quorum, election net.Listener
	for _, l := range []*net.Listener{&client, &quorum, &election} {
		ln, err := listenOutsideEphemeral()
		if err != nil {
			t.Fatalf("zktesting: reserve a port: %v", err)
		}
		*l = ln
	}
	qs := server.QuorumServer{ID: id, Host: "127.0.0.1", QuorumPort: portOf(quorum),
		ElectionPort: portOf(election), ClientAddress: client.Addr().String()}
	e.servers = append(e.servers, qs)
	dir := filepath.Join(t.TempDir(), fmt.Sprintf("member%d", id))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("zktesting: %v", err)
	}
	cfg := server.DefaultConfig()
	cfg.DataDir = dir
	cfg.ServerID = id
	cfg.TickTime = 100 * time.Millisecond
	cfg.InitLimit = 20
	cfg.SyncLimit = 10
	cfg.ExtendedTypesEnabled = true
	cfg.MaxClientCnxns = 0
	cfg.Servers = append([]server.QuorumServer(nil), e.servers...)
	cfg.ClientPortAddress = "127.0.0.1"
	cfg.ClientPort = portOf(client)
	cfg.Logger = testLogger()
	for _, o := range append(append([]EnsembleOption(nil), e.opts...), opts...) {
		o(id, &cfg)
	}
	m := &Member{ID: id, e: e}
	e.net.reserve(id, client, quorum, election)
	e.net.markQuorum(quorum.Addr().String())
	cfg.Listen = e.net.listen(id)
	cfg.Dial = e.net.dial(id)
	m.cfg = cfg
	e.Members = append(e.Members, m)
	m.start()
	return m
}

// ServerSpec is the member's server.N line as a reconfig's joining
// server names it: "server.N=host:quorumPort:electionPort:role;clientAddr".
func (m *Member) ServerSpec() string {
	for _, qs := range m.cfg.Servers {
		if qs.ID == m.ID {
			return qs.Line()
		}
	}
	return ""
}

func (m *Member) start() {
	t := m.e.t
	t.Helper()
	srv, err := server.New(m.cfg)
	if err != nil {
		t.Fatalf("zktesting: member %d: %v", m.ID, err)
	}
	if err := srv.Start(); err != nil {
		t.Fatalf("zktesting: start member %d: %v", m.ID, err)
	}
	m.mu.Lock()
	m.srv = srv
	m.mu.Unlock()
}

// Server returns the member's running server, or nil while stopped.
func (m *Member) Server() *server.Server {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.srv
}

// Addr is the member's client address.
func (m *Member) Addr() string {
	return net.JoinHostPort(m.cfg.ClientPortAddress, strconv.Itoa(m.cfg.ClientPort))
}

// Role is the member's role now ("looking" while stopped).
func (m *Member) Role() server.Role {
	if s := m.Server(); s != nil {
		return s.Role()
	}
	return server.RoleLooking
}

// Stop stops the member; its data stays for Restart.
func (m *Member) Stop() {
	m.mu.Lock()
	srv := m.srv
	m.srv = nil
	m.mu.Unlock()
	if srv != nil {
		srv.Close()
	}
}

// Kill is Stop: an in-process member cannot lose more than a stop loses,
// since everything it acknowledged was fsynced.
func (m *Member) Kill() { m.Stop() }

// Restart stops the member if it runs and starts it again on its ports
// and data.
func (m *Member) Restart() {
	m.Stop()
	m.start()
}

// Servers returns every member's client address, for zk.Connect and
// recipes.Connect.
func (e *Ensemble) Servers() []string {
	out := make([]string, len(e.Members))
	for i, m := range e.Members {
		out[i] = m.Addr()
	}
	return out
}

// ConnectString is Servers joined with commas.
func (e *Ensemble) ConnectString() string {
	s := ""
	for i, a := range e.Servers() {
		if i > 0 {
			s += ","
		}
		s += a
	}
	return s
}

// Leader returns the member that leads now, or nil.
func (e *Ensemble) Leader() *Member {
	for _, m := range e.Members {
		if m.Role() == server.RoleLeader {
			return m
		}
	}
	return nil
}

// WaitLeader waits for a leader and returns it.
func (e *Ensemble) WaitLeader(timeout time.Duration) *Member {
	e.t.Helper()
	var l *Member
	Eventually(e.t, timeout, func() bool { l = e.Leader(); return l != nil }, "ensemble has a leader")
	return l
}

// WaitServing waits until every running member serves clients.
func (e *Ensemble) WaitServing(timeout time.Duration) {
	e.t.Helper()
	Eventually(e.t, timeout, func() bool {
		for _, m := range e.Members {
			s := m.Server()
			if s == nil {
				continue
			}
			if r := s.Role(); r == server.RoleLooking {
				return false
			}
		}
		return true
	}, "every member serves")
}

// ExpireSession ends a session on the leader, as if it timed out.
func (e *Ensemble) ExpireSession(id int64) {
	e.t.Helper()
	Eventually(e.t, 30*time.Second, func() bool {
		l := e.Leader()
		return l != nil && l.Server() != nil && l.Server().ExpireSession(id)
	}, "expire the session on the leader")
}

// Partition cuts the network between groups of members (by id): members
// in different groups cannot reach each other until Heal. Members not
// named form one more group. Clients are not affected.
func (e *Ensemble) Partition(groups ...[]int64) { e.net.partition(groups) }

// PartitionQuorum cuts only the quorum (Zab) connections between groups,
// as Partition does for all of them: leader election still reaches
// everyone, so a member can win an election and yet be unable to sync the
// members that voted for it. Heal undoes it.
func (e *Ensemble) PartitionQuorum(groups ...[]int64) { e.net.partitionQuorum(groups) }

// Heal undoes Partition and PartitionQuorum.
func (e *Ensemble) Heal() { e.net.heal() }

// Close stops every member.
func (e *Ensemble) Close() {
	var wg sync.WaitGroup
	for _, m := range e.Members {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m.Stop()
		}()
	}
	wg.Wait()
	e.net.close()
}
