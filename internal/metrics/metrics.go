package metrics

import (
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// Level is a summary's detail level (ZooKeeper's DetailLevel).
type Level int

const (
	// Basic summaries report avg, min, max, count and sum (and the median
	// to Prometheus).
	Basic Level = iota
	// Advanced summaries add the p50, p95, p99 and p999 percentiles.
	Advanced
)

// summaryReservoir is how many recent samples a summary keeps for its
// percentiles.
const summaryReservoir = 4096

// Value is a gauge's reading: an integer or a floating-point number.
type Value struct {
	i       int64
	f       float64
	isFloat bool
}

// Int is an integer Value.
func Int(v int64) Value { return Value{i: v} }

// Float is a floating-point Value.
func Float(v float64) Value { return Value{f: v, isFloat: true} }

// IsFloat reports whether v holds a floating-point number.
func (v Value) IsFloat() bool { return v.isFloat }

// Int64 returns v as an integer (truncating a float).
func (v Value) Int64() int64 {
	if v.isFloat {
		return int64(v.f)
	}
	return v.i
}

// Float64 returns v as a float.
func (v Value) Float64() float64 {
	if v.isFloat {
		return v.f
	}
	return float64(v.i)
}

// String formats v as ZooKeeper's mntr does: integers in decimal, floats
// as Java's Double.toString.
func (v Value) String() string {
	if v.isFloat {
		return JavaDouble(v.f)
	}
	return strconv.FormatInt(v.i, 10)
}

// Counter is a monotonically increasing count.
type Counter struct{ v atomic.Int64 }

// Add adds delta (ignored when negative, as ZooKeeper's counters do).
func (c *Counter) Add(delta int64) {
	if delta > 0 {
		c.v.Add(delta)
	}
}

// Inc adds one.
func (c *Counter) Inc() { c.v.Add(1) }

// Get returns the count.
func (c *Counter) Get() int64 { return c.v.Load() }

// Summary tracks a distribution of integer samples (ZooKeeper's
// AvgMinMaxCounter, or AvgMinMaxPercentileCounter when Advanced).
type Summary struct {
	level Level
	count atomic.Int64
	sum   atomic.Int64
	min   atomic.Int64
	max   atomic.Int64
	next  atomic.Uint64 // index of the next reservoir slot
	ring  []atomic.Int64
}

// NewSummary returns a summary that belongs to no registry yet, for
// statistics that outlive one (a quorum member's, kept across roles);
// AttachSummary reports it.
func NewSummary(level Level) *Summary { return newSummary(level) }

func newSummary(level Level) *Summary {
	s := &Summary{level: level, ring: make([]atomic.Int64, summaryReservoir)}
	s.Reset()
	return s
}

// Observe records one sample.
func (s *Summary) Observe(v int64) {
	s.count.Add(1)
	s.sum.Add(v)
	for cur := s.min.Load(); v < cur && !s.min.CompareAndSwap(cur, v); cur = s.min.Load() {
	}
	for cur := s.max.Load(); v > cur && !s.max.CompareAndSwap(cur, v); cur = s.max.Load() {
	}
	i := s.next.Add(1) - 1
	s.ring[i%summaryReservoir].Store(v)
}

// Reset forgets every sample.
func (s *Summary) Reset() {
	s.count.Store(0)
	s.sum.Store(0)
	s.min.Store(math.MaxInt64)
	s.max.Store(math.MinInt64)
	s.next.Store(0)
}

// Snapshot is a summary's state at one moment.
type Snapshot struct {
	Count, Sum, Min, Max int64
	// Avg is Sum/Count rounded to four decimals, as ZooKeeper reports it.
	Avg float64
	// samples are the reservoir's values, sorted.
	samples []int64
}

// Snapshot reads the summary.
func (s *Summary) Snapshot() Snapshot {
	snap := Snapshot{Count: s.count.Load(), Sum: s.sum.Load(), Min: s.min.Load(), Max: s.max.Load()}
	if snap.Count == 0 {
		snap.Min, snap.Max = 0, 0
	} else {
		snap.Avg = math.Round(float64(snap.Sum)/float64(snap.Count)*1e4) / 1e4
	}
	n := min(s.next.Load(), summaryReservoir)
	snap.samples = make([]int64, n)
	for i := range snap.samples {
		snap.samples[i] = s.ring[i].Load()
	}
	sort.Slice(snap.samples, func(i, j int) bool { return snap.samples[i] < snap.samples[j] })
	return snap
}

// Quantile returns the q-quantile (0 < q < 1) of the recent samples, 0
// when there are none.
func (s Snapshot) Quantile(q float64) float64 {
	n := len(s.samples)
	if n == 0 {
		return 0
	}
	// Linear interpolation between closest ranks, as Dropwizard's
	// UniformSnapshot.getValue does.
	pos := q * float64(n+1)
	switch {
	case pos < 1:
		return float64(s.samples[0])
	case pos >= float64(n):
		return float64(s.samples[n-1])
	}
	lo := float64(s.samples[int(pos)-1])
	hi := float64(s.samples[int(pos)])
	return lo + (pos-math.Floor(pos))*(hi-lo)
}

// SummarySet is a summary per key (ZooKeeper's SummarySet), such as a
// top-level namespace; keys appear with their first sample. Safe for
// concurrent use.
type SummarySet struct {
	level Level
	mu    sync.RWMutex // guards m; the summaries have their own atomics
	m     map[string]*Summary
}

// NewSummarySet returns an empty summary set.
func NewSummarySet(level Level) *SummarySet {
	return &SummarySet{level: level, m: make(map[string]*Summary)}
}

// Observe records one sample for key.
func (s *SummarySet) Observe(key string, v int64) {
	s.mu.RLock()
	sum := s.m[key]
	s.mu.RUnlock()
	if sum == nil {
		s.mu.Lock()
		if sum = s.m[key]; sum == nil {
			sum = newSummary(s.level)
			s.m[key] = sum
		}
		s.mu.Unlock()
	}
	sum.Observe(v)
}

// summaries returns the keys' summaries at this moment.
func (s *SummarySet) summaries() map[string]*Summary {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make(map[string]*Summary, len(s.m))
	for k, v := range s.m {
		out[k] = v
	}
	return out
}

// Reset forgets every sample of every key (the keys stay, as Java's do).
func (s *SummarySet) Reset() {
	for _, sum := range s.summaries() {
		sum.Reset()
	}
}

// CounterSet is a counter per key (ZooKeeper's CounterSet), such as a
// namespace; keys appear with their first count. Safe for concurrent use.
type CounterSet struct {
	mu sync.RWMutex // guards m; the counters are atomic
	m  map[string]*Counter
}

// NewCounterSet returns an empty counter set.
func NewCounterSet() *CounterSet { return &CounterSet{m: make(map[string]*Counter)} }

// Add adds delta to key's counter.
func (s *CounterSet) Add(key string, delta int64) {
	s.mu.RLock()
	c := s.m[key]
	s.mu.RUnlock()
	if c == nil {
		s.mu.Lock()
		if c = s.m[key]; c == nil {
			c = new(Counter)
			s.m[key] = c
		}
		s.mu.Unlock()
	}
	c.Add(delta)
}

// values reads every key's count.
func (s *CounterSet) values() map[string]int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make(map[string]int64, len(s.m))
	for k, c := range s.m {
		out[k] = c.Get()
	}
	return out
}

// Reset zeroes every key's counter (the keys stay, as Java's do).
func (s *CounterSet) Reset() {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, c := range s.m {
		c.v.Store(0)
	}
}

type kind int

const (
	kindCounter kind = iota
	kindGauge
	kindSummary
	kindCounterFunc
	kindGaugeSet
	kindSummarySet
	kindCounterSet
)

type entry struct {
	name    string
	kind    kind
	counter *Counter
	gauge   func() Value // gauges and counter callbacks
	summary *Summary
	sumSet  *SummarySet
	cntSet  *CounterSet
	set     func() map[string]Value // gauge sets: a value per key
	rank    int                     // report order: Java38's, then registration order
	present func() bool             // nil: always reported
}

// Registry holds one server's metrics.
type Registry struct {
	// mu guards entries, byName and seq; metric values have their own atomics.
	mu      sync.Mutex
	entries []*entry // sorted by rank
	byName  map[string]*entry
	seq     int
}

// New returns an empty registry.
func New() *Registry { return &Registry{byName: make(map[string]*entry)} }

func (r *Registry) lookup(name string, k kind, mk func() *entry) *entry {
	r.mu.Lock()
	defer r.mu.Unlock()
	if e, ok := r.byName[name]; ok && e.kind == k {
		return e
	}
	e := mk()
	if old, ok := r.byName[name]; ok {
		e.rank = old.rank
		*old = *e // a name re-registered as another kind takes the new kind
		return old
	}
	if rank, ok := java38Rank[name]; ok {
		e.rank = rank
	} else {
		e.rank = len(Java38) + r.seq
		r.seq++
	}
	r.byName[name] = e
	i := sort.Search(len(r.entries), func(i int) bool { return r.entries[i].rank > e.rank })
	r.entries = append(r.entries, nil)
	copy(r.entries[i+1:], r.entries[i:])
	r.entries[i] = e
	return e
}

// CounterFunc registers (or replaces) a counter read from a callback, for
// counts kept elsewhere; Reset does not touch it.
func (r *Registry) CounterFunc(name string, f func() int64) {
	e := r.lookup(name, kindCounterFunc, func() *entry { return &entry{name: name, kind: kindCounterFunc} })
	r.mu.Lock()
	e.gauge = func() Value { return Int(f()) }
	r.mu.Unlock()
}

// GaugeSet registers (or replaces) the callback that reads a labelled
// gauge (ZooKeeper's GaugeSet): one value per key, reported in mntr as
// zk_<key>_<name> in Java's hash order of the keys, and to Prometheus with
// a "key" label.
func (r *Registry) GaugeSet(name string, f func() map[string]Value) {
	e := r.lookup(name, kindGaugeSet, func() *entry { return &entry{name: name, kind: kindGaugeSet} })
	r.mu.Lock()
	e.set = f
	r.mu.Unlock()
}

// ReportWhile makes name reported only while present returns true (a
// metric that is meaningful in some roles only).
func (r *Registry) ReportWhile(name string, present func() bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if e, ok := r.byName[name]; ok {
		e.present = present
	}
}

// RegisterJavaZeros registers the Java38 counters and summaries whose
// Status is ZeroAlways, ZeroStandalone or QuorumMeasured and that are not
// registered yet; nothing updates them. The ZeroStandalone and
// QuorumMeasured ones are reported only while standalone returns true (a
// member's quorum code attaches the measured ones: AttachCounter,
// AttachSummary).
func (r *Registry) RegisterJavaZeros(standalone func() bool) {
	for _, d := range Java38 {
		if d.Status != ZeroAlways && d.Status != ZeroStandalone && d.Status != QuorumMeasured {
			continue
		}
		r.mu.Lock()
		_, done := r.byName[d.Name]
		r.mu.Unlock()
		if done {
			continue
		}
		switch d.Kind {
		case KindCounter:
			r.Counter(d.Name)
		case KindSummary:
			r.Summary(d.Name, d.Level)
		default:
			continue // sets have no value until a key is added
		}
		if d.Status == ZeroStandalone || d.Status == QuorumMeasured {
			r.ReportWhile(d.Name, standalone)
		}
	}
}

// Counter returns the counter called name, creating it.
func (r *Registry) Counter(name string) *Counter {
	return r.lookup(name, kindCounter, func() *entry {
		return &entry{name: name, kind: kindCounter, counter: new(Counter)}
	}).counter
}

// Summary returns the summary called name, creating it with level.
func (r *Registry) Summary(name string, level Level) *Summary {
	return r.lookup(name, kindSummary, func() *entry {
		return &entry{name: name, kind: kindSummary, summary: newSummary(level)}
	}).summary
}

// AttachCounter reports c, kept by its owner, as the counter called name,
// replacing what name held (and any ReportWhile condition). Reset zeroes
// it as it zeroes the registry's own.
func (r *Registry) AttachCounter(name string, c *Counter) {
	r.attach(&entry{name: name, kind: kindCounter, counter: c})
}

// AttachSummary reports s, kept by its owner, as the summary called name,
// as AttachCounter does for counters.
func (r *Registry) AttachSummary(name string, s *Summary) {
	r.attach(&entry{name: name, kind: kindSummary, summary: s})
}

func (r *Registry) attach(e *entry) {
	old := r.lookup(e.name, e.kind, func() *entry { return &entry{name: e.name, kind: e.kind} })
	r.mu.Lock()
	e.rank = old.rank
	*old = *e
	r.mu.Unlock()
}

// CounterSet returns the counter set called name, creating it: reported
// in mntr as zk_<key>_<name> for each key in Java's hash order, to
// Prometheus as a counter with a "key" label.
func (r *Registry) CounterSet(name string) *CounterSet {
	return r.lookup(name, kindCounterSet, func() *entry {
		return &entry{name: name, kind: kindCounterSet, cntSet: NewCounterSet()}
	}).cntSet
}

// AttachSummarySet reports s, kept by its owner (the data tree's
// per-namespace statistics), as the summary set called name: in mntr as
// zk_avg_<key>_<name> and the rest for each key in Java's hash order, to
// Prometheus with a "key" label.
func (r *Registry) AttachSummarySet(name string, s *SummarySet) {
	r.attach(&entry{name: name, kind: kindSummarySet, sumSet: s})
}

// Gauge registers (or replaces) the callback that reads name.
func (r *Registry) Gauge(name string, f func() Value) {
	e := r.lookup(name, kindGauge, func() *entry { return &entry{name: name, kind: kindGauge} })
	r.mu.Lock()
	e.gauge = f
	r.mu.Unlock()
}

// snapshotEntries copies the entry list so reports run without r.mu held
// (gauge callbacks may take other locks).
func (r *Registry) snapshotEntries() []entry {
	r.mu.Lock()
	all := make([]entry, len(r.entries))
	for i, e := range r.entries {
		all[i] = *e
	}
	r.mu.Unlock()
	out := all[:0]
	for _, e := range all {
		if (e.kind == kindGauge || e.kind == kindCounterFunc) && e.gauge == nil || e.kind == kindGaugeSet && e.set == nil ||
			e.kind == kindCounter && e.counter == nil || e.kind == kindSummary && e.summary == nil || e.kind == kindSummarySet && e.sumSet == nil {
			// (an attached metric between its lookup and its attach)
			continue
		}
		if e.present == nil || e.present() {
			out = append(out, e)
		}
	}
	return out
}

// KV is one reported name and value.
type KV struct {
	Name  string
	Value Value
}

// Values returns every metric flattened as mntr reports them, without the
// zk_ prefix: counters and gauges by name, summaries as avg_, min_, max_,
// cnt_, sum_ and, when advanced, p50_, p95_, p99_, p999_ entries.
func (r *Registry) Values() []KV {
	entries := r.snapshotEntries()
	out := make([]KV, 0, len(entries))
	for _, e := range entries {
		switch e.kind {
		case kindCounter:
			out = append(out, KV{e.name, Int(e.counter.Get())})
		case kindGauge, kindCounterFunc:
			out = append(out, KV{e.name, e.gauge()})
		case kindGaugeSet:
			vals := e.set()
			keys := make([]string, 0, len(vals))
			for k := range vals {
				keys = append(keys, k)
			}
			for _, k := range JavaHashOrder(keys) {
				out = append(out, KV{k + "_" + e.name, vals[k]})
			}
		case kindSummary:
			out = appendSummary(out, e.name, e.summary)
		case kindCounterSet:
			vals := e.cntSet.values()
			keys := make([]string, 0, len(vals))
			for k := range vals {
				keys = append(keys, k)
			}
			for _, k := range JavaHashOrder(keys) {
				out = append(out, KV{k + "_" + e.name, Int(vals[k])})
			}
		case kindSummarySet:
			sums := e.sumSet.summaries()
			keys := make([]string, 0, len(sums))
			for k := range sums {
				keys = append(keys, k)
			}
			for _, k := range JavaHashOrder(keys) {
				out = appendSummary(out, k+"_"+e.name, sums[k])
			}
		}
	}
	return out
}

// appendSummary appends a summary's mntr values.
func appendSummary(out []KV, name string, sum *Summary) []KV {
	s := sum.Snapshot()
	out = append(out,
		KV{"avg_" + name, Float(s.Avg)},
		KV{"min_" + name, Int(s.Min)},
		KV{"max_" + name, Int(s.Max)},
		KV{"cnt_" + name, Int(s.Count)},
		KV{"sum_" + name, Int(s.Sum)})
	if sum.level == Advanced {
		out = append(out,
			KV{"p50_" + name, Int(int64(math.Round(s.Quantile(0.5))))},
			KV{"p95_" + name, Int(int64(math.Round(s.Quantile(0.95))))},
			KV{"p99_" + name, Int(int64(math.Round(s.Quantile(0.99))))},
			KV{"p999_" + name, Int(int64(math.Round(s.Quantile(0.999))))})
	}
	return out
}

// WriteMntr appends the mntr lines ("zk_<name>\t<value>\n") for every
// metric to b.
func (r *Registry) WriteMntr(b *strings.Builder) {
	for _, kv := range r.Values() {
		b.WriteString("zk_")
		b.WriteString(kv.Name)
		b.WriteByte('\t')
		b.WriteString(kv.Value.String())
		b.WriteByte('\n')
	}
}

// JavaDouble formats v as Java's Double.toString: the shortest decimal
// that reads back as v, always with a fractional digit, in scientific
// notation ("1.0E7", "1.0E-4") outside [1e-3, 1e7).
func JavaDouble(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "Infinity"
	case math.IsInf(v, -1):
		return "-Infinity"
	case v == 0:
		if math.Signbit(v) {
			return "-0.0"
		}
		return "0.0"
	}
	abs := math.Abs(v)
	if abs >= 1e-3 && abs < 1e7 {
		s := strconv.FormatFloat(v, 'f', -1, 64)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	}
	s := strconv.FormatFloat(v, 'E', -1, 64) // e.g. 1E+07, 1.5E-04
	mant, exp, _ := strings.Cut(s, "E")
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	n, _ := strconv.Atoi(exp)
	return mant + "E" + strconv.Itoa(n)
}

// Reset zeroes every counter and summary (srst, as ZooKeeper's
// ServerMetrics.resetAll); gauges read live state and are untouched.
func (r *Registry) Reset() {
	for _, e := range r.snapshotEntries() {
		switch e.kind {
		case kindCounter:
			e.counter.v.Store(0)
		case kindSummary:
			e.summary.Reset()
		case kindSummarySet:
			e.sumSet.Reset()
		case kindCounterSet:
			e.cntSet.Reset()
		}
	}
}
