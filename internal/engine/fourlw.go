package engine

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"os/user"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/zkit-go/zkit/internal/buildinfo"
	"github.com/zkit-go/zkit/internal/metrics"
)

// Version is what the server reports as its ZooKeeper version: the
// ZooKeeper release whose protocol it speaks, then zkit's revision and
// build date (package buildinfo).
var Version = buildinfo.Read().ZooKeeperVersion()

// fourLetterWords are the commands ZooKeeper 3.8 knows.
var fourLetterWords = map[string]bool{
	"conf": true, "cons": true, "crst": true, "dirs": true, "dump": true,
	"envi": true, "gtmk": true, "ruok": true, "stmk": true, "srvr": true,
	"srst": true, "stat": true, "wchc": true, "wchp": true, "wchs": true,
	"mntr": true, "isro": true, "hash": true,
}

func fourLetterWhitelist(list []string) map[string]bool {
	m := map[string]bool{"srvr": true} // always enabled
	for _, w := range list {
		w = strings.TrimSpace(w)
		if w == "*" {
			for k := range fourLetterWords {
				m[k] = true
			}
			continue
		}
		if fourLetterWords[w] {
			m[w] = true
		}
	}
	return m
}

func (e *Engine) isFourLetterWord(cmd string) bool { return fourLetterWords[cmd] }

// IsFourLetterWord reports whether cmd is one of ZooKeeper's four-letter words.
func IsFourLetterWord(cmd string) bool { return fourLetterWords[cmd] }

// serveFourLetterWord writes a command's text and closes the connection.
func (c *conn) serveFourLetterWord(cmd string, r *bufio.Reader) {
	e := c.e
	c.fourLetter.Store(true)
	c.stats.received.Add(1)
	var text string
	switch {
	case !e.fourLW[cmd]:
		text = cmd + " is not executed because it is not in the whitelist.\n"
	case cmd == "stmk":
		// The mask follows the command as a big-endian int64.
		var mask [8]byte
		if _, err := io.ReadFull(r, mask[:]); err != nil {
			return
		}
		e.SetTraceMask(int64(binary.BigEndian.Uint64(mask[:])))
		text = strconv.FormatInt(e.TraceMask(), 10)
	default:
		text = e.FourLetterWord(cmd)
	}
	c.nc.SetWriteDeadline(time.Now().Add(10 * time.Second))
	c.nc.Write([]byte(text))
}

// FourLetterWord returns the output of a four-letter word, ignoring the
// whitelist (the admin server and tools call it directly). The texts are
// ZooKeeper 3.8's, byte for byte where the values allow. stmk without its
// argument reports the current mask.
func (e *Engine) FourLetterWord(cmd string) string {
	var b strings.Builder
	switch cmd {
	case "ruok":
		return "imok"
	case "isro":
		if e.cfg.Role == RoleReadOnly {
			return "ro"
		}
		return "rw"
	case "srvr":
		e.writeServerStats(&b, false)
	case "stat":
		e.writeServerStats(&b, true)
	case "conf":
		e.writeConf(&b)
	case "cons":
		e.writeConnections(&b)
		b.WriteString("\n")
	case "crst":
		e.ResetConnectionStats()
		return "Connection stats reset.\n"
	case "srst":
		e.ResetStats()
		return "Server stats reset.\n"
	case "mntr":
		e.writeMonitor(&b)
	case "envi":
		e.writeEnvironment(&b)
	case "wchs":
		conns, paths, total := e.WatchSummary()
		fmt.Fprintf(&b, "%d connections watching %d paths\nTotal watches:%d\n", conns, paths, total)
	case "wchc":
		bySession := e.WatchesBySession()
		for _, id := range sortedIDs(bySession) {
			fmt.Fprintf(&b, "0x%x\n", uint64(id))
			for _, p := range bySession[id] {
				fmt.Fprintf(&b, "\t%s\n", p)
			}
		}
		b.WriteString("\n")
	case "wchp":
		byPath := e.WatchesByPath()
		paths := make([]string, 0, len(byPath))
		for p := range byPath {
			paths = append(paths, p)
		}
		sort.Strings(paths)
		for _, p := range paths {
			fmt.Fprintf(&b, "%s\n", p)
			for _, id := range byPath[p] {
				fmt.Fprintf(&b, "\t0x%x\n", uint64(id))
			}
		}
		b.WriteString("\n")
	case "dump":
		e.writeDump(&b)
	case "dirs":
		fmt.Fprintf(&b, "datadir_size: %d\nlogdir_size: %d\n", dirSize(e.cfg.Info.DataDir), dirSize(e.cfg.Info.DataLogDir))
	case "gtmk", "stmk":
		return strconv.FormatInt(e.TraceMask(), 10)
	case "hash":
		for _, d := range e.DigestLog() {
			fmt.Fprintf(&b, "%x: %d\n", d.Zxid, d.Digest)
		}
	}
	return b.String()
}

// javaDouble formats a float as Java's Double.toString does.
func javaDouble(v float64) string { return metrics.JavaDouble(v) }

func (e *Engine) latency() (min, max int64, avg float64) {
	e.stats.latencyMu.Lock()
	defer e.stats.latencyMu.Unlock()
	if e.stats.latencyCount > 0 {
		// Rounded to four decimals, as ZooKeeper's AvgMinMaxCounter.
		avg = math.Round(float64(e.stats.latencySum)/float64(e.stats.latencyCount)*1e4) / 1e4
	}
	return e.stats.latencyMin, e.stats.latencyMax, avg
}

func (e *Engine) connCount() int {
	e.connsMu.Lock()
	defer e.connsMu.Unlock()
	return len(e.conns)
}

func (e *Engine) writeServerStats(b *strings.Builder, withClients bool) {
	st := e.Stats()
	fmt.Fprintf(b, "Zookeeper version: %s\n", st.Version)
	if withClients {
		b.WriteString("Clients:\n")
		for _, c := range e.Connections() {
			fmt.Fprintf(b, " /%s[%d](queued=%d,recved=%d,sent=%d)\n", c.Remote, c.InterestOps, c.Queued, c.Received, c.Sent)
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(b, "Latency min/avg/max: %d/%s/%d\n", st.MinLatency, javaDouble(st.AvgLatency), st.MaxLatency)
	fmt.Fprintf(b, "Received: %d\n", st.PacketsReceived)
	fmt.Fprintf(b, "Sent: %d\n", st.PacketsSent)
	fmt.Fprintf(b, "Connections: %d\n", st.Connections)
	fmt.Fprintf(b, "Outstanding: %d\n", st.Outstanding)
	fmt.Fprintf(b, "Zxid: 0x%x\n", st.LastZxid)
	fmt.Fprintf(b, "Mode: %s\n", st.Mode)
	fmt.Fprintf(b, "Node count: %d\n", st.NodeCount)
}

// Mode is the server's role as srvr reports it.
func (e *Engine) Mode() string { return e.cfg.Role.String() }

func (e *Engine) writeConf(b *strings.Builder) {
	i := e.cfg.Info
	fmt.Fprintf(b, "clientPort=%d\n", i.ClientPort)
	if i.SecureClientPort > 0 {
		fmt.Fprintf(b, "secureClientPort=%d\n", i.SecureClientPort)
	} else {
		b.WriteString("secureClientPort=-1\n")
	}
	fmt.Fprintf(b, "dataDir=%s\n", filepath.Join(i.DataDir, "version-2"))
	fmt.Fprintf(b, "dataDirSize=%d\n", dirSize(i.DataDir))
	fmt.Fprintf(b, "dataLogDir=%s\n", filepath.Join(i.DataLogDir, "version-2"))
	fmt.Fprintf(b, "dataLogSize=%d\n", dirSize(i.DataLogDir))
	fmt.Fprintf(b, "tickTime=%d\n", e.cfg.TickTime.Milliseconds())
	fmt.Fprintf(b, "maxClientCnxns=%d\n", e.cfg.MaxClientCnxns)
	fmt.Fprintf(b, "minSessionTimeout=%d\n", e.cfg.MinSessionTimeout.Milliseconds())
	fmt.Fprintf(b, "maxSessionTimeout=%d\n", e.cfg.MaxSessionTimeout.Milliseconds())
	b.WriteString("clientPortListenBacklog=-1\n")
	fmt.Fprintf(b, "serverId=%d\n", e.cfg.ServerID)
}

func (e *Engine) sortedConnsLocked() []*conn {
	cs := make([]*conn, 0, len(e.conns))
	for c := range e.conns {
		cs = append(cs, c)
	}
	sort.Slice(cs, func(i, j int) bool { return cs[i].est.Before(cs[j].est) })
	return cs
}

func (c *conn) queued() int {
	c.pendMu.Lock()
	defer c.pendMu.Unlock()
	return len(c.pending)
}

func (c *conn) resetStats() {
	c.stats.received.Store(0)
	c.stats.sent.Store(0)
	c.stats.minLat.Store(0)
	c.stats.maxLat.Store(0)
	c.stats.sumLat.Store(0)
	c.stats.countLat.Store(0)
	c.stats.lastLat.Store(0)
}

// writeConnections writes cons' lines: the short form for a connection
// without a session (such as the one asking), the long form otherwise.
func (e *Engine) writeConnections(b *strings.Builder) {
	for _, c := range e.Connections() {
		fmt.Fprintf(b, " /%s[%d](queued=%d,recved=%d,sent=%d", c.Remote, c.InterestOps, c.Queued, c.Received, c.Sent)
		if c.SessionID != 0 {
			fmt.Fprintf(b, ",sid=0x%x,lop=%s,est=%d,to=%d,lcxid=0x%x,lzxid=0x%x,lresp=%d,llat=%d,minlat=%d,avglat=%d,maxlat=%d",
				uint64(c.SessionID), c.LastOp, c.Established.UnixMilli(), c.Timeout, uint32(c.LastCxid), uint64(c.LastZxid),
				c.LastResponse, c.LastLatency, c.MinLatency, c.AvgLatency, c.MaxLatency)
		}
		b.WriteString(")\n")
	}
}

// writeMonitor writes mntr: version and state, then the metrics registry.
func (e *Engine) writeMonitor(b *strings.Builder) {
	fmt.Fprintf(b, "zk_version\t%s\nzk_server_state\t%s\n", e.cfg.Info.Version, e.Mode())
	if ps := e.PeerState(); ps != "" {
		fmt.Fprintf(b, "zk_peer_state\t%s\n", ps)
	}
	e.metrics.WriteMntr(b)
}

func (e *Engine) writeEnvironment(b *strings.Builder) {
	host, _ := os.Hostname()
	wd, _ := os.Getwd()
	u, _ := user.Current()
	var uname, home string
	if u != nil {
		uname, home = u.Username, u.HomeDir
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.WriteString("Environment:\n")
	kv := [][2]string{
		{"zookeeper.version", e.cfg.Info.Version},
		{"host.name", host},
		{"go.version", runtime.Version()},
		{"zkit.version", buildinfo.Read().Module},
		{"java.io.tmpdir", os.TempDir()},
		{"os.name", strings.ToUpper(runtime.GOOS[:1]) + runtime.GOOS[1:]},
		{"os.arch", runtime.GOARCH},
		{"user.name", uname},
		{"user.home", home},
		{"user.dir", wd},
		{"os.memory.free", fmt.Sprintf("%dMB", (ms.HeapSys-ms.HeapInuse)>>20)},
		{"os.memory.max", fmt.Sprintf("%dMB", ms.Sys>>20)},
		{"os.memory.total", fmt.Sprintf("%dMB", ms.HeapSys>>20)},
	}
	for _, p := range kv {
		fmt.Fprintf(b, "%s=%s\n", p[0], p[1])
	}
}

func (e *Engine) writeDump(b *strings.Builder) {
	b.WriteString("SessionTracker dump:\n")
	e.writeSessionDump(b)
	e.treeMu.RLock()
	byS := e.tree.AllEphemerals()
	e.treeMu.RUnlock()
	ids := sortedIDs(byS)
	b.WriteString("ephemeral nodes dump:\n")
	fmt.Fprintf(b, "Sessions with Ephemerals (%d):\n", len(ids))
	for _, id := range ids {
		fmt.Fprintf(b, "0x%x:\n", id)
		paths := append([]string(nil), byS[id]...)
		sort.Strings(paths)
		for _, p := range paths {
			fmt.Fprintf(b, "\t%s\n", p)
		}
	}
	b.WriteString("Connections dump:\n")
	e.writeConnectionExpiry(b)
}

// writeSessionDump writes the session tracker part of dump as the
// tracker of ZooKeeper's server in this role does: standalone, its
// sessions' expiry buckets (SessionTrackerImpl); a leader, the same for
// its local sessions prefixed "Local " and then its global ones prefixed
// "Global " (LeaderSessionTracker; no prefixes without local sessions); a
// learner or read-only member, its local sessions' buckets prefixed
// "Local " and then every global session it knows with its timeout, by id
// (LearnerSessionTracker: "Global Sessions(n):", "0x<id>\t<timeout>ms").
func (e *Engine) writeSessionDump(b *strings.Builder) {
	role := e.cfg.Role
	if e.local != nil && role != RoleStandalone {
		b.WriteString("Local ")
		e.local.Dump().WriteTo(b, time.UnixMilli)
	}
	if role.learner() || role == RoleReadOnly {
		global := e.sessions.Sessions()
		fmt.Fprintf(b, "Global Sessions(%d):\n", len(global))
		for _, id := range sortedIDs(global) {
			fmt.Fprintf(b, "0x%x\t%dms\n", uint64(id), global[id])
		}
		return
	}
	if e.local != nil && role == RoleLeader {
		b.WriteString("Global ")
	}
	e.sessions.Dump().WriteTo(b, time.UnixMilli)
}

// writeConnectionExpiry writes the connections grouped by when they would
// time out without traffic, as ZooKeeper's NIO connection expiry queue
// dumps them: buckets of tickTime, a connection's expiry its last activity
// plus its session timeout (the minimum session timeout before a session).
func (e *Engine) writeConnectionExpiry(b *strings.Builder) {
	interval := e.cfg.TickTime.Milliseconds()
	buckets := map[int64][]ConnInfo{}
	conns := e.Connections()
	for _, c := range conns {
		last := c.Established.UnixMilli()
		if c.LastResponse > 0 {
			last = e.started.UnixMilli() + c.LastResponse
		}
		to := int64(c.Timeout)
		if to <= 0 {
			to = e.cfg.MinSessionTimeout.Milliseconds()
		}
		at := (last+to)/interval*interval + interval
		buckets[at] = append(buckets[at], c)
	}
	times := make([]int64, 0, len(buckets))
	for t := range buckets {
		times = append(times, t)
	}
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	fmt.Fprintf(b, "Connections Sets (%d)/(%d):\n", len(times), len(conns))
	for _, t := range times {
		fmt.Fprintf(b, "%d expire at %s:\n", len(buckets[t]), time.UnixMilli(t).Format(javaDateLayout))
		for _, c := range buckets[t] {
			fmt.Fprintf(b, "\tip: /%s sessionId: 0x%x\n", c.Remote, uint64(c.SessionID))
		}
	}
}

// javaDateLayout is java.util.Date.toString's format.
const javaDateLayout = "Mon Jan 02 15:04:05 MST 2006"

func dirSize(dir string) int64 {
	var total int64
	entries, err := os.ReadDir(filepath.Join(dir, "version-2"))
	if err != nil {
		return 0
	}
	for _, en := range entries {
		if info, err := en.Info(); err == nil && !info.IsDir() {
			total += info.Size()
		}
	}
	return total
}

func openFDs() int {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return 0
	}
	return len(entries)
}

func sortedIDs[V any](m map[int64]V) []int64 {
	ids := make([]int64, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}
