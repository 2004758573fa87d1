package engine

import (
	"strings"

	"github.com/zkit-go/zkit/internal/datatree"
	"github.com/zkit-go/zkit/internal/jute"
	"github.com/zkit-go/zkit/internal/proto"
	"github.com/zkit-go/zkit/internal/watch"
)

type opKind int

const (
	kindUnknown opKind = iota
	kindRead
	kindWrite
)

func opKindOf(op proto.OpCode) opKind {
	switch op {
	case proto.OpCreate, proto.OpCreate2, proto.OpCreateContainer, proto.OpCreateTTL,
		proto.OpDelete, proto.OpSetData, proto.OpSetACL, proto.OpCheck, proto.OpMulti,
		proto.OpReconfig, proto.OpCloseSession, proto.OpCreateSession, proto.OpDeleteContainer:
		return kindWrite
	case proto.OpExists, proto.OpGetData, proto.OpGetACL, proto.OpGetChildren,
		proto.OpGetChildren2, proto.OpSync, proto.OpPing, proto.OpCheckWatches,
		proto.OpRemoveWatches, proto.OpMultiRead, proto.OpSetWatches, proto.OpSetWatches2,
		proto.OpGetEphemerals, proto.OpGetAllChildrenNumber, proto.OpAddWatch, proto.OpWhoAmI:
		return kindRead
	}
	return kindUnknown
}

// decodeRequest decodes a request body. A body that does not decode is
// answered with MARSHALLINGERROR, as ZooKeeper answers it.
func decodeRequest(op proto.OpCode, d *jute.Decoder) (jute.Record, bool) {
	var rec jute.Record
	switch op {
	case proto.OpCreate, proto.OpCreate2, proto.OpCreateContainer:
		rec = &proto.CreateRequest{}
	case proto.OpCreateTTL:
		rec = &proto.CreateTTLRequest{}
	case proto.OpDelete, proto.OpCheck:
		rec = &proto.PathVersionRequest{}
	case proto.OpSetData:
		rec = &proto.SetDataRequest{}
	case proto.OpSetACL:
		rec = &proto.SetACLRequest{}
	case proto.OpReconfig:
		rec = &proto.ReconfigRequest{}
	case proto.OpExists, proto.OpGetData, proto.OpGetChildren, proto.OpGetChildren2:
		rec = &proto.PathWatchRequest{}
	case proto.OpGetACL, proto.OpSync, proto.OpGetAllChildrenNumber, proto.OpGetEphemerals:
		rec = &proto.PathRequest{}
	case proto.OpCheckWatches, proto.OpRemoveWatches, proto.OpAddWatch:
		rec = &proto.PathTypeRequest{}
	case proto.OpSetWatches:
		rec = &proto.SetWatches{}
	case proto.OpSetWatches2:
		rec = &proto.SetWatches2{}
	case proto.OpMulti, proto.OpMultiRead:
		m := &proto.MultiRequest{}
		m.Decode(d)
		if d.Err() != nil {
			return nil, true
		}
		// multi takes only writes and multiRead only reads; ZooKeeper
		// fails to decode a mix.
		for _, o := range m.Ops {
			isRead := o.Type == proto.OpGetData || o.Type == proto.OpGetChildren
			if isRead != (op == proto.OpMultiRead) {
				return nil, true
			}
		}
		return m, false
	case proto.OpPing, proto.OpWhoAmI, proto.OpCloseSession:
		return nil, false
	}
	if rec == nil {
		return nil, true
	}
	rec.Decode(d)
	if d.Err() != nil {
		return nil, true
	}
	return rec, false
}

// watcherFor returns c as a watcher when the request asked for a watch.
func watcherFor(c *conn, want bool) watch.Watcher {
	if want && c != nil {
		return c
	}
	return nil
}

// runRead runs a read and queues its reply. It holds the tree's read lock
// throughout, so no txn is applied between reading and queueing: any watch
// event for a later change is queued after this reply, and any event for
// an earlier change before it.
func (e *Engine) runRead(r *request) {
	e.treeMu.RLock()
	defer e.treeMu.RUnlock()
	zxid := e.tree.LastProcessedZxid()
	hdr := proto.ReplyHeader{Xid: r.cxid, Zxid: zxid}
	var body jute.Record
	if r.localClose {
		// A local session ends here; no txn (its close is local, as its
		// creation was).
		if e.local != nil {
			e.local.Remove(r.sessionID)
		}
		r.conn.push(outFrame{hdr: hdr, started: r.received, closeAfter: true})
		return
	}
	if r.refuse != proto.OK {
		hdr.Err = r.refuse
	} else if r.decodeErr {
		hdr.Err = proto.ErrMarshallingError
	} else {
		var err error
		body, err = e.read(r)
		if err != nil {
			hdr.Err = codeOf(err)
			body = nil
		}
	}
	if r.op == proto.OpPing {
		hdr.Xid = proto.XidPing
	}
	r.conn.push(outFrame{hdr: hdr, body: body, started: r.received})
}

// read executes one read against the tree. The tree read lock is held.
func (e *Engine) read(r *request) (jute.Record, error) {
	c := r.conn
	switch r.op {
	case proto.OpPing:
		return nil, nil
	case proto.OpSync:
		return &proto.SyncResponse{Path: r.rec.(*proto.PathRequest).Path}, nil
	case proto.OpExists:
		req := r.rec.(*proto.PathWatchRequest)
		if strings.IndexByte(req.Path, 0) >= 0 {
			return nil, proto.ErrBadArguments
		}
		if info, ok := e.tree.Lookup(req.Path); ok {
			if err := e.checkACL(info.ACL, proto.PermRead, r.authInfo); err != nil {
				return nil, err
			}
		}
		stat, err := e.tree.Exists(req.Path, watcherFor(c, req.Watch))
		if err != nil {
			return nil, err
		}
		return &proto.ExistsResponse{Stat: stat}, nil
	case proto.OpGetData:
		return e.getData(r, r.rec.(*proto.PathWatchRequest))
	case proto.OpGetChildren, proto.OpGetChildren2:
		req := r.rec.(*proto.PathWatchRequest)
		children, stat, err := e.getChildren(r, req)
		if err != nil {
			return nil, err
		}
		if r.op == proto.OpGetChildren {
			return &proto.GetChildrenResponse{Strings: children}, nil
		}
		return &proto.GetChildren2Response{Children: children, Stat: stat}, nil
	case proto.OpGetACL:
		path := r.rec.(*proto.PathRequest).Path
		info, ok := e.tree.Lookup(path)
		if !ok {
			return nil, proto.ErrNoNode
		}
		if err := e.checkACL(info.ACL, proto.PermRead|proto.PermAdmin, r.authInfo); err != nil {
			return nil, err
		}
		acls, stat, err := e.tree.GetACL(path)
		if err != nil {
			return nil, err
		}
		acls = e.auth.ReadableACL(acls, r.authInfo)
		return &proto.GetACLResponse{ACL: acls, Stat: stat}, nil
	case proto.OpGetAllChildrenNumber:
		path := r.rec.(*proto.PathRequest).Path
		info, ok := e.tree.Lookup(path)
		if !ok {
			return nil, proto.ErrNoNode
		}
		if err := e.checkACL(info.ACL, proto.PermRead, r.authInfo); err != nil {
			return nil, err
		}
		n, err := e.tree.AllChildrenNumber(path)
		if err != nil {
			return nil, err
		}
		return &proto.GetAllChildrenNumberResponse{TotalNumber: int32(n)}, nil
	case proto.OpGetEphemerals:
		prefix := r.rec.(*proto.PathRequest).Path
		all := e.tree.Ephemerals(r.sessionID)
		out := make([]string, 0, len(all))
		trimmed := strings.TrimSpace(prefix)
		for _, p := range all {
			if trimmed == "" || trimmed == "/" || strings.HasPrefix(p, prefix) {
				out = append(out, p)
			}
		}
		return &proto.GetEphemeralsResponse{Strings: out}, nil
	case proto.OpSetWatches:
		sw := r.rec.(*proto.SetWatches)
		e.tree.SetWatches(sw.RelativeZxid, sw.DataWatches, sw.ExistWatches, sw.ChildWatches, nil, nil, c)
		return nil, nil
	case proto.OpSetWatches2:
		sw := r.rec.(*proto.SetWatches2)
		e.tree.SetWatches(sw.RelativeZxid, sw.DataWatches, sw.ExistWatches, sw.ChildWatches,
			sw.PersistentWatches, sw.PersistentRecursiveWatches, c)
		return nil, nil
	case proto.OpAddWatch:
		req := r.rec.(*proto.PathTypeRequest)
		mode, err := watch.ModeFromAddWatch(req.Type)
		if err != nil {
			// ZooKeeper's AddWatchMode conversion throws, and its final
			// processor answers any such exception with MarshallingError.
			return nil, proto.ErrMarshallingError
		}
		e.tree.AddWatch(req.Path, c, mode)
		return &proto.ErrorResponse{Err: proto.OK}, nil
	case proto.OpCheckWatches, proto.OpRemoveWatches:
		req := r.rec.(*proto.PathTypeRequest)
		wt := proto.WatcherType(req.Type)
		if wt != proto.WatcherChildren && wt != proto.WatcherData && wt != proto.WatcherAny {
			// 3.8's WatcherType.fromInt throws for anything else
			// (persistent types 4 and 5 arrive in 3.9): MarshallingError.
			return nil, proto.ErrMarshallingError
		}
		var found bool
		if r.op == proto.OpCheckWatches {
			found = e.tree.ContainsWatcher(req.Path, wt, c)
		} else {
			found = e.tree.RemoveWatch(req.Path, wt, c)
		}
		if !found {
			return nil, proto.ErrNoWatcher
		}
		return nil, nil
	case proto.OpWhoAmI:
		return &proto.WhoAmIResponse{ClientInfo: e.auth.ClientInfos(r.authInfo)}, nil
	case proto.OpMultiRead:
		m := r.rec.(*proto.MultiRequest)
		resp := &proto.MultiResponse{Results: make([]proto.MultiResult, 0, len(m.Ops))}
		for _, op := range m.Ops {
			req := op.Record.(*proto.PathWatchRequest)
			var (
				rec jute.Record
				err error
			)
			if op.Type == proto.OpGetData {
				rec, err = e.getData(r, req)
			} else {
				var children []string
				children, _, err = e.getChildren(r, req)
				rec = &proto.GetChildrenResponse{Strings: children}
			}
			if err != nil {
				resp.Results = append(resp.Results, proto.MultiResult{Type: proto.OpError, Err: codeOf(err)})
				continue
			}
			resp.Results = append(resp.Results, proto.MultiResult{Type: op.Type, Record: rec})
		}
		return resp, nil
	}
	return nil, proto.ErrUnimplemented
}

func (e *Engine) getData(r *request, req *proto.PathWatchRequest) (jute.Record, error) {
	info, ok := e.tree.Lookup(req.Path)
	if !ok {
		return nil, proto.ErrNoNode
	}
	if err := e.checkACL(info.ACL, proto.PermRead, r.authInfo); err != nil {
		return nil, err
	}
	data, stat, err := e.tree.GetData(req.Path, watcherFor(r.conn, req.Watch))
	if err != nil {
		return nil, err
	}
	return &proto.GetDataResponse{Data: data, Stat: stat}, nil
}

func (e *Engine) getChildren(r *request, req *proto.PathWatchRequest) ([]string, proto.Stat, error) {
	info, ok := e.tree.Lookup(req.Path)
	if !ok {
		return nil, proto.Stat{}, proto.ErrNoNode
	}
	if err := e.checkACL(info.ACL, proto.PermRead, r.authInfo); err != nil {
		return nil, proto.Stat{}, err
	}
	return e.tree.GetChildren(req.Path, watcherFor(r.conn, req.Watch))
}

// writeReply builds the reply of an applied write from its result.
func (e *Engine) writeReply(r *request) outFrame {
	if r.op == proto.OpCreateSession {
		if r.connect != nil {
			return e.sessionCreated(e.connectResponse(r.sessionID, r.connect.timeout, r.connect.hasReadOnly, false),
				r.received, r.hdr.Zxid, true)
		}
	}
	res := r.result
	hdr := proto.ReplyHeader{Xid: r.cxid, Zxid: r.hdr.Zxid, Err: res.Err}
	if r.hdr.Type == proto.OpMulti {
		// A multi that failed part-way still answers OK; the per-op
		// results carry the errors.
		hdr.Err = proto.OK
	}
	f := outFrame{hdr: hdr, started: r.received, update: true}
	if r.hdr.Type == proto.OpMulti {
		f.body = multiResponse(res)
		return f
	}
	if res.Err != proto.OK {
		return f
	}
	switch r.op {
	case proto.OpCreate:
		f.body = &proto.CreateResponse{Path: res.Path}
	case proto.OpCreate2, proto.OpCreateContainer, proto.OpCreateTTL:
		f.body = &proto.Create2Response{Path: res.Path, Stat: res.Stat}
	case proto.OpSetData, proto.OpCheck:
		f.body = &proto.SetDataResponse{Stat: res.Stat}
	case proto.OpSetACL:
		f.body = &proto.SetACLResponse{Stat: res.Stat}
	case proto.OpReconfig:
		// FinalRequestProcessor answers a reconfig with the new
		// configuration and /zookeeper/config's stat.
		if sd, ok := r.txn.(*proto.SetDataTxn); ok {
			f.body = &proto.GetDataResponse{Data: sd.Data, Stat: res.Stat}
		}
	case proto.OpMulti:
		f.body = multiResponse(res)
	case proto.OpCloseSession:
		f.closeAfter = true
	case proto.OpSync:
		// A learner's sync, answered by the leader.
		f.hdr.Zxid = e.LastZxid()
		f.body = &proto.SyncResponse{Path: r.rec.(*proto.PathRequest).Path}
	}
	return f
}

// multiResponse turns a multi's sub-results into its reply: create answers
// as create, create2/createTTL/createContainer as create2 with a Stat.
func multiResponse(res datatree.Result) *proto.MultiResponse {
	resp := &proto.MultiResponse{Results: make([]proto.MultiResult, 0, len(res.Multi))}
	for _, sub := range res.Multi {
		mr := proto.MultiResult{Type: sub.Type}
		switch sub.Type {
		case proto.OpCreate:
			mr.Record = &proto.CreateResponse{Path: sub.Path}
		case proto.OpCreate2, proto.OpCreateTTL, proto.OpCreateContainer:
			mr.Type = proto.OpCreate2
			mr.Record = &proto.Create2Response{Path: sub.Path, Stat: sub.Stat}
		case proto.OpDelete, proto.OpDeleteContainer:
			mr.Type = proto.OpDelete
		case proto.OpSetData:
			mr.Record = &proto.SetDataResponse{Stat: sub.Stat}
		case proto.OpCheck:
		case proto.OpError:
			mr.Err = sub.Err
		}
		resp.Results = append(resp.Results, mr)
	}
	return resp
}

// opAbbrev is the short op name ZooKeeper's cons shows as lop.
func opAbbrev(op proto.OpCode) string {
	switch op {
	case proto.OpCreate, proto.OpCreate2, proto.OpCreateContainer, proto.OpCreateTTL:
		return "CREA"
	case proto.OpDelete:
		return "DELE"
	case proto.OpExists:
		return "EXIS"
	case proto.OpGetData:
		return "GETD"
	case proto.OpSetData:
		return "SETD"
	case proto.OpGetACL:
		return "GETA"
	case proto.OpSetACL:
		return "SETA"
	case proto.OpGetChildren, proto.OpGetChildren2:
		return "GETC"
	case proto.OpSync:
		return "SYNC"
	case proto.OpPing:
		return "PING"
	case proto.OpMulti:
		return "MULT"
	case proto.OpCloseSession:
		return "CLOS"
	case proto.OpSetWatches, proto.OpSetWatches2:
		return "SETW"
	}
	return "NA"
}
