package admin

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"

	"github.com/zkit-go/zkit/internal/engine"
)

// Object is a JSON object that keeps its keys in insertion order, as
// ZooKeeper's LinkedHashMap responses do.
type Object struct {
	keys []string
	vals map[string]any
}

// Set adds or replaces key.
func (o *Object) Set(key string, v any) {
	if o.vals == nil {
		o.vals = make(map[string]any)
	}
	if _, ok := o.vals[key]; !ok {
		o.keys = append(o.keys, key)
	}
	o.vals[key] = v
}

// Get returns key's value.
func (o *Object) Get(key string) (any, bool) {
	v, ok := o.vals[key]
	return v, ok
}

// Keys returns the keys in order.
func (o *Object) Keys() []string { return append([]string(nil), o.keys...) }

// MarshalJSON writes the keys in order.
func (o *Object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range o.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		b.Write(kb)
		b.WriteByte(':')
		vb, err := json.Marshal(o.vals[k])
		if err != nil {
			return nil, fmt.Errorf("admin: %s: %w", k, err)
		}
		b.Write(vb)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// Info is what the commands need beyond the engine.
type Info struct {
	// InitialConfig is the configuration text the server started from
	// (initial_configuration).
	InitialConfig string
	// Properties are zoo.cfg keys ZooKeeper would make system properties;
	// system_properties lists them as zookeeper.<key>.
	Properties map[string]string
}

// command is one admin command.
type command struct {
	names []string // primary name first
	run   func(e *engine.Engine, info *Info, args map[string]string, resp *Object)
}

// commands is the command table, in primary-name order for the index.
var commands = []command{
	{[]string{"connection_stat_reset", "crst"}, func(e *engine.Engine, _ *Info, _ map[string]string, _ *Object) {
		e.ResetConnectionStats()
	}},
	{[]string{"configuration", "conf", "config"}, runConf},
	{[]string{"connections", "cons"}, func(e *engine.Engine, _ *Info, _ map[string]string, r *Object) {
		r.Set("connections", connections(e, true))
		r.Set("secure_connections", []any{})
	}},
	{[]string{"dirs"}, func(e *engine.Engine, _ *Info, _ map[string]string, r *Object) {
		st := e.Stats()
		r.Set("datadir_size", st.DataDirSize)
		r.Set("logdir_size", st.LogDirSize)
	}},
	{[]string{"dump"}, runDump},
	{[]string{"environment", "env", "envi"}, func(e *engine.Engine, _ *Info, _ map[string]string, r *Object) {
		for _, kv := range environment(e) {
			r.Set(kv[0], kv[1])
		}
	}},
	{[]string{"get_trace_mask", "gtmk"}, func(e *engine.Engine, _ *Info, _ map[string]string, r *Object) {
		r.Set("tracemask", e.TraceMask())
	}},
	{[]string{"hash"}, func(e *engine.Engine, _ *Info, _ map[string]string, r *Object) {
		digests := []any{}
		for _, d := range e.DigestLog() {
			o := &Object{}
			o.Set("zxid", d.Zxid)
			o.Set("digestVersion", d.Version)
			o.Set("digest", d.Digest)
			digests = append(digests, o)
		}
		r.Set("digests", digests)
	}},
	{[]string{"initial_configuration", "icfg"}, func(_ *engine.Engine, info *Info, _ map[string]string, r *Object) {
		r.Set("initial_configuration", info.InitialConfig)
	}},
	{[]string{"is_read_only", "isro"}, func(_ *engine.Engine, _ *Info, _ map[string]string, r *Object) {
		r.Set("read_only", false)
	}},
	{[]string{"last_snapshot", "lsnp"}, runLastSnapshot},
	{[]string{"leader", "lead"}, func(_ *engine.Engine, _ *Info, _ map[string]string, r *Object) {
		// A standalone server has no quorum peer; ZooKeeper answers so.
		r.Set("error", "server is not initialized")
	}},
	{[]string{"monitor", "mntr"}, func(e *engine.Engine, _ *Info, _ map[string]string, r *Object) {
		r.Set("version", e.Config().Info.Version)
		r.Set("server_state", e.Mode())
		if ps := e.PeerState(); ps != "" {
			r.Set("peer_state", ps)
		}
		for _, kv := range e.Metrics().Values() {
			if kv.Value.IsFloat() {
				r.Set(kv.Name, kv.Value.Float64())
			} else {
				r.Set(kv.Name, kv.Value.Int64())
			}
		}
	}},
	{[]string{"observer_connection_stat_reset", "orst"}, func(*engine.Engine, *Info, map[string]string, *Object) {}},
	{[]string{"ruok"}, func(*engine.Engine, *Info, map[string]string, *Object) {}},
	{[]string{"set_trace_mask", "stmk"}, func(e *engine.Engine, _ *Info, args map[string]string, r *Object) {
		v, err := strconv.ParseInt(args["traceMask"], 10, 64)
		if err != nil {
			r.Set("error", "setTraceMask requires long traceMask argument")
			return
		}
		e.SetTraceMask(v)
		r.Set("tracemask", v)
	}},
	{[]string{"server_stats", "srvr"}, func(e *engine.Engine, _ *Info, _ map[string]string, r *Object) {
		serverStats(e, r)
	}},
	{[]string{"stats", "stat"}, func(e *engine.Engine, _ *Info, _ map[string]string, r *Object) {
		serverStats(e, r)
		r.Set("connections", connections(e, false))
		r.Set("secure_connections", []any{})
	}},
	{[]string{"stat_reset", "srst"}, func(e *engine.Engine, _ *Info, _ map[string]string, _ *Object) {
		e.ResetStats()
	}},
	{[]string{"observers", "obsr"}, func(_ *engine.Engine, _ *Info, _ map[string]string, r *Object) {
		r.Set("synced_observers", 0)
		r.Set("observers", []any{})
	}},
	{[]string{"system_properties", "sysp"}, runSystemProperties},
	{[]string{"voting_view"}, func(_ *engine.Engine, _ *Info, _ map[string]string, r *Object) {
		r.Set("current_config", &Object{}) // standalone: no voting members
	}},
	{[]string{"watches", "wchc"}, func(e *engine.Engine, _ *Info, _ map[string]string, r *Object) {
		m := &Object{}
		bySession := e.WatchesBySession()
		for _, id := range sortedKeys(bySession) {
			m.Set(strconv.FormatInt(id, 10), bySession[id])
		}
		r.Set("session_id_to_watched_paths", m)
	}},
	{[]string{"watches_by_path", "wchp"}, func(e *engine.Engine, _ *Info, _ map[string]string, r *Object) {
		m := &Object{}
		byPath := e.WatchesByPath()
		paths := make([]string, 0, len(byPath))
		for p := range byPath {
			paths = append(paths, p)
		}
		sort.Strings(paths)
		for _, p := range paths {
			m.Set(p, byPath[p])
		}
		r.Set("path_to_session_ids", m)
	}},
	{[]string{"watch_summary", "wchs"}, func(e *engine.Engine, _ *Info, _ map[string]string, r *Object) {
		conns, paths, total := e.WatchSummary()
		r.Set("num_connections", conns)
		r.Set("num_paths", paths)
		r.Set("num_total_watches", total)
	}},
	{[]string{"zabstate"}, func(_ *engine.Engine, _ *Info, _ map[string]string, r *Object) {
		r.Set("voting", false)
		r.Set("zabstate", "")
	}},
}

// byName maps every name and alias to its command.
var byName = func() map[string]*command {
	m := make(map[string]*command)
	for i := range commands {
		for _, n := range commands[i].names {
			m[n] = &commands[i]
		}
	}
	return m
}()

// PrimaryNames returns every command's primary name, sorted.
func PrimaryNames() []string {
	names := make([]string, 0, len(commands))
	for _, c := range commands {
		names = append(names, c.names[0])
	}
	sort.Strings(names)
	return names
}

// Run runs the command called name (a primary name or an alias) and
// returns its response: the command's keys, then "command" and "error".
func Run(e *engine.Engine, info *Info, name string, args map[string]string) *Object {
	resp := &Object{}
	c, ok := byName[name]
	if !ok {
		resp.Set("command", name)
		resp.Set("error", "Unknown command: "+name)
		return resp
	}
	if info == nil {
		info = &Info{}
	}
	c.run(e, info, args, resp)
	errVal, hasErr := resp.Get("error")
	// "command" and "error" come last, as ZooKeeper's CommandResponse puts
	// them; an error set by the command keeps its place.
	resp.Set("command", c.names[0])
	if !hasErr {
		errVal = nil
	}
	resp.Set("error", errVal)
	return resp
}

func serverStats(e *engine.Engine, r *Object) {
	st := e.Stats()
	resp := &Object{}
	resp.Set("last_buffer_size", st.ClientResponse.Last)
	resp.Set("min_buffer_size", st.ClientResponse.Min)
	resp.Set("max_buffer_size", st.ClientResponse.Max)
	s := &Object{}
	s.Set("packets_sent", st.PacketsSent)
	s.Set("packets_received", st.PacketsReceived)
	s.Set("fsync_threshold_exceed_count", 0)
	s.Set("client_response_stats", resp)
	s.Set("data_dir_size", st.DataDirSize)
	s.Set("log_dir_size", st.LogDirSize)
	s.Set("provider_null", false)
	s.Set("server_state", st.Mode)
	s.Set("last_processed_zxid", st.LastZxid)
	s.Set("outstanding_requests", st.Outstanding)
	s.Set("avg_latency", st.AvgLatency)
	s.Set("max_latency", st.MaxLatency)
	s.Set("min_latency", st.MinLatency)
	s.Set("num_alive_client_connections", st.Connections)
	s.Set("uptime", st.Uptime.Milliseconds())
	s.Set("auth_failed_count", st.AuthFailed)
	s.Set("non_mtlsremote_conn_count", 0)
	s.Set("non_mtlslocal_conn_count", 0)
	r.Set("version", st.Version)
	r.Set("read_only", false)
	r.Set("server_stats", s)
	r.Set("client_response", resp)
	r.Set("node_count", st.NodeCount)
}

// connections lists the client connections; full adds the session
// details of cons. As ZooKeeper, a connection without a session (such as
// a four-letter word in progress) shows only its brief form.
func connections(e *engine.Engine, full bool) []any {
	out := []any{}
	for _, c := range e.Connections() {
		o := &Object{}
		o.Set("remote_socket_address", c.Remote)
		o.Set("interest_ops", c.InterestOps)
		o.Set("outstanding_requests", c.Queued)
		o.Set("packets_received", c.Received)
		o.Set("packets_sent", c.Sent)
		if full && c.SessionID != 0 {
			o.Set("session_id", c.SessionID)
			o.Set("last_operation", c.LastOp)
			o.Set("established", c.Established.UnixMilli())
			o.Set("session_timeout", c.Timeout)
			o.Set("last_cxid", c.LastCxid)
			o.Set("last_zxid", c.LastZxid)
			o.Set("last_response_time", c.LastResponse)
			o.Set("last_latency", c.LastLatency)
			o.Set("min_latency", c.MinLatency)
			o.Set("avg_latency", c.AvgLatency)
			o.Set("max_latency", c.MaxLatency)
		}
		out = append(out, o)
	}
	return out
}

func runConf(e *engine.Engine, _ *Info, _ map[string]string, r *Object) {
	cfg := e.Config()
	r.Set("client_port", cfg.Info.ClientPort)
	r.Set("data_dir", filepath.Join(cfg.Info.DataDir, "version-2"))
	r.Set("data_log_dir", filepath.Join(cfg.Info.DataLogDir, "version-2"))
	r.Set("tick_time", cfg.TickTime.Milliseconds())
	r.Set("max_client_cnxns", cfg.MaxClientCnxns)
	r.Set("min_session_timeout", cfg.MinSessionTimeout.Milliseconds())
	r.Set("max_session_timeout", cfg.MaxSessionTimeout.Milliseconds())
	r.Set("server_id", cfg.ServerID)
	r.Set("client_port_listen_backlog", -1)
}

func runDump(e *engine.Engine, _ *Info, _ map[string]string, r *Object) {
	expiry := &Object{}
	for _, b := range e.SessionDump().Buckets {
		ids := append([]int64{}, b.IDs...)
		expiry.Set(strconv.FormatInt(b.ExpireAt, 10), ids)
	}
	eph := &Object{}
	byS := e.Ephemerals()
	for _, id := range sortedKeys(byS) {
		eph.Set(strconv.FormatInt(id, 10), byS[id])
	}
	r.Set("expiry_time_to_session_ids", expiry)
	r.Set("session_id_to_ephemeral_paths", eph)
}

// runLastSnapshot reports the newest snapshot file in dataDir/version-2:
// its zxid in hex (from the name) and its modification time in seconds;
// "-1" and -1 when there is none, as ZooKeeper.
func runLastSnapshot(e *engine.Engine, _ *Info, _ map[string]string, r *Object) {
	zxid, ts := int64(-1), int64(-1)
	dir := filepath.Join(e.Config().Info.DataDir, "version-2")
	entries, _ := os.ReadDir(dir)
	for _, en := range entries {
		hex, ok := strings.CutPrefix(en.Name(), "snapshot.")
		if !ok {
			continue
		}
		z, err := strconv.ParseUint(hex, 16, 64)
		if err != nil || int64(z) <= zxid {
			continue
		}
		if info, err := en.Info(); err == nil {
			zxid, ts = int64(z), info.ModTime().Unix()
		}
	}
	if zxid == -1 {
		r.Set("zxid", "ffffffffffffffff") // Long.toHexString(-1)
	} else {
		r.Set("zxid", strconv.FormatUint(uint64(zxid), 16))
	}
	r.Set("timestamp", ts)
}

// environment is envi's list, shared by the four-letter word's keys.
func environment(e *engine.Engine) [][2]string {
	text := e.FourLetterWord("envi")
	var kv [][2]string
	for _, line := range strings.Split(text, "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			kv = append(kv, [2]string{k, v})
		}
	}
	return kv
}

func runSystemProperties(e *engine.Engine, info *Info, _ map[string]string, r *Object) {
	props := map[string]string{
		"file.separator": string(filepath.Separator),
		"line.separator": "\n",
		"path.separator": string(os.PathListSeparator),
		"os.name":        strings.ToUpper(runtime.GOOS[:1]) + runtime.GOOS[1:],
		"os.arch":        runtime.GOARCH,
		"go.version":     runtime.Version(),
		"java.io.tmpdir": os.TempDir(),
	}
	if wd, err := os.Getwd(); err == nil {
		props["user.dir"] = wd
	}
	if home, err := os.UserHomeDir(); err == nil {
		props["user.home"] = home
	}
	for k, v := range info.Properties {
		props["zookeeper."+k] = v
	}
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		r.Set(k, props[k])
	}
}

func sortedKeys[V any](m map[int64]V) []int64 {
	ids := make([]int64, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}
