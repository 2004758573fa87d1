package datatree

import (
	"slices"
	"strconv"
	"strings"
)

// Quota bookkeeping, as DataTree does it. A quota on /p is the node
// /zookeeper/quota/p/zookeeper_limits; its usage lives in the data of
// /zookeeper/quota/p/zookeeper_stats as "count=N,bytes=M", which the tree
// keeps current on every create, delete and setData under /p. Limits are
// not enforced here (the prep stage may). All of it is under /zookeeper/,
// so none of it enters the digest.

const (
	quotaLimitNode = "zookeeper_limits"
	quotaStatNode  = "zookeeper_stats"
)

// quotaTrie is the set of paths with a quota (Java's PathTrie with its
// property flags), keyed by the normalised path: components split on '/'
// with blank ones dropped. Guarded by Tree.mu.
type quotaTrie map[string]struct{}

func quotaKey(path string) string {
	parts := strings.Split(path, "/")
	parts = slices.DeleteFunc(parts, func(s string) bool { return strings.TrimSpace(s) == "" })
	return "/" + strings.Join(parts, "/")
}

func (q *quotaTrie) add(path string) {
	if path == "" {
		return // Java throws here; nothing sensible to track
	}
	if *q == nil {
		*q = make(quotaTrie)
	}
	(*q)[quotaKey(path)] = struct{}{}
}

func (q quotaTrie) remove(path string) {
	if path != "" {
		delete(q, quotaKey(path))
	}
}

// maxPrefix is DataTree.getMaxPrefixWithQuota: the deepest quota path that
// is path or an ancestor of it; "" if none (the root never counts).
func (q quotaTrie) maxPrefix(path string) string {
	if len(q) == 0 {
		return ""
	}
	k := quotaKey(path)
	for k != "/" {
		if _, ok := q[k]; ok {
			return k
		}
		k = k[:strings.LastIndexByte(k, '/')]
		if k == "" {
			break
		}
	}
	return ""
}

func quotaStatPath(path string) string { return QuotaPath + path + "/" + quotaStatNode }

// trimQuotaPath is Quotas.trimQuotaPath; ok is false where Java would throw.
func trimQuotaPath(p string) (string, bool) {
	if len(p) < len(QuotaPath) {
		return "", false
	}
	return p[len(QuotaPath):], true
}

// statsTrack is StatsTrack's text form: "count=N,bytes=M", then, if other
// keys are present, "=" and ";key=value" for each in key order (the odd
// "=" is Java's).
type statsTrack map[string]int64

func parseStatsTrack(b []byte) statsTrack {
	st := statsTrack{}
	for _, kv := range strings.FieldsFunc(string(b), func(r rune) bool { return r == ',' || r == ';' }) {
		parts := strings.Split(kv, "=")
		for len(parts) > 1 && parts[len(parts)-1] == "" {
			parts = parts[:len(parts)-1] // String.split drops trailing empties
		}
		if len(parts) < 2 {
			if len(parts) == 1 && strings.HasSuffix(kv, "=") {
				st[parts[0]] = -1
			}
			continue
		}
		v, err := strconv.ParseInt(parts[1], 10, 64)
		if err != nil {
			continue // Java would throw; keep going
		}
		st[parts[0]] = v
	}
	return st
}

func (st statsTrack) get(k string) int64 {
	if v, ok := st[k]; ok {
		return v
	}
	return -1
}

func (st statsTrack) bytes() []byte {
	var b strings.Builder
	b.WriteString("count=")
	b.WriteString(strconv.FormatInt(st.get("count"), 10))
	b.WriteString(",bytes=")
	b.WriteString(strconv.FormatInt(st.get("bytes"), 10))
	var extra []string
	for k := range st {
		if k != "count" && k != "bytes" {
			extra = append(extra, k)
		}
	}
	if len(extra) > 0 {
		slices.Sort(extra)
		b.WriteString("=")
		for _, k := range extra {
			b.WriteString(";" + k + "=" + strconv.FormatInt(st[k], 10))
		}
	}
	return []byte(b.String())
}

// updateQuotaStat adds to the usage of the quota at prefix. Like Java it
// changes the stat node's data without touching its stat, the digest or
// the cached data size.
func (t *Tree) updateQuotaStat(prefix string, bytesDiff int64, countDiff int64) {
	n := t.lookup(quotaStatPath(prefix))
	if n == nil {
		return
	}
	st := parseStatsTrack(n.data())
	st["count"] = st.get("count") + countDiff
	st["bytes"] = st.get("bytes") + bytesDiff
	n.setData(st.bytes())
}

// updateQuotaForPath recounts the subtree at path into its stat node.
func (t *Tree) updateQuotaForPath(path string) {
	var count, size int64
	var walk func(n *node)
	walk = func(n *node) {
		count++
		size += int64(len(n.data()))
		n.eachChild(walk)
	}
	if n := t.lookup(path); n != nil {
		walk(n)
	}
	statPath := quotaStatPath(path)
	n := t.lookup(statPath)
	if n == nil {
		return
	}
	t.preChange(statPath, n)
	n.setData(statsTrack{"count": count, "bytes": size}.bytes())
	t.postChange(statPath, n)
}

func (t *Tree) quotaAfterCreate(path, parentName, childName string, data []byte) {
	if strings.HasPrefix(parentName, QuotaPath) {
		if real, ok := trimQuotaPath(parentName); ok {
			switch childName {
			case quotaLimitNode:
				t.quota.add(real)
			case quotaStatNode:
				if real != "" {
					t.updateQuotaForPath(real)
				}
			}
		}
	}
	if p := t.quota.maxPrefix(path); p != "" {
		t.updateQuotaStat(p, int64(len(data)), 1)
	}
}

func (t *Tree) quotaAfterDelete(path, parentName, childName string, data []byte) {
	if strings.HasPrefix(parentName, ProcPath) && childName == quotaLimitNode {
		if real, ok := trimQuotaPath(parentName); ok {
			t.quota.remove(real)
		}
	}
	if p := t.quota.maxPrefix(path); p != "" {
		t.updateQuotaStat(p, -int64(len(data)), -1)
	}
}

func (t *Tree) quotaAfterSetData(path string, old, data []byte) {
	if p := t.quota.maxPrefix(path); p != "" {
		t.updateQuotaStat(p, int64(len(data))-int64(len(old)), 0)
	}
}

// setupQuota rebuilds the quota set after a load (DataTree.setupQuota):
// every leaf under /zookeeper/quota named zookeeper_limits marks its path and
// has the usage recounted.
func (t *Tree) setupQuota() {
	t.quota = nil
	q := t.lookup(QuotaPath)
	if q == nil {
		return
	}
	var walk func(p string, n *node)
	walk = func(p string, n *node) {
		if n.numChildren() == 0 {
			end := "/" + quotaLimitNode
			if strings.HasSuffix(p, end) {
				real := p[len(QuotaPath):strings.Index(p, end)]
				t.updateQuotaForPath(real)
				t.quota.add(real)
			}
			return
		}
		for _, c := range n.sortedChildren() {
			if cn := t.childNode(n, c); cn != nil {
				walk(p+"/"+c, cn)
			}
		}
	}
	walk(QuotaPath, q)
}

// QuotaStats is StatsTrack as a value: the limits a zookeeper_limits node
// sets or the usage a zookeeper_stats node records. -1 means not set.
type QuotaStats struct {
	Count          int64
	Bytes          int64
	CountHardLimit int64
	ByteHardLimit  int64
}

// ParseQuotaStats reads StatsTrack's text ("count=N,bytes=M=;key=value...").
// Unparsable pairs are skipped (Java would throw).
func ParseQuotaStats(b []byte) QuotaStats {
	st := parseStatsTrack(b)
	return QuotaStats{
		Count:          st.get("count"),
		Bytes:          st.get("bytes"),
		CountHardLimit: st.get("countHardLimit"),
		ByteHardLimit:  st.get("byteHardLimit"),
	}
}

// QuotaFor returns the deepest quota that covers path
// (DataTree.getMaxPrefixWithQuota) with its limits and usage, as the prep
// stage needs them to enforce hard limits (ZooKeeperServer.checkQuota).
// ok is false when no quota covers path or its limit or stat node is
// missing (Java logs that and lets the write through).
func (t *Tree) QuotaFor(path string) (prefix string, limits, usage QuotaStats, ok bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	prefix = t.quota.maxPrefix(path)
	if prefix == "" {
		return "", QuotaStats{}, QuotaStats{}, false
	}
	ln := t.lookup(QuotaPath + prefix + "/" + quotaLimitNode)
	sn := t.lookup(quotaStatPath(prefix))
	if ln == nil || sn == nil {
		return prefix, QuotaStats{}, QuotaStats{}, false
	}
	return prefix, ParseQuotaStats(ln.data()), ParseQuotaStats(sn.data()), true
}
