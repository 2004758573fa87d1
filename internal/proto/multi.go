package proto

import (
	"fmt"

	"github.com/zkit-go/zkit/internal/jute"
)

// MultiOp is one operation of a multi or multiRead request.
type MultiOp struct {
	Type   OpCode
	Record jute.Record // *CreateRequest, *CreateTTLRequest, *DeleteRequest, ...
}

// MultiRequest is MultiOperationRecord: ops, each behind a MultiHeader,
// ended by MultiHeader{-1, true, -1}.
type MultiRequest struct {
	Ops []MultiOp
}

// ErrBadMultiOp reports an op type a multi may not contain.
var ErrBadMultiOp = fmt.Errorf("%w: invalid multi op type", jute.ErrMalformed)

func (r *MultiRequest) Encode(e *jute.Encoder) {
	for _, op := range r.Ops {
		h := MultiHeader{Type: op.Type, Done: false, Err: -1}
		h.Encode(e)
		op.Record.Encode(e)
	}
	end := MultiHeader{Type: -1, Done: true, Err: -1}
	end.Encode(e)
}

func (r *MultiRequest) Decode(d *jute.Decoder) {
	r.Ops = r.Ops[:0]
	for d.Err() == nil {
		var h MultiHeader
		h.Decode(d)
		if d.Err() != nil || h.Done {
			return
		}
		var rec jute.Record
		switch h.Type {
		case OpCreate, OpCreate2, OpCreateContainer:
			rec = &CreateRequest{}
		case OpCreateTTL:
			rec = &CreateTTLRequest{}
		case OpDelete:
			rec = &DeleteRequest{}
		case OpSetData:
			rec = &SetDataRequest{}
		case OpCheck:
			rec = &CheckVersionRequest{}
		case OpGetChildren:
			rec = &GetChildrenRequest{}
		case OpGetData:
			rec = &GetDataRequest{}
		default:
			d.Fail(fmt.Errorf("%w: %d", ErrBadMultiOp, int32(h.Type)))
			return
		}
		rec.Decode(d)
		r.Ops = append(r.Ops, MultiOp{Type: h.Type, Record: rec})
	}
}

// MultiResult is one result of a multi or multiRead. Err is set only when
// Type is OpError; Record is nil for delete, check and error results.
type MultiResult struct {
	Type   OpCode
	Err    Code
	Record jute.Record
}

// MultiResponse is the reply to multi and multiRead.
type MultiResponse struct {
	Results []MultiResult
}

func (r *MultiResponse) Encode(e *jute.Encoder) {
	for _, res := range r.Results {
		h := MultiHeader{Type: res.Type, Done: false, Err: OK}
		if res.Type == OpError {
			h.Err = res.Err
		}
		h.Encode(e)
		switch {
		case res.Type == OpError:
			er := ErrorResponse{Err: res.Err}
			er.Encode(e)
		case res.Record != nil:
			res.Record.Encode(e)
		}
	}
	end := MultiHeader{Type: -1, Done: true, Err: -1}
	end.Encode(e)
}

func (r *MultiResponse) Decode(d *jute.Decoder) {
	r.Results = r.Results[:0]
	for d.Err() == nil {
		var h MultiHeader
		h.Decode(d)
		if d.Err() != nil || h.Done {
			return
		}
		res := MultiResult{Type: h.Type}
		switch h.Type {
		case OpCreate:
			res.Record = &CreateResponse{}
		case OpCreate2:
			res.Record = &Create2Response{}
		case OpSetData:
			res.Record = &SetDataResponse{}
		case OpGetChildren:
			res.Record = &GetChildrenResponse{}
		case OpGetData:
			res.Record = &GetDataResponse{}
		case OpDelete, OpCheck:
		case OpError:
			var er ErrorResponse
			er.Decode(d)
			res.Err = er.Err
		default:
			d.Fail(fmt.Errorf("%w: result %d", ErrBadMultiOp, int32(h.Type)))
			return
		}
		if res.Record != nil {
			res.Record.Decode(d)
		}
		r.Results = append(r.Results, res)
	}
}
