package proto_test

import (
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/jute"
	"github.com/zkit-go/zkit/internal/proto"
)

// goldenSeeds adds every captured frame of direction dir as a seed.
func goldenSeeds(f *testing.F, dir byte, add func(b []byte)) {
	files, _ := filepath.Glob(filepath.Join("testdata", "golden", "*.txt"))
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		for _, line := range strings.Split(string(data), "\n") {
			fields := strings.Fields(line)
			if len(fields) != 4 || strings.HasPrefix(line, "#") || fields[1][0] != dir {
				continue
			}
			if b, err := hex.DecodeString(fields[3]); err == nil {
				add(b)
			}
		}
	}
}

// checkStable decodes b into rec with jute.maxbuffer applied; if that
// succeeds, the re-encoding must decode cleanly and re-encode identically.
func checkStable(t *testing.T, b []byte, rec, again jute.Record) {
	d := jute.NewDecoder(b)
	d.SetMaxLength(jute.DefaultMaxBuffer)
	rec.Decode(d)
	if d.Err() != nil {
		return
	}
	enc := jute.Marshal(rec)
	d2 := jute.NewDecoder(enc)
	again.Decode(d2)
	require.NoError(t, d2.Err())
	require.Zero(t, d2.Remaining())
	require.Equal(t, enc, jute.Marshal(again))
}

func FuzzConnectRequest(f *testing.F) {
	goldenSeeds(f, 'C', func(b []byte) {
		if len(b) >= 40 && len(b) <= 48 {
			f.Add(b)
		}
	})
	f.Fuzz(func(t *testing.T, b []byte) {
		checkStable(t, b, &proto.ConnectRequest{}, &proto.ConnectRequest{})
	})
}

func FuzzConnectResponse(f *testing.F) {
	goldenSeeds(f, 'S', func(b []byte) {
		if len(b) == 37 {
			f.Add(b)
		}
	})
	f.Fuzz(func(t *testing.T, b []byte) {
		checkStable(t, b, &proto.ConnectResponse{}, &proto.ConnectResponse{})
	})
}

// FuzzRequest decodes a RequestHeader and the body its type names, as the
// server's connection reader does.
func FuzzRequest(f *testing.F) {
	goldenSeeds(f, 'C', func(b []byte) { f.Add(b) })
	for _, op := range allRequestOps {
		var e jute.Encoder
		(&proto.RequestHeader{Xid: 1, Type: op}).Encode(&e)
		f.Add(e.Bytes())
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		d := jute.NewDecoder(b)
		d.SetMaxLength(jute.DefaultMaxBuffer)
		var h proto.RequestHeader
		h.Decode(d)
		rec := requestRecord(h.Type)
		if d.Err() != nil || rec == nil {
			return
		}
		checkStable(t, d.Rest(), rec, requestRecord(h.Type))
	})
}

func FuzzMultiRequest(f *testing.F) {
	for _, s := range samples() {
		if m, ok := s.(*proto.MultiRequest); ok {
			f.Add(jute.Marshal(m))
		}
	}
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 1, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		checkStable(t, b, &proto.MultiRequest{}, &proto.MultiRequest{})
	})
}

// FuzzReply decodes a ReplyHeader and, for the op named by the first
// byte, the reply body: what a client reads from a hostile server.
func FuzzReply(f *testing.F) {
	goldenSeeds(f, 'S', func(b []byte) {
		for _, op := range []byte{1, 4, 12, 14, 15, 103, 107} {
			f.Add(op, b)
		}
	})
	f.Fuzz(func(t *testing.T, op byte, b []byte) {
		d := jute.NewDecoder(b)
		d.SetMaxLength(jute.DefaultMaxBuffer)
		var h proto.ReplyHeader
		h.Decode(d)
		var rec jute.Record
		if h.Xid == proto.XidNotification {
			rec = &proto.WatcherEvent{}
		} else {
			rec = responseRecord(proto.OpCode(op))
		}
		if d.Err() != nil || rec == nil {
			return
		}
		again := &proto.WatcherEvent{}
		if h.Xid != proto.XidNotification {
			checkStable(t, d.Rest(), rec, responseRecord(proto.OpCode(op)))
			return
		}
		checkStable(t, d.Rest(), rec, again)
	})
}

func FuzzMultiResponse(f *testing.F) {
	for _, s := range samples() {
		if m, ok := s.(*proto.MultiResponse); ok {
			f.Add(jute.Marshal(m))
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		checkStable(t, b, &proto.MultiResponse{}, &proto.MultiResponse{})
	})
}

func FuzzTxnEntry(f *testing.F) {
	var e jute.Encoder
	proto.EncodeTxnEntry(&e, &proto.TxnHeader{ClientID: 1, Zxid: 2, Type: proto.OpCreate},
		&proto.CreateTxn{Path: "/a", ACL: proto.OpenACLUnsafe}, &proto.TxnDigest{Version: 2, TreeDigest: 1})
	f.Add(append([]byte(nil), e.Bytes()...))
	e.Reset()
	proto.EncodeTxnEntry(&e, &proto.TxnHeader{Type: proto.OpMulti},
		&proto.MultiTxn{Txns: []proto.Txn{{Type: proto.OpDelete, Data: jute.Marshal(&proto.DeleteTxn{Path: "/a"})}}}, nil)
	f.Add(append([]byte(nil), e.Bytes()...))
	f.Fuzz(func(t *testing.T, b []byte) {
		hdr, rec, digest, err := proto.DecodeTxnEntry(b)
		if err != nil {
			return
		}
		require.NotNil(t, rec)
		var e jute.Encoder
		proto.EncodeTxnEntry(&e, &hdr, rec, digest)
		hdr2, rec2, digest2, err := proto.DecodeTxnEntry(e.Bytes())
		require.NoError(t, err)
		require.Equal(t, hdr, hdr2)
		require.Equal(t, digest, digest2)
		require.Equal(t, jute.Marshal(rec), jute.Marshal(rec2))
		// Sub-txns of a multi decode through the same table.
		if m, ok := rec.(*proto.MultiTxn); ok {
			for _, sub := range m.Txns {
				if r := proto.NewTxnRecord(sub.Type); r != nil {
					_ = jute.Unmarshal(sub.Data, r)
				}
			}
		}
	})
}

func FuzzQuorumPacket(f *testing.F) {
	f.Add(jute.Marshal(&proto.QuorumPacket{Type: 2, Zxid: 1, Data: []byte("x")}))
	f.Add(jute.Marshal(&proto.QuorumPacket{Type: 2, Zxid: 1, AuthInfo: []proto.ID{{Scheme: "a", ID: "b"}}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		checkStable(t, b, &proto.QuorumPacket{}, &proto.QuorumPacket{})
		checkStable(t, b, &proto.LearnerInfo{}, &proto.LearnerInfo{})
	})
}

// FuzzRecords decodes arbitrary bytes with every schema'd record.
func FuzzRecords(f *testing.F) {
	f.Add(uint8(0), []byte{0, 0, 0, 1, 0x61})
	f.Fuzz(func(t *testing.T, which uint8, b []byte) {
		s := schemas[int(which)%len(schemas)]
		checkStable(t, b, s.rec(), s.rec())
	})
}
