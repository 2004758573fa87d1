package proto_test

import (
	"testing"

	"github.com/zkit-go/zkit/internal/jute"
	"github.com/zkit-go/zkit/internal/proto"
)

// The read hot path: decode a getData request, encode its reply.

func BenchmarkDecodeGetDataRequest(b *testing.B) {
	var e jute.Encoder
	(&proto.RequestHeader{Xid: 9, Type: proto.OpGetData}).Encode(&e)
	(&proto.GetDataRequest{Path: "/bench/node-0000000001", Watch: true}).Encode(&e)
	in := e.Bytes()
	b.ReportAllocs()
	for b.Loop() {
		d := jute.NewDecoder(in)
		var h proto.RequestHeader
		var r proto.GetDataRequest
		h.Decode(d)
		r.Decode(d)
	}
}

func BenchmarkEncodeGetDataReply(b *testing.B) {
	e := jute.NewEncoder(make([]byte, 0, 256))
	rep := proto.GetDataResponse{Data: make([]byte, 100), Stat: sampleStat}
	hdr := proto.ReplyHeader{Xid: 9, Zxid: 100}
	b.ReportAllocs()
	for b.Loop() {
		e.Reset()
		hdr.Encode(e)
		rep.Encode(e)
	}
}

func BenchmarkDecodeMultiRequest(b *testing.B) {
	var in []byte
	for _, s := range samples() {
		if m, ok := s.(*proto.MultiRequest); ok {
			in = jute.Marshal(m)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		var m proto.MultiRequest
		_ = jute.Unmarshal(in, &m)
	}
}
