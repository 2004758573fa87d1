package engine

import (
	"bufio"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Version is what the server reports as its ZooKeeper version: the
// ZooKeeper release whose protocol it speaks, then zkit's own.
const Version = "3.8.0-zkit, built on unknown"

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
	var text string
	switch {
	case !e.fourLW[cmd]:
		text = cmd + " is not executed because it is not in the whitelist.\n"
	default:
		if cmd == "stmk" {
			var mask [8]byte
			if _, err := r.Read(mask[:]); err != nil {
				return
			}
		}
		text = e.FourLetterWord(cmd)
	}
	c.nc.SetWriteDeadline(time.Now().Add(10 * time.Second))
	c.nc.Write([]byte(text))
}

// FourLetterWord returns the output of a four-letter word, ignoring the
// whitelist (the admin server and tools call it directly).
func (e *Engine) FourLetterWord(cmd string) string {
	var b strings.Builder
	switch cmd {
	case "ruok":
		return "imok"
	case "isro":
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
		e.connsMu.Lock()
		for c := range e.conns {
			c.resetStats()
		}
		e.connsMu.Unlock()
		return "Connection stats reset.\n"
	case "srst":
		e.stats.reset()
		return "Server stats reset.\n"
	case "mntr":
		e.writeMonitor(&b)
	case "envi":
		e.writeEnvironment(&b)
	case "wchs":
		s := e.tree.DataWatches().Summary()
		fmt.Fprintf(&b, "%d connections watching %d paths\nTotal watches:%d\n", s.Connections, s.Paths, s.Total)
	case "wchc":
		bySession := e.tree.DataWatches().BySession()
		for _, id := range sortedIDs(bySession) {
			fmt.Fprintf(&b, "0x%x\n", id)
			paths := append([]string(nil), bySession[id]...)
			sort.Strings(paths)
			for _, p := range paths {
				fmt.Fprintf(&b, "\t%s\n", p)
			}
		}
	case "wchp":
		byPath := e.tree.DataWatches().ByPath()
		paths := make([]string, 0, len(byPath))
		for p := range byPath {
			paths = append(paths, p)
		}
		sort.Strings(paths)
		for _, p := range paths {
			fmt.Fprintf(&b, "%s\n", p)
			for _, id := range byPath[p] {
				fmt.Fprintf(&b, "\t0x%x\n", id)
			}
		}
	case "dump":
		e.writeDump(&b)
	case "dirs":
		fmt.Fprintf(&b, "datadir_size: %d\nlogdir_size: %d\n", dirSize(e.cfg.Info.DataDir), dirSize(e.cfg.Info.DataLogDir))
	case "gtmk", "stmk":
		return "0\n"
	case "hash":
		e.treeMu.RLock()
		fmt.Fprintf(&b, "%x: %d\n", e.tree.LastProcessedZxid(), e.tree.Digest())
		e.treeMu.RUnlock()
	}
	return b.String()
}

// javaDouble formats a float as Java's Double.toString does for ordinary
// values: always with a decimal point.
func javaDouble(v float64) string {
	s := strconv.FormatFloat(v, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

func (e *Engine) latency() (min, max int64, avg float64) {
	e.stats.latencyMu.Lock()
	defer e.stats.latencyMu.Unlock()
	if e.stats.latencyCount > 0 {
		avg = float64(e.stats.latencySum) / float64(e.stats.latencyCount)
	}
	return e.stats.latencyMin, e.stats.latencyMax, avg
}

func (e *Engine) connCount() int {
	e.connsMu.Lock()
	defer e.connsMu.Unlock()
	return len(e.conns)
}

func (e *Engine) writeServerStats(b *strings.Builder, withClients bool) {
	fmt.Fprintf(b, "Zookeeper version: %s\n", e.cfg.Info.Version)
	if withClients {
		b.WriteString("Clients:\n")
		e.connsMu.Lock()
		for _, c := range e.sortedConnsLocked() {
			fmt.Fprintf(b, " /%s[%d](queued=%d,recved=%d,sent=%d)\n", c.remote, 1,
				c.queued(), c.stats.received.Load(), c.stats.sent.Load())
		}
		e.connsMu.Unlock()
		b.WriteString("\n")
	}
	min, max, avg := e.latency()
	fmt.Fprintf(b, "Latency min/avg/max: %d/%s/%d\n", min, javaDouble(avg), max)
	fmt.Fprintf(b, "Received: %d\n", e.stats.received.Load())
	fmt.Fprintf(b, "Sent: %d\n", e.stats.sent.Load())
	fmt.Fprintf(b, "Connections: %d\n", e.connCount())
	fmt.Fprintf(b, "Outstanding: %d\n", e.stats.outstanding.Load())
	e.treeMu.RLock()
	zxid, nodes := e.tree.LastProcessedZxid(), e.tree.NodeCount()
	e.treeMu.RUnlock()
	fmt.Fprintf(b, "Zxid: 0x%x\n", zxid)
	fmt.Fprintf(b, "Mode: %s\n", e.Mode())
	fmt.Fprintf(b, "Node count: %d\n", nodes)
}

// Mode is the server's role as srvr reports it.
func (e *Engine) Mode() string { return e.cfg.Role.String() }

func (e *Engine) writeConf(b *strings.Builder) {
	i := e.cfg.Info
	fmt.Fprintf(b, "clientPort=%d\n", i.ClientPort)
	b.WriteString("secureClientPort=-1\n")
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

func (e *Engine) writeConnections(b *strings.Builder) {
	e.connsMu.Lock()
	conns := e.sortedConnsLocked()
	e.connsMu.Unlock()
	for _, c := range conns {
		s := &c.stats
		var avg float64
		if n := s.countLat.Load(); n > 0 {
			avg = float64(s.sumLat.Load()) / float64(n)
		}
		lzxid := s.lastZxid.Load()
		if s.countLat.Load() == 0 {
			lzxid = -1
		}
		fmt.Fprintf(b, " /%s[1](queued=%d,recved=%d,sent=%d,sid=0x%x,lop=%s,est=%d,to=%d,lcxid=0x%x,lzxid=0x%x,lresp=%d,llat=%d,minlat=%d,avglat=%s,maxlat=%d)\n",
			c.remote, c.queued(), s.received.Load(), s.sent.Load(), c.sessionID.Load(),
			s.lastOp.Load(), c.est.UnixMilli(), c.timeout.Load(), s.lastCxid.Load(), uint64(lzxid),
			s.lastResp.Load(), s.lastLat.Load(), s.minLat.Load(), javaDouble(avg), s.maxLat.Load())
	}
}

func (e *Engine) writeMonitor(b *strings.Builder) {
	min, max, avg := e.latency()
	e.treeMu.RLock()
	nodes := e.tree.NodeCount()
	size := e.tree.ApproximateDataSize()
	ephemerals := e.tree.EphemeralsCount()
	e.treeMu.RUnlock()
	watches := e.tree.WatchCount()
	kv := [][2]string{
		{"version", e.cfg.Info.Version},
		{"server_state", e.Mode()},
		{"avg_latency", javaDouble(avg)},
		{"max_latency", strconv.FormatInt(max, 10)},
		{"min_latency", strconv.FormatInt(min, 10)},
		{"packets_received", strconv.FormatInt(e.stats.received.Load(), 10)},
		{"packets_sent", strconv.FormatInt(e.stats.sent.Load(), 10)},
		{"num_alive_connections", strconv.Itoa(e.connCount())},
		{"outstanding_requests", strconv.FormatInt(e.stats.outstanding.Load(), 10)},
		{"uptime", strconv.FormatInt(time.Since(e.started).Milliseconds(), 10)},
		{"znode_count", strconv.Itoa(nodes)},
		{"watch_count", strconv.Itoa(watches)},
		{"ephemerals_count", strconv.Itoa(ephemerals)},
		{"approximate_data_size", strconv.FormatInt(size, 10)},
		{"global_sessions", strconv.Itoa(e.sessions.Len())},
		{"local_sessions", "0"},
		{"open_file_descriptor_count", strconv.Itoa(openFDs())},
		{"max_file_descriptor_count", strconv.FormatUint(maxFDs(), 10)},
		{"connection_drop_probability", "0.0"},
		{"auth_failed_count", "0"},
	}
	for _, p := range kv {
		fmt.Fprintf(b, "zk_%s\t%s\n", p[0], p[1])
	}
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
	e.sessions.Dump().WriteTo(b, time.UnixMilli)
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
	e.connsMu.Lock()
	n := len(e.conns)
	e.connsMu.Unlock()
	fmt.Fprintf(b, "Connections Sets (%d)\n", n)
}

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

func sortedIDs(m map[int64][]string) []int64 {
	ids := make([]int64, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}
