package difftest

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/zkit-go/zkit/internal/client"
	"github.com/zkit-go/zkit/internal/jute"
	"github.com/zkit-go/zkit/internal/proto"
)

// Record is what one step produced on one server: the normalised reply
// line and the watch events each session received by the end of the step.
type Record struct {
	Step  string
	Reply string
	// Events lists "S<i> <type> <path>" in arrival order per session,
	// sessions in index order.
	Events []string
}

// String joins the reply and events, one per line.
func (r Record) String() string {
	if len(r.Events) == 0 {
		return r.Reply
	}
	return r.Reply + "\n  " + strings.Join(r.Events, "\n  ")
}

// session is one scripted session on one server.
type session struct {
	c        *client.Conn
	id       int64
	passwd   []byte
	lastZxid int64 // remembered at drop, for resume and setWatches2
}

// runner executes a scenario against one server.
type runner struct {
	addr string
	ctrl *client.Conn // control session: base zxid, waitGone polls
	base int64        // last processed zxid when the scenario began
	// marks are the last processed zxids after each waitGone, once the
	// server went quiet: background deletions (containers, TTL nodes) take
	// a varying number of zxids on Java, whose ContainerManager may submit
	// a delete again before the first is applied (the second becomes an
	// error txn). Zxids after a mark are printed relative to it, so that
	// nondeterminism does not shift the rest of the scenario.
	marks    []int64
	sessions map[int]*session
	names    map[int64]string // session id -> "S<i>"
	timeout  time.Duration    // per-request deadline
}

// Run executes steps against the server at addr and returns one Record
// per step. An error means the harness itself failed (dial, timeout),
// not that a request returned a ZooKeeper error: those are recorded.
func Run(ctx context.Context, addr string, steps []Step) ([]Record, error) {
	r := &runner{
		addr:     addr,
		sessions: map[int]*session{},
		names:    map[int64]string{},
		timeout:  scale(20 * time.Second),
	}
	ctrl, err := client.Dial(ctx, addr)
	if err != nil {
		return nil, fmt.Errorf("difftest: control session: %w", err)
	}
	r.ctrl = ctrl
	defer func() {
		_ = ctrl.Close()
		for _, s := range r.sessions {
			if s.c != nil {
				_ = s.c.Close()
			}
		}
	}()
	// The reply header of a read carries the server's last processed zxid:
	// every zxid in the scenario is printed relative to it.
	hdr, err := ctrl.Do(ctx, proto.OpExists, &proto.ExistsRequest{Path: "/"}, &proto.ExistsResponse{})
	if err != nil {
		return nil, fmt.Errorf("difftest: base zxid: %w", err)
	}
	r.base = hdr.Zxid

	out := make([]Record, 0, len(steps))
	// carried holds the events of a step that a waitGone follows: the
	// server's background deletion that waitGone waits for (a container
	// or TTL node reaped) can notify before that step's events are
	// flushed or after, on either server, so they are recorded with the
	// waitGone.
	var carried []string
	for i, st := range steps {
		rec := Record{Step: st.String()}
		reply, err := r.exec(ctx, st)
		if err != nil {
			return out, fmt.Errorf("difftest: step %d (%s): %w", i, st, err)
		}
		rec.Reply = reply
		evs, err := r.flushEvents(ctx)
		if err != nil {
			return out, fmt.Errorf("difftest: step %d (%s): events: %w", i, st, err)
		}
		if len(carried) > 0 {
			evs = append(carried, evs...)
			carried = nil
			if steps[i-1].Op == OpClose {
				sort.Strings(evs)
			}
		}
		if st.Op == OpClose {
			// A closing session's ephemerals are deleted in Java's HashSet
			// order, which ZooKeeper leaves unspecified: compare them as a set.
			sort.Strings(evs)
		}
		if i+1 < len(steps) && steps[i+1].Op == OpWaitGone && st.Op != OpWaitGone {
			carried, evs = evs, nil
		}
		rec.Events = evs
		out = append(out, rec)
	}
	return out, nil
}

func (r *runner) zx(z int64) string {
	if z == 0 {
		return "0"
	}
	for k := len(r.marks) - 1; k >= 0; k-- {
		if z > r.marks[k] {
			return fmt.Sprintf("w%d+%d", k+1, z-r.marks[k])
		}
	}
	d := z - r.base
	if d >= 0 {
		return fmt.Sprintf("+%d", d)
	}
	return fmt.Sprintf("-%d", -d)
}

func (r *runner) sid(id int64) string {
	if id == 0 {
		return "0"
	}
	if n, ok := r.names[id]; ok {
		return n
	}
	return "S?"
}

// stat prints every Stat field but the times, zxids relative to base and
// the ephemeral owner as a session name.
func (r *runner) stat(s proto.Stat) string {
	return fmt.Sprintf("{cz%s mz%s pz%s v%d cv%d av%d eo:%s dl%d nc%d}",
		r.zx(s.Czxid), r.zx(s.Mzxid), r.zx(s.Pzxid), s.Version, s.Cversion, s.Aversion,
		r.sid(s.EphemeralOwner), s.DataLength, s.NumChildren)
}

func (r *runner) conn(st Step) (*client.Conn, error) {
	s, ok := r.sessions[st.S]
	if !ok || s.c == nil {
		return nil, fmt.Errorf("session S%d is not open", st.S)
	}
	return s.c, nil
}

// errReply formats a ZooKeeper error, or returns the harness error.
func (r *runner) errReply(hdr proto.ReplyHeader, err error) (string, error) {
	var code proto.Code
	if errors.As(err, &code) {
		return fmt.Sprintf("err=%d(%s) zxid=%s", int32(code), strings.TrimPrefix(code.Error(), "zk: "), r.zx(hdr.Zxid)), nil
	}
	return "", err
}

func (r *runner) exec(ctx context.Context, st Step) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	switch st.Op {
	case OpOpen:
		opts := []client.Option{}
		if st.Timeout > 0 {
			opts = append(opts, client.WithSessionTimeout(st.Timeout))
		}
		c, err := client.Dial(ctx, r.addr, opts...)
		if err != nil {
			return "", err
		}
		r.sessions[st.S] = &session{c: c, id: c.SessionID(), passwd: c.Passwd()}
		r.names[c.SessionID()] = fmt.Sprintf("S%d", st.S)
		return fmt.Sprintf("ok timeout=%v readOnly=%v", c.Timeout(), c.ReadOnly()), nil
	case OpClose:
		c, err := r.conn(st)
		if err != nil {
			return "", err
		}
		err = c.Close()
		z := c.LastZxid()
		r.sessions[st.S].c = nil
		if err != nil {
			return r.errReply(proto.ReplyHeader{Zxid: z}, err)
		}
		return "ok zxid=" + r.zx(z), nil
	case OpDrop:
		c, err := r.conn(st)
		if err != nil {
			return "", err
		}
		s := r.sessions[st.S]
		s.lastZxid = c.LastZxid()
		c.Drop()
		s.c = nil
		return "dropped lastZxid=" + r.zx(s.lastZxid), nil
	case OpResume:
		s, ok := r.sessions[st.S]
		if !ok || s.c != nil {
			return "", fmt.Errorf("session S%d is not dropped", st.S)
		}
		c, err := client.Dial(ctx, r.addr, client.WithSession(s.id, s.passwd), client.WithLastZxid(s.lastZxid))
		if err != nil {
			return r.errReply(proto.ReplyHeader{}, err)
		}
		s.c = c
		return fmt.Sprintf("ok same=%v timeout=%v", c.SessionID() == s.id, c.Timeout()), nil
	case OpWaitGone:
		deadline := time.Now().Add(r.timeout * 3 / 4)
		for {
			_, err := r.ctrl.Exists(ctx, st.Path, false)
			if errors.Is(err, proto.ErrNoNode) {
				mark, err := r.quiet(ctx, deadline)
				if err != nil {
					return "", err
				}
				r.marks = append(r.marks, mark)
				return "gone", nil
			}
			if err != nil {
				return "", err
			}
			if time.Now().After(deadline) {
				return "still there", nil
			}
			time.Sleep(20 * time.Millisecond) // polling the server's state, not synchronising goroutines
		}
	}

	c, err := r.conn(st)
	if err != nil {
		return "", err
	}
	switch st.Op {
	case OpCreate:
		var resp proto.CreateResponse
		hdr, err := c.Do(ctx, proto.OpCreate, &proto.CreateRequest{Path: st.Path, Data: st.Data, ACL: st.ACL, Flags: st.Flags}, &resp)
		if err != nil {
			return r.errReply(hdr, err)
		}
		return fmt.Sprintf("ok zxid=%s path=%q", r.zx(hdr.Zxid), resp.Path), nil
	case OpCreate2, OpCreateContainer, OpCreateTTL:
		var resp proto.Create2Response
		var hdr proto.ReplyHeader
		var err error
		switch st.Op {
		case OpCreate2:
			hdr, err = c.Do(ctx, proto.OpCreate2, &proto.CreateRequest{Path: st.Path, Data: st.Data, ACL: st.ACL, Flags: st.Flags}, &resp)
		case OpCreateContainer:
			hdr, err = c.Do(ctx, proto.OpCreateContainer, &proto.CreateRequest{Path: st.Path, Data: st.Data, ACL: st.ACL, Flags: st.Flags}, &resp)
		default:
			hdr, err = c.Do(ctx, proto.OpCreateTTL, &proto.CreateTTLRequest{Path: st.Path, Data: st.Data, ACL: st.ACL, Flags: st.Flags, TTL: st.TTL.Milliseconds()}, &resp)
		}
		if err != nil {
			return r.errReply(hdr, err)
		}
		return fmt.Sprintf("ok zxid=%s path=%q stat=%s", r.zx(hdr.Zxid), resp.Path, r.stat(resp.Stat)), nil
	case OpDelete:
		hdr, err := c.Do(ctx, proto.OpDelete, &proto.DeleteRequest{Path: st.Path, Version: st.Version}, nil)
		if err != nil {
			return r.errReply(hdr, err)
		}
		return "ok zxid=" + r.zx(hdr.Zxid), nil
	case OpExists:
		var resp proto.ExistsResponse
		hdr, err := c.Do(ctx, proto.OpExists, &proto.ExistsRequest{Path: st.Path, Watch: st.Watch}, &resp)
		if err != nil {
			return r.errReply(hdr, err)
		}
		return fmt.Sprintf("ok zxid=%s stat=%s", r.zx(hdr.Zxid), r.stat(resp.Stat)), nil
	case OpGetData:
		var resp proto.GetDataResponse
		hdr, err := c.Do(ctx, proto.OpGetData, &proto.GetDataRequest{Path: st.Path, Watch: st.Watch}, &resp)
		if err != nil {
			return r.errReply(hdr, err)
		}
		return fmt.Sprintf("ok zxid=%s data=%q stat=%s", r.zx(hdr.Zxid), resp.Data, r.stat(resp.Stat)), nil
	case OpSetData:
		var resp proto.SetDataResponse
		hdr, err := c.Do(ctx, proto.OpSetData, &proto.SetDataRequest{Path: st.Path, Data: st.Data, Version: st.Version}, &resp)
		if err != nil {
			return r.errReply(hdr, err)
		}
		return fmt.Sprintf("ok zxid=%s stat=%s", r.zx(hdr.Zxid), r.stat(resp.Stat)), nil
	case OpGetACL:
		var resp proto.GetACLResponse
		hdr, err := c.Do(ctx, proto.OpGetACL, &proto.GetACLRequest{Path: st.Path}, &resp)
		if err != nil {
			return r.errReply(hdr, err)
		}
		return fmt.Sprintf("ok zxid=%s acl=%s stat=%s", r.zx(hdr.Zxid), fmtACL(resp.ACL), r.stat(resp.Stat)), nil
	case OpSetACL:
		var resp proto.SetACLResponse
		hdr, err := c.Do(ctx, proto.OpSetACL, &proto.SetACLRequest{Path: st.Path, ACL: st.ACL, Version: st.Version}, &resp)
		if err != nil {
			return r.errReply(hdr, err)
		}
		return fmt.Sprintf("ok zxid=%s stat=%s", r.zx(hdr.Zxid), r.stat(resp.Stat)), nil
	case OpGetChildren:
		var resp proto.GetChildrenResponse
		hdr, err := c.Do(ctx, proto.OpGetChildren, &proto.GetChildrenRequest{Path: st.Path, Watch: st.Watch}, &resp)
		if err != nil {
			return r.errReply(hdr, err)
		}
		return fmt.Sprintf("ok zxid=%s children=%v", r.zx(hdr.Zxid), sorted(resp.Strings)), nil
	case OpGetChildren2:
		var resp proto.GetChildren2Response
		hdr, err := c.Do(ctx, proto.OpGetChildren2, &proto.GetChildren2Request{Path: st.Path, Watch: st.Watch}, &resp)
		if err != nil {
			return r.errReply(hdr, err)
		}
		return fmt.Sprintf("ok zxid=%s children=%v stat=%s", r.zx(hdr.Zxid), sorted(resp.Children), r.stat(resp.Stat)), nil
	case OpSync:
		var resp proto.SyncResponse
		hdr, err := c.Do(ctx, proto.OpSync, &proto.SyncRequest{Path: st.Path}, &resp)
		if err != nil {
			return r.errReply(hdr, err)
		}
		return fmt.Sprintf("ok zxid=%s path=%q", r.zx(hdr.Zxid), resp.Path), nil
	case OpCheck:
		// Java 3.8.0 never answers a stand-alone check (an NPE in its
		// request pipeline); sending one would hang the step.
		return "", errors.New("stand-alone check is not comparable with Java 3.8.0; use it inside a multi")
	case OpMulti, OpMultiRead:
		return r.multi(ctx, c, st)
	case OpAddAuth:
		hdr, err := c.Do(ctx, proto.OpAuth, &proto.AuthPacket{Scheme: st.Scheme, Auth: []byte(st.Auth)}, nil)
		if err != nil {
			// A failed auth closes the connection (after the reply, if
			// the server sends one): forget the session.
			r.sessions[st.S].c = nil
			c.Drop()
			if errors.Is(err, client.ErrClosed) {
				return "connection closed", nil
			}
			return r.errReply(hdr, err)
		}
		return "ok", nil
	case OpWhoAmI:
		var resp proto.WhoAmIResponse
		hdr, err := c.Do(ctx, proto.OpWhoAmI, nil, &resp)
		if err != nil {
			return r.errReply(hdr, err)
		}
		ids := make([]string, len(resp.ClientInfo))
		for i, ci := range resp.ClientInfo {
			ids[i] = ci.AuthScheme + ":" + ci.User
		}
		return fmt.Sprintf("ok zxid=%s ids=%v", r.zx(hdr.Zxid), ids), nil
	case OpAddWatch:
		var resp proto.ErrorResponse
		hdr, err := c.Do(ctx, proto.OpAddWatch, &proto.AddWatchRequest{Path: st.Path, Type: st.Mode}, &resp)
		if err != nil {
			return r.errReply(hdr, err)
		}
		return fmt.Sprintf("ok zxid=%s err=%d", r.zx(hdr.Zxid), int32(resp.Err)), nil
	case OpCheckWatches:
		hdr, err := c.Do(ctx, proto.OpCheckWatches, &proto.CheckWatchesRequest{Path: st.Path, Type: st.Mode}, nil)
		if err != nil {
			return r.errReply(hdr, err)
		}
		return "ok zxid=" + r.zx(hdr.Zxid), nil
	case OpRemoveWatches:
		hdr, err := c.Do(ctx, proto.OpRemoveWatches, &proto.RemoveWatchesRequest{Path: st.Path, Type: st.Mode}, nil)
		if err != nil {
			return r.errReply(hdr, err)
		}
		return "ok zxid=" + r.zx(hdr.Zxid), nil
	case OpSetWatches2:
		sw := st.Watches
		sw.RelativeZxid = r.sessions[st.S].lastZxid
		hdr, err := c.Do(ctx, proto.OpSetWatches2, &sw, nil)
		if err != nil {
			return r.errReply(hdr, err)
		}
		return "ok zxid=" + r.zx(hdr.Zxid), nil
	case OpGetEphemerals:
		var resp proto.GetEphemeralsResponse
		hdr, err := c.Do(ctx, proto.OpGetEphemerals, &proto.GetEphemeralsRequest{Path: st.Path}, &resp)
		if err != nil {
			return r.errReply(hdr, err)
		}
		return fmt.Sprintf("ok zxid=%s paths=%v", r.zx(hdr.Zxid), sorted(resp.Strings)), nil
	case OpGetAllChildrenNumber:
		var resp proto.GetAllChildrenNumberResponse
		hdr, err := c.Do(ctx, proto.OpGetAllChildrenNumber, &proto.GetAllChildrenNumberRequest{Path: st.Path}, &resp)
		if err != nil {
			return r.errReply(hdr, err)
		}
		return fmt.Sprintf("ok zxid=%s n=%d", r.zx(hdr.Zxid), resp.TotalNumber), nil
	}
	return "", fmt.Errorf("unknown op %q", st.Op)
}

func (r *runner) multi(ctx context.Context, c *client.Conn, st Step) (string, error) {
	ops := make([]proto.MultiOp, len(st.Sub))
	for i, sub := range st.Sub {
		var rec jute.Record
		var typ proto.OpCode
		switch sub.Op {
		case OpCreate:
			typ, rec = proto.OpCreate, &proto.CreateRequest{Path: sub.Path, Data: sub.Data, ACL: sub.ACL, Flags: sub.Flags}
		case OpCreate2:
			typ, rec = proto.OpCreate2, &proto.CreateRequest{Path: sub.Path, Data: sub.Data, ACL: sub.ACL, Flags: sub.Flags}
		case OpCreateContainer:
			typ, rec = proto.OpCreateContainer, &proto.CreateRequest{Path: sub.Path, Data: sub.Data, ACL: sub.ACL, Flags: sub.Flags}
		case OpCreateTTL:
			typ, rec = proto.OpCreateTTL, &proto.CreateTTLRequest{Path: sub.Path, Data: sub.Data, ACL: sub.ACL, Flags: sub.Flags, TTL: sub.TTL.Milliseconds()}
		case OpDelete:
			typ, rec = proto.OpDelete, &proto.DeleteRequest{Path: sub.Path, Version: sub.Version}
		case OpSetData:
			typ, rec = proto.OpSetData, &proto.SetDataRequest{Path: sub.Path, Data: sub.Data, Version: sub.Version}
		case OpCheck:
			typ, rec = proto.OpCheck, &proto.CheckVersionRequest{Path: sub.Path, Version: sub.Version}
		case OpGetData:
			typ, rec = proto.OpGetData, &proto.GetDataRequest{Path: sub.Path}
		case OpGetChildren:
			typ, rec = proto.OpGetChildren, &proto.GetChildrenRequest{Path: sub.Path}
		default:
			return "", fmt.Errorf("op %q in a multi", sub.Op)
		}
		ops[i] = proto.MultiOp{Type: typ, Record: rec}
	}
	op := proto.OpMulti
	if st.Op == OpMultiRead {
		op = proto.OpMultiRead
	}
	var resp proto.MultiResponse
	hdr, err := c.Do(ctx, op, &proto.MultiRequest{Ops: ops}, &resp)
	if err != nil {
		return r.errReply(hdr, err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "ok zxid=%s results=[", r.zx(hdr.Zxid))
	for i, res := range resp.Results {
		if i > 0 {
			b.WriteString("; ")
		}
		var sub Step
		if i < len(st.Sub) {
			sub = st.Sub[i]
		}
		b.WriteString(r.result(sub, res))
	}
	b.WriteString("]")
	return b.String(), nil
}

// result prints one multi result. Known Java 3.8.0 quirk: a create2 inside
// a multi is answered as a create (type 1, path only) by 3.8.0 and as a
// create2 (type 15, path and Stat) by 3.8.1 and later, which zkit follows;
// for a create2 sub-op either form prints as "create2~ path", leaving out
// the type and Stat.
func (r *runner) result(sub Step, res proto.MultiResult) string {
	if res.Type == proto.OpError {
		return fmt.Sprintf("error %d", int32(res.Err))
	}
	if sub.Op == OpCreate2 && (res.Type == proto.OpCreate || res.Type == proto.OpCreate2) {
		switch rec := res.Record.(type) {
		case *proto.CreateResponse:
			return fmt.Sprintf("create2~ %q", rec.Path)
		case *proto.Create2Response:
			return fmt.Sprintf("create2~ %q", rec.Path)
		}
	}
	switch rec := res.Record.(type) {
	case *proto.CreateResponse:
		return fmt.Sprintf("%s %q", res.Type, rec.Path)
	case *proto.Create2Response:
		return fmt.Sprintf("%s %q %s", res.Type, rec.Path, r.stat(rec.Stat))
	case *proto.SetDataResponse:
		return fmt.Sprintf("%s %s", res.Type, r.stat(rec.Stat))
	case *proto.GetDataResponse:
		return fmt.Sprintf("%s %q %s", res.Type, rec.Data, r.stat(rec.Stat))
	case *proto.GetChildrenResponse:
		return fmt.Sprintf("%s %v", res.Type, sorted(rec.Strings))
	}
	return res.Type.String()
}

// flushEvents makes sure every notification the last step caused has
// reached its session, then drains them. A server sends a session's
// notifications before any later reply to that session, so a ping round
// trip on each open session is the barrier.
func (r *runner) flushEvents(ctx context.Context) ([]string, error) {
	idx := make([]int, 0, len(r.sessions))
	for i, s := range r.sessions {
		if s.c != nil {
			idx = append(idx, i)
		}
	}
	sort.Ints(idx)
	var out []string
	for _, i := range idx {
		c := r.sessions[i].c
		pctx, cancel := context.WithTimeout(ctx, r.timeout)
		err := c.Ping(pctx)
		cancel()
		if err != nil && !errors.Is(err, client.ErrClosed) {
			return nil, fmt.Errorf("ping S%d: %w", i, err)
		}
	drain:
		for {
			select {
			case ev, ok := <-c.Events():
				if !ok {
					break drain
				}
				if ev.Type == proto.EventNone {
					continue // made by the client when its connection ends
				}
				out = append(out, fmt.Sprintf("S%d %s", i, fmtEvent(ev)))
			default:
				break drain
			}
		}
	}
	return out, nil
}

var eventNames = map[proto.EventType]string{
	proto.EventNone: "None", proto.EventNodeCreated: "NodeCreated", proto.EventNodeDeleted: "NodeDeleted",
	proto.EventNodeDataChanged: "NodeDataChanged", proto.EventNodeChildrenChanged: "NodeChildrenChanged",
	proto.EventDataWatchRemoved: "DataWatchRemoved", proto.EventChildWatchRemoved: "ChildWatchRemoved",
	proto.EventPersistentWatchRemoved: "PersistentWatchRemoved",
}

func fmtEvent(ev client.Event) string {
	n, ok := eventNames[ev.Type]
	if !ok {
		n = fmt.Sprintf("type(%d)", int32(ev.Type))
	}
	return fmt.Sprintf("%s state=%d %q", n, ev.State, ev.Path)
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}

// quiet waits until the server's last processed zxid has not moved for
// three container-check intervals (or until deadline) and returns it:
// the point after which no background deletion of this wait is pending.
func (r *runner) quiet(ctx context.Context, deadline time.Time) (int64, error) {
	var last int64 = -1
	since := time.Now()
	for {
		hdr, err := r.ctrl.Do(ctx, proto.OpExists, &proto.ExistsRequest{Path: "/"}, &proto.ExistsResponse{})
		if err != nil {
			return 0, fmt.Errorf("difftest: last zxid: %w", err)
		}
		now := time.Now()
		if hdr.Zxid != last {
			last, since = hdr.Zxid, now
		}
		if now.Sub(since) >= 3*ContainerCheck || now.After(deadline) {
			return last, nil
		}
		time.Sleep(20 * time.Millisecond) // polling the server's state, not synchronising goroutines
	}
}
