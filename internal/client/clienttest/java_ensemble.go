package clienttest

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/zkit-go/zkit/internal/javatest"
	"github.com/zkit-go/zkit/internal/members"
)

// JavaEnsemble is a Java ZooKeeper 3.8 ensemble on loopback, run as an
// oracle for ensemble behaviour (reconfig, read-only mode, local
// sessions). Members can be stopped and started again on their data.
type JavaEnsemble struct {
	Members []*JavaMember
}

// JavaMember is one server of a JavaEnsemble.
type JavaMember struct {
	ID           int64
	Addr         string // client address, 127.0.0.1:port
	QuorumPort   int
	ElectionPort int
	Observer     bool // an observer, not a voter
	dir          string
	cfgPath      string
	jvmFlags     []string

	mu   sync.Mutex // guards proc
	proc *javatest.Process
}

// StartJavaEnsemble starts n Java members, ids 1..n, each in its own
// directory under dir (dir/memberN: zoo.cfg, data/myid, server.log), on
// free loopback ports below the ephemeral range, and waits until every
// member serves. Each zoo.cfg holds tickTime=2000, initLimit=10,
// syncLimit=5, the AdminServer off, every four-letter word allowed,
// extended types on and the server list as
// "server.N=127.0.0.1:quorumPort:electionPort:participant;127.0.0.1:clientPort",
// then extra (later lines win, so extra may override the defaults). With
// reconfigEnabled=true Java moves the server lines into a dynamic file on
// its first start (dynamicConfigFile=...) and rewrites zoo.cfg; Start
// reuses whatever Java left. jvmFlags are added to JavaFlags for every
// member (for example -Dreadonlymode.enabled=true, which Java reads only
// as a JVM property). memberExtra, if not nil, adds zoo.cfg lines for one
// member. It returns ErrNoJava when the jar is absent.
func StartJavaEnsemble(dir string, n int, jvmFlags []string, memberExtra func(id int64) []string, extra ...string) (*JavaEnsemble, error) {
	return StartJavaEnsembleWithObservers(dir, n, 0, jvmFlags, memberExtra, extra...)
}

// StartJavaEnsembleWithObservers is StartJavaEnsemble whose last
// observers members are observers: ":observer" in their server lines and
// peerType=observer in their own zoo.cfg.
func StartJavaEnsembleWithObservers(dir string, n, observers int, jvmFlags []string, memberExtra func(id int64) []string, extra ...string) (*JavaEnsemble, error) {
	if err := javatest.Installed(); err != nil {
		return nil, err
	}
	if n < 1 {
		return nil, fmt.Errorf("clienttest: a java ensemble needs a member, not %d", n)
	}
	e := &JavaEnsemble{}
	for i := 1; i <= n; i++ {
		var ports [3]int
		for j := range ports {
			p, err := freePort()
			if err != nil {
				return nil, err
			}
			ports[j] = p
		}
		e.Members = append(e.Members, &JavaMember{
			ID:           int64(i),
			Addr:         "127.0.0.1:" + strconv.Itoa(ports[0]),
			QuorumPort:   ports[1],
			ElectionPort: ports[2],
			Observer:     i > n-observers,
			dir:          filepath.Join(dir, fmt.Sprintf("member%d", i)),
			jvmFlags:     jvmFlags,
		})
	}
	var servers []string
	for _, m := range e.Members {
		servers = append(servers, m.ServerSpec())
	}
	for _, m := range e.Members {
		data := filepath.Join(m.dir, "data")
		if err := javatest.WriteMyID(data, m.ID); err != nil {
			return nil, err
		}
		lines := append(append([]string(nil), javatest.ServerDefaults...), "initLimit=10", "syncLimit=5", "dataDir="+data)
		lines = append(append(lines, servers...), extra...)
		if m.Observer {
			lines = append(lines, "peerType=observer")
		}
		if memberExtra != nil {
			lines = append(lines, memberExtra(m.ID)...)
		}
		m.cfgPath = filepath.Join(m.dir, "zoo.cfg")
		if err := javatest.WriteConfig(m.cfgPath, lines...); err != nil {
			return nil, err
		}
	}
	// Highest id first: members with equal histories elect the highest id
	// among those present, so this makes the last member the likely first
	// leader, as in zkit's test ensembles (not certain: callers that need
	// a given leader must check).
	for i := len(e.Members) - 1; i >= 0; i-- {
		if err := e.Members[i].launch(); err != nil {
			e.Stop()
			return nil, err
		}
	}
	for _, m := range e.Members {
		if err := waitServing(m.Addr, Scale(90*time.Second)); err != nil {
			e.Stop()
			return nil, fmt.Errorf("clienttest: java member %d did not start; see %s: %w", m.ID, m.LogPath(), err)
		}
	}
	return e, nil
}

// ServerSpec is the member's line as the initial configuration (and a
// reconfig's joining list) names it:
// "server.N=127.0.0.1:quorumPort:electionPort:participant;127.0.0.1:clientPort"
// (observer for an observer).
func (m *JavaMember) ServerSpec() string {
	return members.Member{ID: m.ID, Host: "127.0.0.1", QuorumPort: m.QuorumPort,
		ElectionPort: m.ElectionPort, Observer: m.Observer, ClientAddr: m.Addr}.Format()
}

// LogPath is the member's server.log (every run of it, appended).
func (m *JavaMember) LogPath() string { return filepath.Join(m.dir, "server.log") }

// Dir is the member's directory: zoo.cfg, data/, server.log.
func (m *JavaMember) Dir() string { return m.dir }

func (m *JavaMember) launch() error {
	proc, err := javatest.StartServer(m.cfgPath, m.LogPath(), m.jvmFlags)
	if err != nil {
		return err
	}
	m.mu.Lock()
	m.proc = proc
	m.mu.Unlock()
	return nil
}

// Running reports whether the member's JVM was started and not stopped.
func (m *JavaMember) Running() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.proc != nil
}

// Stop kills the member's JVM and waits for it; its data stays for Start.
// Stopping a stopped member does nothing.
func (m *JavaMember) Stop() {
	m.mu.Lock()
	proc := m.proc
	m.proc = nil
	m.mu.Unlock()
	if proc != nil {
		proc.Stop()
	}
}

// ErrJavaRunning reports a Start of a member that runs.
var ErrJavaRunning = errors.New("clienttest: java member already running")

// Start starts a stopped member again on its ports, configuration and
// data, and waits (up to a scaled 90 s) until it serves: srvr reports a
// Mode, which needs a quorum (or read-only mode).
func (m *JavaMember) Start() error {
	if m.Running() {
		return ErrJavaRunning
	}
	if err := m.launch(); err != nil {
		return err
	}
	return waitServing(m.Addr, Scale(90*time.Second))
}

// Mode is the member's "Mode:" from srvr ("leader", "follower",
// "observer", "read-only", "standalone"), or "" if it does not serve.
func (m *JavaMember) Mode() string {
	for _, line := range strings.Split(FourLetter(m.Addr, "srvr"), "\n") {
		if v, ok := strings.CutPrefix(line, "Mode: "); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// Servers is every member's client address.
func (e *JavaEnsemble) Servers() []string {
	out := make([]string, len(e.Members))
	for i, m := range e.Members {
		out[i] = m.Addr
	}
	return out
}

// Leader is the member whose srvr says "Mode: leader", or nil.
func (e *JavaEnsemble) Leader() *JavaMember {
	for _, m := range e.Members {
		if m.Running() && m.Mode() == "leader" {
			return m
		}
	}
	return nil
}

// Stop stops every member, concurrently.
func (e *JavaEnsemble) Stop() {
	var wg sync.WaitGroup
	for _, m := range e.Members {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m.Stop()
		}()
	}
	wg.Wait()
}
