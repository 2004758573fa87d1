package proto_test

import (
	"encoding/binary"
	"encoding/hex"
	"math/rand/v2"
	"reflect"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/jute"
	"github.com/zkit-go/zkit/internal/proto"
)

var sampleStat = proto.Stat{
	Czxid: 0x100000001, Mzxid: 0x100000002, Ctime: 1700000000000, Mtime: 1700000000001,
	Version: 3, Cversion: -1, Aversion: 2, EphemeralOwner: 0x1000006ab, DataLength: 5,
	NumChildren: 7, Pzxid: 0x100000003,
}

var sampleACL = []proto.ACL{
	{Perms: proto.PermAll, ID: proto.AnyoneID},
	{Perms: proto.PermRead | proto.PermAdmin, ID: proto.ID{Scheme: "digest", ID: "u:h="}},
}

// samples holds one populated value of every record.
func samples() []jute.Record {
	return []jute.Record{
		&proto.ID{Scheme: "ip", ID: "127.0.0.1"},
		&proto.ACL{Perms: 3, ID: proto.ID{Scheme: "world", ID: "anyone"}},
		&sampleStat,
		&proto.StatPersisted{Czxid: 1, Mzxid: 2, Ctime: 3, Mtime: 4, Version: 5, Cversion: 6, Aversion: 7, EphemeralOwner: proto.ContainerOwner, Pzxid: 9},
		&proto.ClientInfo{AuthScheme: "digest", User: "u"},
		&proto.ConnectRequest{LastZxidSeen: 9, TimeOut: 30000, SessionID: 0x1234, Passwd: make([]byte, 16), ReadOnly: true, HasReadOnly: true},
		&proto.ConnectRequest{TimeOut: 4000, Passwd: []byte{}},
		&proto.ConnectResponse{TimeOut: 4000, SessionID: -1, Passwd: []byte("0123456789abcdef"), HasReadOnly: true},
		&proto.ConnectResponse{TimeOut: 4000, Passwd: make([]byte, 16)},
		&proto.RequestHeader{Xid: 7, Type: proto.OpCreateTTL},
		&proto.ReplyHeader{Xid: -1, Zxid: -1, Err: proto.ErrNoNode},
		&proto.MultiHeader{Type: proto.OpError, Done: true, Err: proto.ErrBadVersion},
		&proto.AuthPacket{Scheme: "digest", Auth: []byte("u:p")},
		&proto.SetWatches{RelativeZxid: 5, DataWatches: []string{"/a"}, ExistWatches: []string{}, ChildWatches: []string{"/b", "/c"}},
		&proto.SetWatches2{RelativeZxid: 5, DataWatches: []string{"/a"}, ExistWatches: []string{}, ChildWatches: []string{}, PersistentWatches: []string{"/p"}, PersistentRecursiveWatches: []string{"/r"}},
		&proto.PathWatchRequest{Path: "/a", Watch: true},
		&proto.PathRequest{Path: "/a/b"},
		&proto.PathVersionRequest{Path: "/a", Version: -1},
		&proto.PathTypeRequest{Path: "/a", Type: int32(proto.WatcherAny)},
		&proto.SetDataRequest{Path: "/a", Data: []byte("x"), Version: 4},
		&proto.CreateRequest{Path: "/a", Data: []byte{}, ACL: sampleACL, Flags: proto.FlagEphemeralSequential},
		&proto.CreateTTLRequest{Path: "/t", Data: []byte("d"), ACL: sampleACL, Flags: proto.FlagPersistentWithTTL, TTL: proto.MaxTTL},
		&proto.SetACLRequest{Path: "/a", ACL: sampleACL, Version: 1},
		&proto.ReconfigRequest{JoiningServers: "server.4=h:1:2", LeavingServers: "2", NewMembers: "", CurConfigID: -1},
		&proto.TokenRecord{Token: []byte{1, 2, 3}},
		&proto.StatResponse{Stat: sampleStat},
		&proto.WatcherEvent{Type: proto.EventPersistentWatchRemoved, State: proto.StateSyncConnected, Path: "/w"},
		&proto.ErrorResponse{Err: proto.ErrRuntimeInconsistency},
		&proto.Create2Response{Path: "/s0000000001", Stat: sampleStat},
		&proto.GetDataResponse{Data: []byte("hello"), Stat: sampleStat},
		&proto.GetDataResponse{Stat: sampleStat},
		&proto.StringsResponse{Strings: []string{"a", "b"}},
		&proto.GetChildren2Response{Children: []string{}, Stat: sampleStat},
		&proto.GetAllChildrenNumberResponse{TotalNumber: 12},
		&proto.GetACLResponse{ACL: sampleACL, Stat: sampleStat},
		&proto.WhoAmIResponse{ClientInfo: []proto.ClientInfo{{AuthScheme: "ip", User: "127.0.0.1"}}},
		&proto.TxnHeader{ClientID: 0x100, Cxid: 3, Zxid: 0x200000001, Time: 1700000000000, Type: proto.OpMulti},
		&proto.TxnDigest{Version: 2, TreeDigest: -5},
		&proto.CreateTxn{Path: "/a", Data: []byte("d"), ACL: sampleACL, Ephemeral: true, ParentCVersion: 4},
		&proto.CreateTTLTxn{Path: "/a", Data: []byte("d"), ACL: sampleACL, ParentCVersion: 4, TTL: 1000},
		&proto.CreateContainerTxn{Path: "/a", Data: []byte{}, ACL: sampleACL, ParentCVersion: 1},
		&proto.SetDataTxn{Path: "/a", Data: []byte("x"), Version: 2},
		&proto.SetACLTxn{Path: "/a", ACL: sampleACL, Version: 2},
		&proto.CreateSessionTxn{TimeOut: 30000},
		&proto.CloseSessionTxn{Paths2Delete: []string{"/e1", "/e2"}},
		&proto.Txn{Type: proto.OpDelete, Data: jute.Marshal(&proto.DeleteTxn{Path: "/x"})},
		&proto.MultiTxn{Txns: []proto.Txn{{Type: proto.OpCheck, Data: []byte{0, 0, 0, 0, 0, 0, 0, 0}}, {Type: proto.OpError, Data: []byte{0, 0, 0, 0}}}},
		&proto.QuorumPacket{Type: 2, Zxid: 0x100000001, Data: []byte("p"), AuthInfo: []proto.ID{{Scheme: "ip", ID: "1.2.3.4"}}},
		&proto.QuorumPacket{Type: 5, Zxid: 1},
		&proto.LearnerInfo{ServerID: 3, ProtocolVersion: 0x10000, ConfigVersion: -1},
		&proto.FileHeader{Magic: proto.TxnLogMagic, Version: 2, DBID: 0},
		&proto.MultiRequest{Ops: []proto.MultiOp{
			{Type: proto.OpCreate, Record: &proto.CreateRequest{Path: "/m", Data: []byte("d"), ACL: sampleACL}},
			{Type: proto.OpCreate2, Record: &proto.CreateRequest{Path: "/m2", ACL: sampleACL, Flags: 2}},
			{Type: proto.OpCreateContainer, Record: &proto.CreateRequest{Path: "/c", ACL: sampleACL, Flags: 4}},
			{Type: proto.OpCreateTTL, Record: &proto.CreateTTLRequest{Path: "/t", ACL: sampleACL, Flags: 5, TTL: 10}},
			{Type: proto.OpDelete, Record: &proto.DeleteRequest{Path: "/m", Version: -1}},
			{Type: proto.OpSetData, Record: &proto.SetDataRequest{Path: "/m", Data: []byte("x"), Version: 0}},
			{Type: proto.OpCheck, Record: &proto.CheckVersionRequest{Path: "/m", Version: 1}},
			{Type: proto.OpGetChildren, Record: &proto.GetChildrenRequest{Path: "/"}},
			{Type: proto.OpGetData, Record: &proto.GetDataRequest{Path: "/m"}},
		}},
		&proto.MultiResponse{Results: []proto.MultiResult{
			{Type: proto.OpCreate, Record: &proto.CreateResponse{Path: "/m"}},
			{Type: proto.OpCreate2, Record: &proto.Create2Response{Path: "/m2", Stat: sampleStat}},
			{Type: proto.OpDelete},
			{Type: proto.OpCheck},
			{Type: proto.OpSetData, Record: &proto.SetDataResponse{Stat: sampleStat}},
			{Type: proto.OpGetChildren, Record: &proto.GetChildrenResponse{Strings: []string{"a"}}},
			{Type: proto.OpGetData, Record: &proto.GetDataResponse{Data: []byte("d"), Stat: sampleStat}},
			{Type: proto.OpError, Err: proto.ErrNoNode},
		}},
	}
}

// TestRoundTrip encodes every record, decodes it into a fresh value and
// requires equality and full consumption.
func TestRoundTrip(t *testing.T) {
	for _, in := range samples() {
		t.Run(reflect.TypeOf(in).Elem().Name(), func(t *testing.T) {
			b := jute.Marshal(in)
			out := reflect.New(reflect.TypeOf(in).Elem()).Interface().(jute.Record)
			d := jute.NewDecoder(b)
			out.Decode(d)
			require.NoError(t, d.Err())
			assert.Zero(t, d.Remaining())
			assert.Equal(t, in, out)
			assert.Equal(t, b, jute.Marshal(out))
		})
	}
}

// Field kinds of a schema, written from zookeeper.jute, independent of
// the Go records: a schema test catches a field out of order or missing.
//
//	Z boolean  I int  L long  S ustring  B buffer  T Stat  P StatPersisted
//	A vector<ACL>  V vector<ustring>  D vector<Id>  C vector<ClientInfo>
//	X vector<Txn>  r trailing readOnly byte (optional)
var schemas = []struct {
	name   string
	schema string
	rec    func() jute.Record
}{
	{"Id", "SS", func() jute.Record { return &proto.ID{} }},
	{"ACL", "ISS", func() jute.Record { return &proto.ACL{} }},
	{"Stat", "T", func() jute.Record { return &proto.Stat{} }},
	{"StatPersisted", "P", func() jute.Record { return &proto.StatPersisted{} }},
	{"ClientInfo", "SS", func() jute.Record { return &proto.ClientInfo{} }},
	{"ConnectRequest", "ILILBr", func() jute.Record { return &proto.ConnectRequest{} }},
	{"ConnectResponse", "IILBr", func() jute.Record { return &proto.ConnectResponse{} }},
	{"RequestHeader", "II", func() jute.Record { return &proto.RequestHeader{} }},
	{"ReplyHeader", "ILI", func() jute.Record { return &proto.ReplyHeader{} }},
	{"MultiHeader", "IZI", func() jute.Record { return &proto.MultiHeader{} }},
	{"AuthPacket", "ISB", func() jute.Record { return &proto.AuthPacket{} }},
	{"SetWatches", "LVVV", func() jute.Record { return &proto.SetWatches{} }},
	{"SetWatches2", "LVVVVV", func() jute.Record { return &proto.SetWatches2{} }},
	{"GetDataRequest", "SZ", func() jute.Record { return &proto.GetDataRequest{} }},
	{"SyncRequest", "S", func() jute.Record { return &proto.SyncRequest{} }},
	{"DeleteRequest", "SI", func() jute.Record { return &proto.DeleteRequest{} }},
	{"AddWatchRequest", "SI", func() jute.Record { return &proto.AddWatchRequest{} }},
	{"SetDataRequest", "SBI", func() jute.Record { return &proto.SetDataRequest{} }},
	{"CreateRequest", "SBAI", func() jute.Record { return &proto.CreateRequest{} }},
	{"CreateTTLRequest", "SBAIL", func() jute.Record { return &proto.CreateTTLRequest{} }},
	{"SetACLRequest", "SAI", func() jute.Record { return &proto.SetACLRequest{} }},
	{"ReconfigRequest", "SSSL", func() jute.Record { return &proto.ReconfigRequest{} }},
	{"GetSASLRequest", "B", func() jute.Record { return &proto.GetSASLRequest{} }},
	{"SetDataResponse", "T", func() jute.Record { return &proto.SetDataResponse{} }},
	{"WatcherEvent", "IIS", func() jute.Record { return &proto.WatcherEvent{} }},
	{"ErrorResponse", "I", func() jute.Record { return &proto.ErrorResponse{} }},
	{"Create2Response", "ST", func() jute.Record { return &proto.Create2Response{} }},
	{"GetDataResponse", "BT", func() jute.Record { return &proto.GetDataResponse{} }},
	{"GetChildrenResponse", "V", func() jute.Record { return &proto.GetChildrenResponse{} }},
	{"GetChildren2Response", "VT", func() jute.Record { return &proto.GetChildren2Response{} }},
	{"GetAllChildrenNumberResponse", "I", func() jute.Record { return &proto.GetAllChildrenNumberResponse{} }},
	{"GetACLResponse", "AT", func() jute.Record { return &proto.GetACLResponse{} }},
	{"WhoAmIResponse", "C", func() jute.Record { return &proto.WhoAmIResponse{} }},
	{"TxnHeader", "LILLI", func() jute.Record { return &proto.TxnHeader{} }},
	{"TxnDigest", "IL", func() jute.Record { return &proto.TxnDigest{} }},
	{"CreateTxn", "SBAZI", func() jute.Record { return &proto.CreateTxn{} }},
	{"CreateTTLTxn", "SBAIL", func() jute.Record { return &proto.CreateTTLTxn{} }},
	{"CreateContainerTxn", "SBAI", func() jute.Record { return &proto.CreateContainerTxn{} }},
	{"DeleteTxn", "S", func() jute.Record { return &proto.DeleteTxn{} }},
	{"SetDataTxn", "SBI", func() jute.Record { return &proto.SetDataTxn{} }},
	{"CheckVersionTxn", "SI", func() jute.Record { return &proto.CheckVersionTxn{} }},
	{"SetACLTxn", "SAI", func() jute.Record { return &proto.SetACLTxn{} }},
	{"CreateSessionTxn", "I", func() jute.Record { return &proto.CreateSessionTxn{} }},
	{"CloseSessionTxn", "V", func() jute.Record { return &proto.CloseSessionTxn{} }},
	{"Txn", "IB", func() jute.Record { return &proto.Txn{} }},
	{"MultiTxn", "X", func() jute.Record { return &proto.MultiTxn{} }},
	{"QuorumPacket", "ILBD", func() jute.Record { return &proto.QuorumPacket{} }},
	{"LearnerInfo", "LIL", func() jute.Record { return &proto.LearnerInfo{} }},
	{"FileHeader", "IIL", func() jute.Record { return &proto.FileHeader{} }},
}

// genMode selects how genSchema fills variable-length fields.
type genMode int

const (
	genRandom genMode = iota // random values, nulls only where Go keeps them (buffers, Id vectors)
	genNull                  // every string, buffer and vector null (-1), as kazoo sends empties
	genMax                   // extreme integers and longer values
)

func genSchema(e *jute.Encoder, schema string, r *rand.Rand, mode genMode) {
	str := func() {
		switch mode {
		case genNull:
			e.NullString()
		case genMax:
			e.String(string(make([]byte, 300)))
		default:
			b := make([]byte, r.IntN(12))
			for i := range b {
				b[i] = byte(r.IntN(256))
			}
			e.String(string(b))
		}
	}
	count := func() int {
		switch mode {
		case genNull:
			e.Int(-1)
			return 0
		case genMax:
			e.Int(40)
			return 40
		}
		n := r.IntN(4)
		e.Int(int32(n))
		return n
	}
	integer := func() int32 {
		if mode == genMax {
			return []int32{-1 << 31, 1<<31 - 1, -1}[r.IntN(3)]
		}
		return r.Int32() - r.Int32()
	}
	long := func() int64 {
		if mode == genMax {
			return []int64{-1 << 63, 1<<63 - 1, -1}[r.IntN(3)]
		}
		return r.Int64() - r.Int64()
	}
	buffer := func() {
		switch {
		case mode == genNull || r.IntN(4) == 0:
			e.Buffer(nil)
		case mode == genMax:
			e.Buffer(make([]byte, jute.DefaultMaxBuffer-64))
		default:
			b := make([]byte, r.IntN(12))
			for i := range b {
				b[i] = byte(r.IntN(256))
			}
			e.Buffer(b)
		}
	}
	for _, k := range schema {
		switch k {
		case 'Z':
			e.Bool(r.IntN(2) == 1)
		case 'I':
			e.Int(integer())
		case 'L':
			e.Long(long())
		case 'S':
			str()
		case 'B':
			buffer()
		case 'T':
			genSchema(e, "LLLLIIILIIL", r, mode)
		case 'P':
			genSchema(e, "LLLLIIILL", r, mode)
		case 'A':
			for range count() {
				genSchema(e, "ISS", r, mode)
			}
		case 'V':
			for range count() {
				str()
			}
		case 'D':
			if mode == genRandom && r.IntN(3) == 0 {
				e.Int(-1)
				continue
			}
			for range count() {
				genSchema(e, "SS", r, mode)
			}
		case 'C':
			for range count() {
				genSchema(e, "SS", r, mode)
			}
		case 'X':
			for range count() {
				genSchema(e, "IB", r, mode)
			}
		case 'r':
			if mode == genMax || r.IntN(2) == 1 {
				e.Bool(r.IntN(2) == 1)
			}
		}
	}
}

// TestSchemaRandom decodes random values laid out per zookeeper.jute and
// requires the same bytes back: field order and types match Java's.
func TestSchemaRandom(t *testing.T) {
	for _, s := range schemas {
		t.Run(s.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(1, uint64(len(s.name))))
			for i := 0; i < 200; i++ {
				var e jute.Encoder
				mode := genRandom
				if i == 199 {
					mode = genMax
				}
				genSchema(&e, s.schema, r, mode)
				rec := s.rec()
				d := jute.NewDecoder(e.Bytes())
				d.SetMaxLength(jute.DefaultMaxBuffer)
				rec.Decode(d)
				require.NoError(t, d.Err())
				require.Zero(t, d.Remaining())
				require.Equal(t, hex.EncodeToString(e.Bytes()), hex.EncodeToString(jute.Marshal(rec)))
			}
		})
	}
}

// TestSchemaNull decodes every record with all strings, buffers and
// vectors null: a server must accept what kazoo sends.
func TestSchemaNull(t *testing.T) {
	for _, s := range schemas {
		t.Run(s.name, func(t *testing.T) {
			var e jute.Encoder
			genSchema(&e, s.schema, rand.New(rand.NewPCG(2, 2)), genNull)
			rec := s.rec()
			d := jute.NewDecoder(e.Bytes())
			rec.Decode(d)
			require.NoError(t, d.Err())
			require.Zero(t, d.Remaining())
			// Re-encoding gives valid jute (null strings and vectors come
			// out empty) that is stable from then on.
			again := s.rec()
			require.NoError(t, jute.Unmarshal(jute.Marshal(rec), again))
			assert.Equal(t, jute.Marshal(rec), jute.Marshal(again))
		})
	}
}

// TestNullFields checks what null decodes to in the records a server reads.
func TestNullFields(t *testing.T) {
	null := []byte{0xff, 0xff, 0xff, 0xff}
	cat := func(parts ...[]byte) []byte {
		var b []byte
		for _, p := range parts {
			b = append(b, p...)
		}
		return b
	}
	i32 := func(v int32) []byte { return binary.BigEndian.AppendUint32(nil, uint32(v)) }

	var cr proto.CreateRequest
	require.NoError(t, jute.Unmarshal(cat(null, null, null, i32(1)), &cr))
	assert.Equal(t, proto.CreateRequest{Flags: 1}, cr)

	var sd proto.SetDataRequest
	require.NoError(t, jute.Unmarshal(cat(i32(2), []byte("/a"), null, i32(-1)), &sd))
	assert.Equal(t, proto.SetDataRequest{Path: "/a", Version: -1}, sd)
	assert.Nil(t, sd.Data, "null data stays distinguishable from empty")

	var ap proto.AuthPacket
	require.NoError(t, jute.Unmarshal(cat(i32(0), null, null), &ap))
	assert.Equal(t, proto.AuthPacket{}, ap)

	var conn proto.ConnectRequest
	require.NoError(t, jute.Unmarshal(cat(i32(0), make([]byte, 8), i32(10000), make([]byte, 8), null), &conn))
	assert.Nil(t, conn.Passwd)
	assert.False(t, conn.HasReadOnly, "old clients send no readOnly byte")
}

func TestMultiRequestRejectsBadOp(t *testing.T) {
	var e jute.Encoder
	(&proto.MultiHeader{Type: proto.OpSetACL, Err: -1}).Encode(&e)
	(&proto.SetACLRequest{Path: "/a"}).Encode(&e)
	var m proto.MultiRequest
	err := jute.Unmarshal(e.Bytes(), &m)
	require.ErrorIs(t, err, proto.ErrBadMultiOp)
	require.ErrorIs(t, err, jute.ErrMalformed)
}

func TestMultiRequestEmptyAndUnterminated(t *testing.T) {
	var m proto.MultiRequest
	require.NoError(t, jute.Unmarshal(jute.Marshal(&proto.MultiRequest{}), &m))
	assert.Empty(t, m.Ops)
	assert.Equal(t, "ffffffff01ffffffff", hex.EncodeToString(jute.Marshal(&proto.MultiRequest{})))

	// Without the terminating header the decoder runs out of bytes.
	b := jute.Marshal(&proto.MultiRequest{Ops: []proto.MultiOp{{Type: proto.OpDelete, Record: &proto.DeleteRequest{Path: "/a"}}}})
	require.ErrorIs(t, jute.Unmarshal(b[:len(b)-9], &m), jute.ErrMalformed)
}

func TestMultiResponseFailureLayout(t *testing.T) {
	// A failed multi as ZooKeeper sends it: every result an error, the
	// earlier ones with code 0, the failing one its code, the rest -2.
	resp := &proto.MultiResponse{Results: []proto.MultiResult{
		{Type: proto.OpError, Err: proto.OK},
		{Type: proto.OpError, Err: proto.ErrNoNode},
		{Type: proto.OpError, Err: proto.ErrRuntimeInconsistency},
	}}
	want := "ffffffff0000000000" + "00000000" +
		"ffffffff00ffffff9b" + "ffffff9b" +
		"ffffffff00fffffffe" + "fffffffe" +
		"ffffffff01ffffffff"
	assert.Equal(t, want, hex.EncodeToString(jute.Marshal(resp)))
}

func TestDecodeTxnEntry(t *testing.T) {
	hdr := proto.TxnHeader{ClientID: 5, Cxid: 1, Zxid: 0x100000002, Time: 99, Type: proto.OpCreate}
	rec := &proto.CreateTxn{Path: "/a", Data: []byte("x"), ACL: proto.OpenACLUnsafe, ParentCVersion: 1}
	for _, dg := range []*proto.TxnDigest{nil, {Version: 2, TreeDigest: 77}} {
		var e jute.Encoder
		proto.EncodeTxnEntry(&e, &hdr, rec, dg)
		gh, gr, gd, err := proto.DecodeTxnEntry(e.Bytes())
		require.NoError(t, err)
		assert.Equal(t, hdr, gh)
		assert.Equal(t, rec, gr)
		assert.Equal(t, dg, gd)
	}

	// CreateTxnV0 (no parentCVersion) reads with ParentCVersion -1.
	var e jute.Encoder
	hdr.Type = proto.OpCreate
	hdr.Encode(&e)
	e.String("/v0")
	e.Buffer(nil)
	proto.EncodeACLs(&e, proto.OpenACLUnsafe)
	e.Bool(false)
	_, gr, gd, err := proto.DecodeTxnEntry(e.Bytes())
	require.NoError(t, err)
	assert.Equal(t, int32(-1), gr.(*proto.CreateTxn).ParentCVersion)
	assert.Nil(t, gd)

	// closeSession with no body (before 3.6).
	e.Reset()
	(&proto.TxnHeader{Type: proto.OpCloseSession}).Encode(&e)
	_, gr, _, err = proto.DecodeTxnEntry(e.Bytes())
	require.NoError(t, err)
	assert.Equal(t, &proto.CloseSessionTxn{}, gr)

	// Unknown and top-level check types are errors.
	for _, typ := range []proto.OpCode{proto.OpCheck, proto.OpGetData, 9999} {
		e.Reset()
		(&proto.TxnHeader{Type: typ}).Encode(&e)
		e.String("/a")
		e.Int(1)
		_, _, _, err = proto.DecodeTxnEntry(e.Bytes())
		require.ErrorIs(t, err, proto.ErrUnknownTxn, typ.String())
	}

	// Every txn type round-trips through an entry.
	bodies := map[proto.OpCode]jute.Record{
		proto.OpCreateSession:   &proto.CreateSessionTxn{TimeOut: 1},
		proto.OpCloseSession:    &proto.CloseSessionTxn{Paths2Delete: []string{"/e"}},
		proto.OpCreate2:         &proto.CreateTxn{Path: "/a", Data: []byte{}, ACL: proto.OpenACLUnsafe},
		proto.OpCreateTTL:       &proto.CreateTTLTxn{Path: "/a", Data: []byte{}, ACL: proto.OpenACLUnsafe, TTL: 5},
		proto.OpCreateContainer: &proto.CreateContainerTxn{Path: "/a", Data: []byte{}, ACL: proto.OpenACLUnsafe},
		proto.OpDelete:          &proto.DeleteTxn{Path: "/a"},
		proto.OpDeleteContainer: &proto.DeleteTxn{Path: "/a"},
		proto.OpSetData:         &proto.SetDataTxn{Path: "/a", Data: []byte("d"), Version: 1},
		proto.OpReconfig:        &proto.SetDataTxn{Path: "/zookeeper/config", Data: []byte("server.1=x"), Version: 1},
		proto.OpSetACL:          &proto.SetACLTxn{Path: "/a", ACL: proto.OpenACLUnsafe, Version: 1},
		proto.OpError:           &proto.ErrorTxn{Err: proto.ErrNoNode},
		proto.OpMulti:           &proto.MultiTxn{Txns: []proto.Txn{{Type: proto.OpDelete, Data: jute.Marshal(&proto.DeleteTxn{Path: "/a"})}}},
	}
	for typ, body := range bodies {
		e.Reset()
		h := proto.TxnHeader{ClientID: 1, Zxid: 2, Type: typ}
		proto.EncodeTxnEntry(&e, &h, body, &proto.TxnDigest{Version: 2, TreeDigest: 3})
		gh, gr, gd, err := proto.DecodeTxnEntry(e.Bytes())
		require.NoError(t, err, typ.String())
		assert.Equal(t, h, gh)
		assert.Equal(t, body, gr, typ.String())
		assert.Equal(t, &proto.TxnDigest{Version: 2, TreeDigest: 3}, gd)
	}
}

func TestQuorumPacketNullAuthInfo(t *testing.T) {
	b := jute.Marshal(&proto.QuorumPacket{Type: 5, Zxid: 1})
	assert.Equal(t, "00000005"+"0000000000000001"+"ffffffff"+"ffffffff", hex.EncodeToString(b))
}

func TestCodeAndOpStrings(t *testing.T) {
	assert.Equal(t, "zk: no node", proto.ErrNoNode.Error())
	assert.Equal(t, "zk: unknown error code -9", proto.Code(-9).Error())
	assert.Equal(t, "createTTL", proto.OpCreateTTL.String())
	assert.Equal(t, "op(77)", proto.OpCode(77).String())
	assert.True(t, proto.OpMulti.IsWrite())
	assert.False(t, proto.OpMultiRead.IsWrite())
	var err error = proto.ErrBadVersion
	assert.ErrorIs(t, err, proto.ErrBadVersion)
}

// TestHostileLengths: records whose counts and lengths claim far more than
// the input holds fail without allocating for the claim.
func TestHostileLengths(t *testing.T) {
	huge := []byte{0x7f, 0xff, 0xff, 0xf0}
	inputs := map[string]struct {
		in  []byte
		rec func() jute.Record
	}{
		"acl vector":        {append([]byte{0, 0, 0, 2, 0x61, 0x62, 0xff, 0xff, 0xff, 0xff}, huge...), func() jute.Record { return &proto.CreateRequest{} }},
		"children":          {huge, func() jute.Record { return &proto.GetChildrenResponse{} }},
		"set watches":       {append(make([]byte, 8), huge...), func() jute.Record { return &proto.SetWatches2{} }},
		"whoami":            {huge, func() jute.Record { return &proto.WhoAmIResponse{} }},
		"multi txn":         {huge, func() jute.Record { return &proto.MultiTxn{} }},
		"quorum auth":       {append(append(make([]byte, 12), 0xff, 0xff, 0xff, 0xff), huge...), func() jute.Record { return &proto.QuorumPacket{} }},
		"passwd":            {append(make([]byte, 24), huge...), func() jute.Record { return &proto.ConnectRequest{} }},
		"multi op buffer":   {append([]byte{0, 0, 0, 5, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1, 0x2f}, huge...), func() jute.Record { return &proto.MultiRequest{} }},
		"quorum data":       {append(make([]byte, 12), huge...), func() jute.Record { return &proto.QuorumPacket{} }},
		"getdata resp data": {huge, func() jute.Record { return &proto.GetDataResponse{} }},
	}
	for name, tc := range inputs {
		t.Run(name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			for i := 0; i < 50; i++ {
				d := jute.NewDecoder(tc.in)
				d.SetMaxLength(jute.DefaultMaxBuffer)
				tc.rec().Decode(d)
				require.ErrorIs(t, d.Err(), jute.ErrMalformed)
			}
			runtime.ReadMemStats(&after)
			assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(1<<20))
		})
	}
}
