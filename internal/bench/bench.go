package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	mrand "math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zkit-go/zkit/internal/client"
	"github.com/zkit-go/zkit/internal/proto"
)

// Workloads are the workload names Run accepts.
var Workloads = []string{"read", "write", "create", "mixed", "watch", "lock", "session", "populate"}

// ErrConfig reports an invalid Config.
var ErrConfig = errors.New("bench: bad config")

// Config describes one benchmark run.
type Config struct {
	// Server is host:port, or a comma-separated list of them: client i
	// connects to the (i mod n)th, the setup to the first.
	Server   string
	Workload string        // one of Workloads
	Clients  int           // simulated clients (connections); default 1
	Pipeline int           // requests in flight per client; default 1
	Duration time.Duration // run length when Count is 0; default 10s
	Count    int64         // total ops to run; 0 means run for Duration
	// Warmup is an untimed lead-in: the loops run for it before the
	// measured Duration or Count starts, and its ops are not counted.
	Warmup         time.Duration
	SessionTimeout time.Duration // requested session timeout; 0 is the client's default
	Size           int           // value bytes; default 32
	ReadRatio      float64       // mixed: fraction of reads; default 0.9
	Root           string        // parent of the run's nodes; default /zkit-bench/<random>
	// Progress is called about once a second with the running totals.
	Progress func(Progress)
	// Dial options for every connection (tests pass dialers).
	DialOptions []client.Option
}

// Progress is a running total.
type Progress struct {
	Elapsed time.Duration
	Ops     int64
	Errors  int64
	// Rate is ops/s over the last interval.
	Rate float64
}

// Result is a run's outcome.
type Result struct {
	Workload  string        `json:"workload"`
	Server    string        `json:"server"`
	Clients   int           `json:"clients"`
	Pipeline  int           `json:"pipeline"`
	Size      int           `json:"size"`
	Ops       int64         `json:"ops"`
	Errors    int64         `json:"errors"`
	Elapsed   time.Duration `json:"elapsed_ns"`
	OpsPerSec float64       `json:"ops_per_sec"`
	Mean      time.Duration `json:"mean_ns"`
	P50       time.Duration `json:"p50_ns"`
	P99       time.Duration `json:"p99_ns"`
	P999      time.Duration `json:"p999_ns"`
	Max       time.Duration `json:"max_ns"`
}

func (c *Config) fill() error {
	if c.Server == "" {
		c.Server = "127.0.0.1:2181"
	}
	if !slices.Contains(Workloads, c.Workload) {
		return fmt.Errorf("%w: workload %q (want one of %s)", ErrConfig, c.Workload, strings.Join(Workloads, ", "))
	}
	if c.Clients <= 0 {
		c.Clients = 1
	}
	if c.Pipeline <= 0 {
		c.Pipeline = 1
	}
	if c.Duration <= 0 && c.Count <= 0 {
		c.Duration = 10 * time.Second
	}
	if c.Size < 0 {
		return fmt.Errorf("%w: negative size", ErrConfig)
	}
	if c.ReadRatio == 0 {
		c.ReadRatio = 0.9
	}
	if c.ReadRatio < 0 || c.ReadRatio > 1 {
		return fmt.Errorf("%w: read ratio %v outside [0,1]", ErrConfig, c.ReadRatio)
	}
	if c.Warmup < 0 || c.SessionTimeout < 0 {
		return fmt.Errorf("%w: negative warm-up or session timeout", ErrConfig)
	}
	if c.SessionTimeout > 0 {
		// Clipped: the caller's slice is not written through.
		c.DialOptions = append(slices.Clip(c.DialOptions), client.WithSessionTimeout(c.SessionTimeout))
	}
	if c.Workload == "populate" && (c.Count <= 0 || c.Warmup > 0) {
		return fmt.Errorf("%w: populate needs a count (the nodes to create) and no warm-up", ErrConfig)
	}
	if c.Root == "" {
		var b [4]byte
		rand.Read(b[:])
		c.Root = "/zkit-bench/" + hex.EncodeToString(b[:])
	}
	return nil
}

// run is the shared state of one Run.
type run struct {
	cfg   Config
	value []byte
	ops   atomic.Int64
	errs  atomic.Int64
	stop  chan struct{} // closed when the run ends (time, count or ctx)
	once  sync.Once
	// warming is set while the warm-up runs; start is when the measured
	// part began (UnixNano), set by the clock as warming clears.
	warming atomic.Bool
	start   atomic.Int64
}

func (r *run) end() { r.once.Do(func() { close(r.stop) }) }

func (r *run) stopped() bool {
	select {
	case <-r.stop:
		return true
	default:
		return false
	}
}

// take claims one op: ok is false once Count ops are claimed or the run
// ended; measured is false for a warm-up op, which takes no sample and
// does not count.
func (r *run) take() (ok, measured bool) {
	if r.stopped() {
		return false, false
	}
	if r.warming.Load() {
		return true, false
	}
	if r.cfg.Count > 0 {
		// Exhausting the count does not end the run: the ops already
		// claimed finish first, and the run ends when every loop returns.
		if n := r.ops.Add(1); n > r.cfg.Count {
			r.ops.Add(-1)
			return false, false
		}
		return true, true
	}
	r.ops.Add(1)
	return true, true
}

// Run runs one benchmark.
func Run(ctx context.Context, cfg Config) (Result, error) {
	if err := cfg.fill(); err != nil {
		return Result{}, err
	}
	r := &run{cfg: cfg, value: make([]byte, cfg.Size), stop: make(chan struct{})}
	for i := range r.value {
		r.value[i] = 'a' + byte(i%26)
	}
	addrs := strings.Split(cfg.Server, ",")
	admin, err := client.Dial(ctx, addrs[0], cfg.DialOptions...)
	if err != nil {
		return Result{}, fmt.Errorf("bench: connect to %s: %w", addrs[0], err)
	}
	defer admin.Close()
	if err := createPath(ctx, admin, cfg.Root); err != nil {
		return Result{}, fmt.Errorf("bench: create %s: %w", cfg.Root, err)
	}
	if cfg.Workload != "populate" { // populate's tree is what it is for
		defer removeTree(context.WithoutCancel(ctx), admin, cfg.Root)
	}

	conns := make([]*client.Conn, cfg.Clients)
	defer func() {
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
	}()
	for i := range conns {
		opts := append([]client.Option{client.WithEventBuffer(4096)}, cfg.DialOptions...)
		if conns[i], err = client.Dial(ctx, addrs[i%len(addrs)], opts...); err != nil {
			return Result{}, fmt.Errorf("bench: connect client %d: %w", i, err)
		}
	}
	var w workload
	switch cfg.Workload {
	case "read", "write", "mixed":
		w = &kvWorkload{}
	case "create":
		w = &createWorkload{}
	case "watch":
		w = &watchWorkload{}
	case "lock":
		w = &lockWorkload{}
	case "session":
		w = sessionWorkload{}
	case "populate":
		w = &populateWorkload{}
	}
	if err := w.setup(ctx, r, admin, conns); err != nil {
		return Result{}, fmt.Errorf("bench: setup: %w", err)
	}
	if len(addrs) > 1 {
		// Clients on other ensemble members must see the setup's nodes.
		for i, c := range conns {
			if _, err := c.Sync(ctx, cfg.Root); err != nil {
				return Result{}, fmt.Errorf("bench: sync client %d: %w", i, err)
			}
		}
	}

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	hists := make([]*Histogram, 0, cfg.Clients*cfg.Pipeline+1)
	var histMu sync.Mutex // guards hists
	var wg sync.WaitGroup
	var firstErr error
	var errOnce sync.Once
	fail := func(err error) {
		errOnce.Do(func() { firstErr = err })
		r.end()
		cancel()
	}
	r.warming.Store(cfg.Warmup > 0)
	r.start.Store(time.Now().UnixNano())
	for _, loop := range w.loops(r, conns) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h := new(Histogram)
			if err := loop(runCtx, h); err != nil && !r.stopped() {
				fail(err)
			}
			histMu.Lock()
			hists = append(hists, h)
			histMu.Unlock()
		}()
	}
	// The run ends when every loop has returned (Count reached) ...
	go func() {
		wg.Wait()
		r.end()
	}()
	// ... or at Duration or ctx. The clock also ends the warm-up and
	// reports progress.
	var clockWG sync.WaitGroup
	clockWG.Add(1)
	go func() {
		defer clockWG.Done()
		if cfg.Warmup > 0 {
			t := time.NewTimer(cfg.Warmup)
			select {
			case <-r.stop:
				t.Stop()
				return
			case <-ctx.Done():
				t.Stop()
				r.end()
				return
			case <-t.C:
			}
			r.start.Store(time.Now().UnixNano())
			r.warming.Store(false)
		}
		start := time.Unix(0, r.start.Load())
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		var deadline <-chan time.Time
		if cfg.Count <= 0 {
			t := time.NewTimer(cfg.Duration)
			defer t.Stop()
			deadline = t.C
		}
		last, lastAt := int64(0), start
		for {
			select {
			case <-r.stop:
				return
			case <-ctx.Done():
				r.end()
				return
			case <-deadline:
				r.end()
				return
			case now := <-tick.C:
				if cfg.Progress != nil {
					n := r.ops.Load()
					cfg.Progress(Progress{Elapsed: now.Sub(start), Ops: n, Errors: r.errs.Load(),
						Rate: float64(n-last) / now.Sub(lastAt).Seconds()})
					last, lastAt = n, now
				}
			}
		}
	}()
	<-r.stop
	elapsed := time.Since(time.Unix(0, r.start.Load()))
	cancel() // unblock loops waiting on replies or events
	wg.Wait()
	clockWG.Wait()
	if firstErr != nil {
		return Result{}, firstErr
	}
	var total Histogram
	for _, h := range hists {
		total.Merge(h)
	}
	res := Result{
		Workload: cfg.Workload, Server: cfg.Server, Clients: cfg.Clients, Pipeline: cfg.Pipeline, Size: cfg.Size,
		Ops: int64(total.Count()), Errors: r.errs.Load(), Elapsed: elapsed,
		Mean: total.Mean(), P50: total.Quantile(0.5), P99: total.Quantile(0.99), P999: total.Quantile(0.999),
		Max: total.Max(),
	}
	if elapsed > 0 {
		res.OpsPerSec = float64(res.Ops) / elapsed.Seconds()
	}
	return res, nil
}

// workload sets up its nodes and returns the loops to run concurrently.
// A loop records one sample per completed op and returns when the run
// stops (its ctx is cancelled then) or on a fatal error.
type workload interface {
	setup(ctx context.Context, r *run, admin *client.Conn, conns []*client.Conn) error
	loops(r *run, conns []*client.Conn) []func(ctx context.Context, h *Histogram) error
}

// opErr sorts an op's error: ZooKeeper errors count and go on, a lost
// connection ends the run.
func (r *run) opErr(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if ctx.Err() != nil || r.stopped() {
		return nil
	}
	if errors.Is(err, client.ErrClosed) || errors.Is(err, proto.ErrConnectionLoss) {
		return err
	}
	r.errs.Add(1)
	return nil
}

// loop is one closed loop: op again and again while the run lasts, one
// sample per op that succeeds in the measured part, ZooKeeper errors
// counted (opErr). What op returns as untimed runs after the sample (a
// lock's release, a session's close); its errors are sorted the same way.
func (r *run) loop(op func(ctx context.Context) (untimed func(context.Context) error, err error)) func(context.Context, *Histogram) error {
	return func(ctx context.Context, h *Histogram) error {
		for {
			ok, measured := r.take()
			if !ok {
				return nil
			}
			t0 := time.Now()
			untimed, err := op(ctx)
			if err != nil {
				if err := r.opErr(ctx, err); err != nil {
					return err
				}
				continue
			}
			if measured {
				h.Record(time.Since(t0))
			}
			if untimed != nil {
				if err := r.opErr(ctx, untimed(ctx)); err != nil {
					return err
				}
			}
		}
	}
}

// kvWorkload is read, write and mixed: one node per client.
type kvWorkload struct{}

func (kvWorkload) setup(ctx context.Context, r *run, admin *client.Conn, conns []*client.Conn) error {
	for i := range conns {
		if _, err := admin.Create(ctx, fmt.Sprintf("%s/n-%d", r.cfg.Root, i), r.value, 0, proto.OpenACLUnsafe); err != nil {
			return err
		}
	}
	return nil
}

func (kvWorkload) loops(r *run, conns []*client.Conn) []func(context.Context, *Histogram) error {
	var out []func(context.Context, *Histogram) error
	for i, c := range conns {
		path := fmt.Sprintf("%s/n-%d", r.cfg.Root, i)
		for p := 0; p < r.cfg.Pipeline; p++ {
			rng := mrand.New(mrand.NewPCG(uint64(i), uint64(p)))
			out = append(out, r.loop(func(ctx context.Context) (func(context.Context) error, error) {
				if r.cfg.Workload == "read" || (r.cfg.Workload == "mixed" && rng.Float64() < r.cfg.ReadRatio) {
					_, _, err := c.GetData(ctx, path, false)
					return nil, err
				}
				_, err := c.SetData(ctx, path, r.value, -1)
				return nil, err
			}))
		}
	}
	return out
}

// createWorkload creates sequential nodes under a parent per client.
type createWorkload struct{}

func (createWorkload) setup(ctx context.Context, r *run, admin *client.Conn, conns []*client.Conn) error {
	for i := range conns {
		if _, err := admin.Create(ctx, fmt.Sprintf("%s/c-%d", r.cfg.Root, i), nil, 0, proto.OpenACLUnsafe); err != nil {
			return err
		}
	}
	return nil
}

func (createWorkload) loops(r *run, conns []*client.Conn) []func(context.Context, *Histogram) error {
	var out []func(context.Context, *Histogram) error
	for i, c := range conns {
		prefix := fmt.Sprintf("%s/c-%d/n-", r.cfg.Root, i)
		for p := 0; p < r.cfg.Pipeline; p++ {
			out = append(out, r.loop(func(ctx context.Context) (func(context.Context) error, error) {
				_, err := c.Create(ctx, prefix, r.value, proto.FlagPersistentSequential, proto.OpenACLUnsafe)
				return nil, err
			}))
		}
	}
	return out
}

// watchWorkload: conns are watchers of one node; a separate writer
// (the last loop) changes it.
type watchWorkload struct {
	path   string
	writer *client.Conn
	// sentAt is when the current write was sent (UnixNano); watchers
	// measure their event's delay from it.
	sentAt atomic.Int64
	// armed counts watchers that have re-armed since the last write.
	armed   atomic.Int64
	rearmed chan struct{} // a watcher re-armed (capacity: one per watcher)
	// watchers counts running watcher loops; watchersDone is closed when
	// the last returns, so the writer stops waiting for re-arms.
	watchers     sync.WaitGroup
	watchersDone chan struct{}
}

func (w *watchWorkload) setup(ctx context.Context, r *run, admin *client.Conn, conns []*client.Conn) error {
	w.path = r.cfg.Root + "/watched"
	if _, err := admin.Create(ctx, w.path, r.value, 0, proto.OpenACLUnsafe); err != nil {
		return err
	}
	w.writer = admin
	w.rearmed = make(chan struct{}, len(conns))
	w.watchersDone = make(chan struct{})
	for _, c := range conns {
		if _, _, err := c.GetData(ctx, w.path, true); err != nil {
			return err
		}
	}
	w.armed.Store(int64(len(conns)))
	return nil
}

func (w *watchWorkload) loops(r *run, conns []*client.Conn) []func(context.Context, *Histogram) error {
	var out []func(context.Context, *Histogram) error
	n := int64(len(conns))
	w.watchers.Add(len(conns))
	go func() {
		w.watchers.Wait()
		close(w.watchersDone)
	}()
	for _, c := range conns {
		out = append(out, func(ctx context.Context, h *Histogram) error {
			defer w.watchers.Done()
			for {
				select {
				case <-ctx.Done():
					return nil
				case ev, ok := <-c.Events():
					if !ok {
						return client.ErrClosed
					}
					if ev.Type != proto.EventNodeDataChanged {
						continue
					}
					ok, measured := r.take()
					if !ok {
						return nil
					}
					if measured {
						h.Record(time.Duration(time.Now().UnixNano() - w.sentAt.Load()))
					}
					if _, _, err := c.GetData(ctx, w.path, true); err != nil {
						return r.opErr(ctx, err)
					}
					select {
					case w.rearmed <- struct{}{}:
					case <-ctx.Done():
						return nil
					}
				}
			}
		})
	}
	out = append(out, func(ctx context.Context, _ *Histogram) error {
		for !r.stopped() {
			w.sentAt.Store(time.Now().UnixNano())
			if _, err := w.writer.SetData(ctx, w.path, r.value, -1); err != nil {
				if err := r.opErr(ctx, err); err != nil {
					return err
				}
				continue
			}
			for i := int64(0); i < n; i++ {
				select {
				case <-w.rearmed:
				case <-w.watchersDone:
					return nil
				case <-ctx.Done():
					return nil
				}
			}
		}
		return nil
	})
	return out
}

// lockWorkload runs the lock recipe on one lock node shared by all clients.
type lockWorkload struct{ dir string }

func (l *lockWorkload) setup(ctx context.Context, r *run, admin *client.Conn, _ []*client.Conn) error {
	l.dir = r.cfg.Root + "/lock"
	_, err := admin.Create(ctx, l.dir, nil, 0, proto.OpenACLUnsafe)
	return err
}

func (l *lockWorkload) loops(r *run, conns []*client.Conn) []func(context.Context, *Histogram) error {
	var out []func(context.Context, *Histogram) error
	for _, c := range conns {
		out = append(out, r.loop(func(ctx context.Context) (func(context.Context) error, error) {
			me, err := l.acquire(ctx, c, r.value)
			if err != nil {
				return nil, err
			}
			return func(ctx context.Context) error { return c.Delete(ctx, me, -1) }, nil
		}))
	}
	return out
}

// acquire creates our node and waits until it is the lowest, watching
// only the predecessor (no herd effect).
func (l *lockWorkload) acquire(ctx context.Context, c *client.Conn, value []byte) (string, error) {
	me, err := c.Create(ctx, l.dir+"/lock-", value, proto.FlagEphemeralSequential, proto.OpenACLUnsafe)
	if err != nil {
		return "", err
	}
	name := me[strings.LastIndexByte(me, '/')+1:]
	for {
		kids, err := c.GetChildren(ctx, l.dir, false)
		if err != nil {
			return "", err
		}
		slices.Sort(kids) // same prefix, so the sequence numbers order
		i := slices.Index(kids, name)
		if i < 0 {
			return "", errors.New("bench: lock node vanished")
		}
		if i == 0 {
			return me, nil
		}
		pred := l.dir + "/" + kids[i-1]
		if _, err := c.Exists(ctx, pred, true); errors.Is(err, proto.ErrNoNode) {
			continue
		} else if err != nil {
			return "", err
		}
		if err := waitEvent(ctx, c, pred); err != nil {
			return "", err
		}
	}
}

// waitEvent waits for an event on path (the predecessor's deletion).
func waitEvent(ctx context.Context, c *client.Conn, path string) error {
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case ev, ok := <-c.Events():
			if !ok {
				return client.ErrClosed
			}
			if ev.Path == path {
				return nil
			}
		}
	}
}

// createPath creates path and its missing ancestors.
func createPath(ctx context.Context, c *client.Conn, path string) error {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	cur := ""
	for _, p := range parts {
		cur += "/" + p
		if _, err := c.Create(ctx, cur, nil, 0, proto.OpenACLUnsafe); err != nil && !errors.Is(err, proto.ErrNodeExists) {
			return err
		}
	}
	return nil
}

// removeTree deletes path and everything below it, pipelining the deletes
// of each level.
func removeTree(ctx context.Context, c *client.Conn, path string) error {
	kids, err := c.GetChildren(ctx, path, false)
	if errors.Is(err, proto.ErrNoNode) {
		return nil
	} else if err != nil {
		return err
	}
	sem := make(chan struct{}, 256)
	var wg sync.WaitGroup
	var firstErr atomic.Value
	for _, k := range kids {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := removeTree(ctx, c, path+"/"+k); err != nil {
				firstErr.CompareAndSwap(nil, err)
			}
		}()
	}
	wg.Wait()
	if err, _ := firstErr.Load().(error); err != nil {
		return err
	}
	if err := c.Delete(ctx, path, -1); err != nil && !errors.Is(err, proto.ErrNoNode) {
		return err
	}
	return nil
}

// Ratio is a/b, or NaN when b is zero.
func Ratio(a, b float64) float64 {
	if b == 0 {
		return math.NaN()
	}
	return a / b
}
