package session

import (
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/zkit-go/zkit/internal/proto"
)

// ErrBadTickTime is returned by New for a tick time that is not positive.
var ErrBadTickTime = errors.New("session: tickTime must be positive")

// containerOwner is the ephemeralOwner value that marks a container node
// (EphemeralType.CONTAINER_EPHEMERAL_OWNER); no session may have it as id.
const containerOwner = math.MinInt64

// InitialID returns the first session id a tracker hands out, as
// SessionTrackerImpl.initializeNextSessionId: serverID in the top byte, the
// low 40 bits of ms below it, and 16 zero bits, skipping the container
// marker.
func InitialID(serverID, ms int64) int64 {
	id := int64(uint64(ms<<24)>>8) | serverID<<56
	if id == containerOwner {
		id++
	}
	return id
}

// Session is a tracked session as Expired reports it.
type Session struct {
	ID      int64
	Timeout int32
}

// Config configures a Tracker.
type Config struct {
	// TickTime is the bucket width in milliseconds (zoo.cfg tickTime).
	TickTime int32
	// ServerID goes into the top byte of new ids: 1 standalone, myid on a
	// quorum leader.
	ServerID int64
	// IDTimeMs seeds the first id. Use wall-clock milliseconds so that a
	// restarted server does not reuse the ids of its previous run.
	IDTimeMs int64
	// Now is the tracker's start on the caller's timeline (the same
	// milliseconds later passed to Touch and Expired).
	Now int64
}

// entry is the tracker's record of one session.
type entry struct {
	timeout  int32
	closing  bool
	expireAt int64 // bucket the session is in; 0 before the first touch
	owner    any   // connection that holds the session, for SESSIONMOVED
}

// Tracker tracks sessions and their expiry. Create it with New.
type Tracker struct {
	interval int64 // tick time in ms; fixed after New

	// mu guards every field below.
	mu         sync.Mutex
	nextID     int64
	sessions   map[int64]*entry
	buckets    map[int64]map[int64]struct{} // expireAt -> session ids; empty sets stay until expired, as in Java
	nextExpiry int64                        // time of the next bucket Expired will look at
}

// New returns an empty tracker.
func New(cfg Config) (*Tracker, error) {
	if cfg.TickTime <= 0 {
		return nil, fmt.Errorf("%w: %d", ErrBadTickTime, cfg.TickTime)
	}
	t := &Tracker{
		interval: int64(cfg.TickTime),
		nextID:   InitialID(cfg.ServerID, cfg.IDTimeMs),
		sessions: make(map[int64]*entry),
		buckets:  make(map[int64]map[int64]struct{}),
	}
	t.nextExpiry = t.roundUp(cfg.Now)
	return t, nil
}

// roundUp is ExpiryQueue.roundToNextInterval: the next bucket boundary
// strictly after time.
func (t *Tracker) roundUp(time int64) int64 {
	return (time/t.interval + 1) * t.interval
}

// Create registers a new session with the next id and returns the id.
func (t *Tracker) Create(timeout int32, now int64) int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	id := t.nextID
	t.nextID++
	t.trackLocked(id, timeout, now)
	return id
}

// Add tracks a session with a known id (restored from a snapshot, or
// created by a txn) and reports whether it was new. An existing session
// keeps its timeout and closing flag but is moved to the bucket for the
// given timeout, as SessionTrackerImpl.trackSession does.
func (t *Tracker) Add(id int64, timeout int32, now int64) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.trackLocked(id, timeout, now)
}

func (t *Tracker) trackLocked(id int64, timeout int32, now int64) bool {
	e, ok := t.sessions[id]
	if !ok {
		e = &entry{timeout: timeout}
		t.sessions[id] = e
	}
	t.updateLocked(id, e, timeout, now)
	return !ok
}

// updateLocked moves session id to the bucket for now+timeout.
func (t *Tracker) updateLocked(id int64, e *entry, timeout int32, now int64) {
	at := t.roundUp(now + int64(timeout))
	if at == e.expireAt {
		return
	}
	set := t.buckets[at]
	if set == nil {
		set = make(map[int64]struct{})
		t.buckets[at] = set
	}
	set[id] = struct{}{}
	if prev := t.buckets[e.expireAt]; prev != nil {
		delete(prev, id)
	}
	e.expireAt = at
}

// Touch extends session id by its own timeout from now. It returns false
// if the session is unknown or closing.
func (t *Tracker) Touch(id int64, now int64) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	e, ok := t.sessions[id]
	if !ok || e.closing {
		return false
	}
	t.updateLocked(id, e, e.timeout, now)
	return true
}

// TouchTimeout is Touch with an explicit timeout, for touches a learner
// reports with the timeout it knows (SessionTracker.touchSession(id, to)).
func (t *Tracker) TouchTimeout(id int64, timeout int32, now int64) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	e, ok := t.sessions[id]
	if !ok || e.closing {
		return false
	}
	t.updateLocked(id, e, timeout, now)
	return true
}

// SetClosing marks session id as closing: later touches fail and
// CheckSession reports SESSIONEXPIRED. Unknown ids are ignored.
func (t *Tracker) SetClosing(id int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if e, ok := t.sessions[id]; ok {
		e.closing = true
	}
}

// Remove forgets session id. Its bucket stays, possibly empty, until it
// expires, as in Java (the dump shows such buckets).
func (t *Tracker) Remove(id int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e, ok := t.sessions[id]
	if !ok {
		return
	}
	delete(t.sessions, id)
	if set := t.buckets[e.expireAt]; set != nil {
		delete(set, id)
	}
}

// Expired returns the sessions in every bucket whose time is at or before
// now, marks them closing and drops those buckets, so a session comes back
// once per bucket it was left in. As in Java, that includes a session
// already closing (SetClosing does not take it out of its bucket) and one
// put back into a bucket by Add after it expired; the owner's close must be
// idempotent. It returns nil before NextExpiry. Order: by bucket, then id.
func (t *Tracker) Expired(now int64) []Session {
	t.mu.Lock()
	defer t.mu.Unlock()
	if now < t.nextExpiry {
		return nil
	}
	// Java pops one bucket per interval from nextExpiry on; buckets are
	// always multiples of the interval at or after nextExpiry, so taking
	// every bucket at or before now is the same, without a loop per tick
	// when the caller has fallen far behind.
	var due []int64
	for at := range t.buckets {
		if at <= now {
			due = append(due, at)
		}
	}
	slices.Sort(due)
	var out []Session
	for _, at := range due {
		ids := make([]int64, 0, len(t.buckets[at]))
		for id := range t.buckets[at] {
			ids = append(ids, id)
		}
		delete(t.buckets, at)
		slices.Sort(ids)
		for _, id := range ids {
			e := t.sessions[id]
			e.closing = true
			out = append(out, Session{ID: id, Timeout: e.timeout})
		}
	}
	t.nextExpiry = t.roundUp(now)
	return out
}

// NextExpiry returns the time at which Expired next has work to look at;
// the owner sleeps until then.
func (t *Tracker) NextExpiry() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.nextExpiry
}

// Timeout returns session id's negotiated timeout.
func (t *Tracker) Timeout(id int64) (int32, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e, ok := t.sessions[id]
	if !ok {
		return 0, false
	}
	return e.timeout, true
}

// Contains reports whether session id is tracked (closing or not).
func (t *Tracker) Contains(id int64) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	_, ok := t.sessions[id]
	return ok
}

// Len returns the number of tracked sessions.
func (t *Tracker) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.sessions)
}

// Sessions returns every tracked session's timeout, keyed by id.
func (t *Tracker) Sessions() map[int64]int32 {
	t.mu.Lock()
	defer t.mu.Unlock()
	m := make(map[int64]int32, len(t.sessions))
	for id, e := range t.sessions {
		m[id] = e.timeout
	}
	return m
}

// CheckSession is SessionTrackerImpl.checkSession: it fails with
// proto.ErrUnknownSession for an unknown id, proto.ErrSessionExpired for a
// closing one, and proto.ErrSessionMoved when another owner holds the
// session. A session without an owner takes this one. Owners are compared
// with ==.
func (t *Tracker) CheckSession(id int64, owner any) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	e, ok := t.sessions[id]
	switch {
	case !ok:
		return proto.ErrUnknownSession
	case e.closing:
		return proto.ErrSessionExpired
	case e.owner == nil:
		e.owner = owner
	case e.owner != owner:
		return proto.ErrSessionMoved
	}
	return nil
}

// SetOwner makes owner the holder of session id (a reconnect), failing
// with proto.ErrSessionExpired if the session is unknown or closing.
func (t *Tracker) SetOwner(id int64, owner any) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	e, ok := t.sessions[id]
	if !ok || e.closing {
		return proto.ErrSessionExpired
	}
	e.owner = owner
	return nil
}

// Bucket is one expiry bucket in a Dump.
type Bucket struct {
	ExpireAt int64   // on the tracker's timeline
	IDs      []int64 // ascending
}

// Dump is a snapshot of the expiry buckets, for the dump four-letter word
// and the admin server's session listing.
type Dump struct {
	Sessions int      // tracked sessions, including closing ones
	Buckets  []Bucket // ascending by ExpireAt; may include empty buckets
}

// Dump returns the current buckets.
func (t *Tracker) Dump() Dump {
	t.mu.Lock()
	defer t.mu.Unlock()
	d := Dump{Sessions: len(t.sessions), Buckets: make([]Bucket, 0, len(t.buckets))}
	for at, set := range t.buckets {
		b := Bucket{ExpireAt: at, IDs: make([]int64, 0, len(set))}
		for id := range set {
			b.IDs = append(b.IDs, id)
		}
		slices.Sort(b.IDs)
		d.Buckets = append(d.Buckets, b)
	}
	slices.SortFunc(d.Buckets, func(a, b Bucket) int {
		switch {
		case a.ExpireAt < b.ExpireAt:
			return -1
		case a.ExpireAt > b.ExpireAt:
			return 1
		}
		return 0
	})
	return d
}

// javaDateLayout is java.util.Date.toString's format.
const javaDateLayout = "Mon Jan 02 15:04:05 MST 2006"

// WriteTo writes the dump as SessionTrackerImpl.dumpSessions does, the part
// of the dump four-letter word after its "SessionTracker dump:" line.
// toWall converts a bucket time on the tracker's timeline to wall-clock
// time (Java: Time.elapsedTimeToDate). Java lists a bucket's ids in hash
// order; here they are ascending.
func (d Dump) WriteTo(w io.Writer, toWall func(int64) time.Time) (int64, error) {
	buf := fmt.Appendf(nil, "Session Sets (%d)/(%d):\n", len(d.Buckets), d.Sessions)
	for _, b := range d.Buckets {
		buf = fmt.Appendf(buf, "%d expire at %s:\n", len(b.IDs), toWall(b.ExpireAt).Format(javaDateLayout))
		for _, id := range b.IDs {
			buf = fmt.Appendf(buf, "\t0x%x\n", uint64(id))
		}
	}
	n, err := w.Write(buf)
	return int64(n), err
}
