package proto_test

import (
	"bufio"
	"encoding/hex"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/jute"
	"github.com/zkit-go/zkit/internal/proto"
)

// goldenFrame is one captured frame (see testdata/golden/README.md).
type goldenFrame struct {
	line  int
	conn  int
	dir   byte
	label string
	body  []byte
}

func readGolden(t *testing.T, name string) []goldenFrame {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "golden", name))
	require.NoError(t, err)
	defer f.Close()
	var out []goldenFrame
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<16), 4<<20)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		require.Len(t, fields, 4, "%s:%d", name, n)
		conn, err := strconv.Atoi(fields[0])
		require.NoError(t, err)
		body, err := hex.DecodeString(fields[3])
		require.NoError(t, err, "%s:%d", name, n)
		out = append(out, goldenFrame{line: n, conn: conn, dir: fields[1][0], label: fields[2], body: body})
	}
	require.NoError(t, sc.Err())
	require.NotEmpty(t, out)
	return out
}

// decodedFrame is a golden frame decoded with our records.
type decodedFrame struct {
	goldenFrame
	connReq  *proto.ConnectRequest
	connResp *proto.ConnectResponse
	reqHdr   proto.RequestHeader
	repHdr   proto.ReplyHeader
	op       proto.OpCode // the request's op, for replies too
	rec      jute.Record  // nil when the frame has no body
}

// decodeGolden decodes every frame of a golden file, re-encodes it and
// requires the very bytes Java sent.
func decodeGolden(t *testing.T, name string) []decodedFrame {
	t.Helper()
	frames := readGolden(t, name)
	type state struct {
		sentConnect, gotConnect bool
		pending                 []proto.RequestHeader
	}
	conns := map[int]*state{}
	var out []decodedFrame
	for _, f := range frames {
		st := conns[f.conn]
		if st == nil {
			st = &state{}
			conns[f.conn] = st
		}
		df := decodedFrame{goldenFrame: f}
		where := name + ":" + strconv.Itoa(f.line) + " " + f.label
		d := jute.NewDecoder(f.body)
		d.SetMaxLength(jute.DefaultMaxBuffer)
		e := jute.NewEncoder(nil)
		switch {
		case f.dir == 'C' && !st.sentConnect:
			st.sentConnect = true
			df.connReq = &proto.ConnectRequest{}
			df.connReq.Decode(d)
			df.connReq.Encode(e)
		case f.dir == 'S' && !st.gotConnect:
			st.gotConnect = true
			df.connResp = &proto.ConnectResponse{}
			df.connResp.Decode(d)
			df.connResp.Encode(e)
		case f.dir == 'C':
			df.reqHdr.Decode(d)
			df.reqHdr.Encode(e)
			df.op = df.reqHdr.Type
			if df.reqHdr.Xid != proto.XidPing && df.reqHdr.Xid != proto.XidAuth {
				st.pending = append(st.pending, df.reqHdr)
			}
			if rec := requestRecord(df.op); rec != nil {
				rec.Decode(d)
				rec.Encode(e)
				df.rec = rec
			}
		default:
			df.repHdr.Decode(d)
			df.repHdr.Encode(e)
			switch df.repHdr.Xid {
			case proto.XidNotification:
				df.op = proto.OpNotification
				ev := &proto.WatcherEvent{}
				ev.Decode(d)
				ev.Encode(e)
				df.rec = ev
			case proto.XidPing:
				df.op = proto.OpPing
			case proto.XidAuth:
				df.op = proto.OpAuth
			default:
				require.NotEmpty(t, st.pending, "%s: reply with nothing pending", where)
				req := st.pending[0]
				st.pending = st.pending[1:]
				require.Equal(t, req.Xid, df.repHdr.Xid, "%s: replies come in request order", where)
				df.op = req.Type
				if df.repHdr.Err == proto.OK {
					if rec := responseRecord(df.op); rec != nil {
						rec.Decode(d)
						rec.Encode(e)
						df.rec = rec
					}
				}
			}
		}
		require.NoError(t, d.Err(), where)
		require.Zero(t, d.Remaining(), "%s: undecoded bytes", where)
		require.Equal(t, hex.EncodeToString(f.body), hex.EncodeToString(e.Bytes()), "%s: re-encoded bytes differ", where)
		out = append(out, df)
	}
	return out
}

// find returns the frames for op in direction dir.
func find(frames []decodedFrame, dir byte, op proto.OpCode) []decodedFrame {
	var out []decodedFrame
	for _, f := range frames {
		if f.dir == dir && f.op == op && f.connReq == nil && f.connResp == nil {
			out = append(out, f)
		}
	}
	return out
}

func TestGoldenRoundTrip(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "golden", "*.txt"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			frames := decodeGolden(t, filepath.Base(file))
			assert.NotEmpty(t, frames)
		})
	}
}

func TestGoldenConnect(t *testing.T) {
	frames := decodeGolden(t, "main.txt")
	req, resp := frames[0].connReq, frames[1].connResp
	require.NotNil(t, req)
	require.NotNil(t, resp)
	assert.Equal(t, int32(0), req.ProtocolVersion)
	assert.Equal(t, int32(30000), req.TimeOut)
	assert.Zero(t, req.SessionID)
	assert.Equal(t, make([]byte, 16), req.Passwd, "Java sends 16 zero bytes for a new session")
	assert.True(t, req.HasReadOnly)
	assert.False(t, req.ReadOnly)
	assert.Equal(t, int32(30000), resp.TimeOut)
	assert.NotZero(t, resp.SessionID)
	assert.Len(t, resp.Passwd, 16)
	assert.True(t, resp.HasReadOnly, "server answers the readOnly byte")
	assert.False(t, resp.ReadOnly)
}

func TestGoldenReplies(t *testing.T) {
	frames := decodeGolden(t, "main.txt")

	// getData /golden/plain before any set: "hello", version 0.
	gets := find(frames, 'S', proto.OpGetData)
	require.NotEmpty(t, gets)
	gd := gets[0].rec.(*proto.GetDataResponse)
	assert.Equal(t, []byte("hello"), gd.Data)
	assert.Equal(t, int32(5), gd.Stat.DataLength)
	assert.Equal(t, int32(0), gd.Stat.Version)
	assert.Equal(t, gd.Stat.Czxid, gd.Stat.Mzxid)
	assert.Equal(t, gets[0].repHdr.Zxid, int64(9), "reads carry the last processed zxid")

	// Two sets: versions 1 then 2.
	sets := find(frames, 'S', proto.OpSetData)
	require.GreaterOrEqual(t, len(sets), 2)
	assert.Equal(t, int32(1), sets[0].rec.(*proto.StatResponse).Stat.Version)
	assert.Equal(t, int32(2), sets[1].rec.(*proto.StatResponse).Stat.Version)

	// Sequential names count creates under the parent.
	creates := find(frames, 'S', proto.OpCreate)
	var paths []string
	for _, c := range creates {
		if c.rec != nil {
			paths = append(paths, c.rec.(*proto.CreateResponse).Path)
		}
	}
	assert.Contains(t, paths, "/golden/seq-0000000002")
	assert.Contains(t, paths, "/golden/eseq-0000000003")

	// Container and TTL nodes answer with Create2Response; clients see
	// ephemeralOwner 0 for both.
	for _, op := range []proto.OpCode{proto.OpCreateContainer, proto.OpCreateTTL} {
		rs := find(frames, 'S', op)
		require.Len(t, rs, 1, op.String())
		cr := rs[0].rec.(*proto.Create2Response)
		assert.Zero(t, cr.Stat.EphemeralOwner, op.String())
		assert.Equal(t, rs[0].repHdr.Zxid, cr.Stat.Czxid, op.String())
	}
	ttlReq := find(frames, 'C', proto.OpCreateTTL)[0].rec.(*proto.CreateTTLRequest)
	assert.Equal(t, int64(60000), ttlReq.TTL)
	assert.Equal(t, proto.FlagPersistentWithTTL, ttlReq.Flags)

	// Error replies are a bare header.
	wantErrs := map[proto.Code]bool{proto.ErrNoNode: false, proto.ErrNodeExists: false, proto.ErrBadVersion: false, proto.ErrNotEmpty: false}
	for _, f := range frames {
		if f.dir == 'S' && f.repHdr.Err != proto.OK {
			assert.Nil(t, f.rec)
			assert.Len(t, f.goldenFrame.body, 16, "header only")
			wantErrs[f.repHdr.Err] = true
		}
	}
	for c, seen := range wantErrs {
		assert.True(t, seen, "no %v reply captured", c)
	}

	// Notifications: xid -1, zxid -1, state SyncConnected.
	var events []proto.WatcherEvent
	for _, f := range find(frames, 'S', proto.OpNotification) {
		assert.Equal(t, int64(-1), f.repHdr.Zxid)
		ev := *f.rec.(*proto.WatcherEvent)
		assert.Equal(t, proto.StateSyncConnected, ev.State)
		events = append(events, ev)
	}
	assert.Contains(t, events, proto.WatcherEvent{Type: proto.EventNodeDataChanged, State: 3, Path: "/golden/plain"})
	assert.Contains(t, events, proto.WatcherEvent{Type: proto.EventNodeCreated, State: 3, Path: "/golden/later"})
	assert.Contains(t, events, proto.WatcherEvent{Type: proto.EventNodeChildrenChanged, State: 3, Path: "/golden"})
	assert.Contains(t, events, proto.WatcherEvent{Type: proto.EventNodeCreated, State: 3, Path: "/golden/rec"})

	// whoAmI before and after addauth.
	who := find(frames, 'S', proto.OpWhoAmI)
	require.Len(t, who, 2)
	assert.Equal(t, []proto.ClientInfo{{AuthScheme: "ip", User: "127.0.0.1"}}, who[0].rec.(*proto.WhoAmIResponse).ClientInfo)
	assert.Equal(t, []proto.ClientInfo{{AuthScheme: "digest", User: "user1"}, {AuthScheme: "ip", User: "127.0.0.1"}},
		who[1].rec.(*proto.WhoAmIResponse).ClientInfo)

	// auth: xid -4, type 0, scheme digest; reply zxid 0.
	auth := find(frames, 'C', proto.OpAuth)
	require.Len(t, auth, 1)
	assert.Equal(t, proto.XidAuth, auth[0].reqHdr.Xid)
	assert.Equal(t, &proto.AuthPacket{Type: 0, Scheme: "digest", Auth: []byte("user1:pass1")}, auth[0].rec)
	authReply := find(frames, 'S', proto.OpAuth)
	require.Len(t, authReply, 1)
	assert.Zero(t, authReply[0].repHdr.Zxid)

	// ACLs as set.
	acls := find(frames, 'S', proto.OpGetACL)
	require.Len(t, acls, 2)
	assert.Equal(t, proto.OpenACLUnsafe, acls[0].rec.(*proto.GetACLResponse).ACL)
	dig := acls[1].rec.(*proto.GetACLResponse).ACL
	require.Len(t, dig, 1)
	assert.Equal(t, "digest", dig[0].ID.Scheme)
	assert.Equal(t, "user1:+7K83PhyQ3ijGj0ADmljf0quVwQ=", dig[0].ID.ID)
	ipReq := find(frames, 'C', proto.OpSetACL)[1].rec.(*proto.SetACLRequest)
	assert.Equal(t, []proto.ACL{{Perms: proto.PermAll, ID: proto.ID{Scheme: "ip", ID: "127.0.0.1"}}}, ipReq.ACL)

	// addWatch answers an ErrorResponse{0}.
	aw := find(frames, 'S', proto.OpAddWatch)
	require.Len(t, aw, 1)
	assert.Equal(t, &proto.ErrorResponse{Err: proto.OK}, aw[0].rec)
	assert.Equal(t, proto.AddWatchPersistentRecursive, find(frames, 'C', proto.OpAddWatch)[0].rec.(*proto.PathTypeRequest).Type)

	// getEphemerals lists this session's ephemerals.
	eph := find(frames, 'S', proto.OpGetEphemerals)
	require.Len(t, eph, 2)
	assert.ElementsMatch(t, []string{"/golden/eph", "/golden/eseq-0000000003"}, eph[0].rec.(*proto.StringsResponse).Strings)

	num := find(frames, 'S', proto.OpGetAllChildrenNumber)
	require.Len(t, num, 1)
	assert.Equal(t, int32(12), num[0].rec.(*proto.GetAllChildrenNumberResponse).TotalNumber)

	syncs := find(frames, 'S', proto.OpSync)
	require.Len(t, syncs, 1)
	assert.Equal(t, "/golden", syncs[0].rec.(*proto.SyncResponse).Path)

	// deleteall sends one multi of deletes, children first.
	mreq := find(frames, 'C', proto.OpMulti)
	require.Len(t, mreq, 1)
	ops := mreq[0].rec.(*proto.MultiRequest).Ops
	require.Len(t, ops, 3)
	for _, op := range ops {
		assert.Equal(t, proto.OpDelete, op.Type)
	}
	assert.Equal(t, "/golden/tree", ops[2].Record.(*proto.DeleteRequest).Path)
	mresp := find(frames, 'S', proto.OpMulti)[0].rec.(*proto.MultiResponse)
	require.Len(t, mresp.Results, 3)
	for _, r := range mresp.Results {
		assert.Equal(t, proto.MultiResult{Type: proto.OpDelete}, r)
	}

	// closeSession: bare header both ways.
	cs := find(frames, 'S', proto.OpCloseSession)
	require.Len(t, cs, 1)
	assert.Equal(t, proto.OK, cs[0].repHdr.Err)
}

func TestGoldenNoAuth(t *testing.T) {
	frames := decodeGolden(t, "noauth.txt")
	n := 0
	for _, f := range frames {
		if f.dir == 'S' && f.repHdr.Xid > 0 && f.op != proto.OpCloseSession {
			assert.Equal(t, proto.ErrNoAuth, f.repHdr.Err, f.label)
			n++
		}
	}
	assert.Equal(t, 5, n)
}

func TestGoldenReconnect(t *testing.T) {
	frames := decodeGolden(t, "reconnect.txt")
	var connects []*proto.ConnectRequest
	var accepted []*proto.ConnectResponse
	for _, f := range frames {
		if f.connReq != nil {
			connects = append(connects, f.connReq)
		}
		if f.connResp != nil {
			accepted = append(accepted, f.connResp)
		}
	}
	require.Len(t, connects, 3)
	require.Len(t, accepted, 3)
	for i := 1; i < 3; i++ {
		assert.Equal(t, accepted[0].SessionID, connects[i].SessionID, "reconnect %d resumes the session", i)
		assert.Equal(t, accepted[0].Passwd, connects[i].Passwd)
		assert.NotZero(t, connects[i].LastZxidSeen)
		assert.Equal(t, accepted[0].SessionID, accepted[i].SessionID)
	}

	sw := find(frames, 'C', proto.OpSetWatches)
	require.Len(t, sw, 1)
	assert.Positive(t, sw[0].reqHdr.Xid, "the Java client gives SetWatches a normal xid")
	assert.Equal(t, &proto.SetWatches{
		RelativeZxid: connects[1].LastZxidSeen,
		DataWatches:  []string{"/rc"},
		ExistWatches: []string{"/rc/none"},
		ChildWatches: []string{"/rc"},
	}, sw[0].rec)

	sw2 := find(frames, 'C', proto.OpSetWatches2)
	require.Len(t, sw2, 1)
	assert.Equal(t, &proto.SetWatches2{
		RelativeZxid:               connects[2].LastZxidSeen,
		DataWatches:                []string{},
		ExistWatches:               []string{"/rc/none"},
		ChildWatches:               []string{"/rc"},
		PersistentWatches:          []string{},
		PersistentRecursiveWatches: []string{"/rc"},
	}, sw2[0].rec)
}

func TestGoldenClient(t *testing.T) {
	frames := decodeGolden(t, "client.txt")

	multis := find(frames, 'S', proto.OpMulti)
	require.Len(t, multis, 2)
	ok := multis[0].rec.(*proto.MultiResponse).Results
	require.Len(t, ok, 7)
	// Debian's 3.8.0 answers a create2 sub-op as create (ZOOKEEPER-4026
	// changed that in 3.8.1); container and TTL creates answer as create2.
	wantTypes := []proto.OpCode{proto.OpCreate, proto.OpCreate, proto.OpCreate2, proto.OpCreate2, proto.OpSetData, proto.OpCheck, proto.OpDelete}
	for i, r := range ok {
		assert.Equal(t, wantTypes[i], r.Type, "result %d", i)
	}
	assert.Equal(t, "/cl/c", ok[2].Record.(*proto.Create2Response).Path)

	// A failed multi: header OK; results error 0, the failing code, then -2.
	assert.Equal(t, proto.OK, multis[1].repHdr.Err)
	assert.Equal(t, []proto.MultiResult{
		{Type: proto.OpError, Err: proto.OK},
		{Type: proto.OpError, Err: proto.ErrBadVersion},
		{Type: proto.OpError, Err: proto.ErrRuntimeInconsistency},
	}, multis[1].rec.(*proto.MultiResponse).Results)
	assert.Greater(t, multis[1].repHdr.Zxid, multis[0].repHdr.Zxid, "a failed multi takes a zxid")

	mr := find(frames, 'S', proto.OpMultiRead)
	require.Len(t, mr, 1)
	res := mr[0].rec.(*proto.MultiResponse).Results
	require.Len(t, res, 3)
	assert.Equal(t, []byte("a2"), res[0].Record.(*proto.GetDataResponse).Data)
	assert.Equal(t, proto.OpGetChildren, res[1].Type)
	assert.Equal(t, proto.MultiResult{Type: proto.OpError, Err: proto.ErrNoNode}, res[2])

	cw := find(frames, 'S', proto.OpCheckWatches)
	require.Len(t, cw, 2)
	assert.Equal(t, proto.ErrNoWatcher, cw[0].repHdr.Err)
	assert.Equal(t, proto.OK, cw[1].repHdr.Err)

	// setWatches with the C client's xid -8 is echoed, and fires the data
	// watch on a node changed after relativeZxid before replying.
	sw := find(frames, 'S', proto.OpSetWatches)
	require.Len(t, sw, 1)
	assert.Equal(t, proto.XidSetWatches, sw[0].repHdr.Xid)

	ping := find(frames, 'S', proto.OpPing)
	require.Len(t, ping, 1)
	assert.Equal(t, proto.XidPing, ping[0].repHdr.Xid)
	assert.Positive(t, ping[0].repHdr.Zxid, "ping replies carry the last processed zxid")
}
