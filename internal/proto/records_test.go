package proto_test

import (
	"github.com/zkit-go/zkit/internal/jute"
	"github.com/zkit-go/zkit/internal/proto"
)

// requestRecord returns an empty request body for op, or nil when the
// request has no body (ping, closeSession, whoAmI).
func requestRecord(op proto.OpCode) jute.Record {
	switch op {
	case proto.OpCreate, proto.OpCreate2, proto.OpCreateContainer:
		return &proto.CreateRequest{}
	case proto.OpCreateTTL:
		return &proto.CreateTTLRequest{}
	case proto.OpDelete:
		return &proto.DeleteRequest{}
	case proto.OpExists, proto.OpGetData, proto.OpGetChildren, proto.OpGetChildren2:
		return &proto.PathWatchRequest{}
	case proto.OpSetData:
		return &proto.SetDataRequest{}
	case proto.OpGetACL, proto.OpSync, proto.OpGetEphemerals, proto.OpGetAllChildrenNumber:
		return &proto.PathRequest{}
	case proto.OpSetACL:
		return &proto.SetACLRequest{}
	case proto.OpCheck:
		return &proto.CheckVersionRequest{}
	case proto.OpMulti, proto.OpMultiRead:
		return &proto.MultiRequest{}
	case proto.OpReconfig:
		return &proto.ReconfigRequest{}
	case proto.OpCheckWatches, proto.OpRemoveWatches, proto.OpAddWatch:
		return &proto.PathTypeRequest{}
	case proto.OpAuth:
		return &proto.AuthPacket{}
	case proto.OpSetWatches:
		return &proto.SetWatches{}
	case proto.OpSetWatches2:
		return &proto.SetWatches2{}
	case proto.OpSASL:
		return &proto.GetSASLRequest{}
	}
	return nil
}

// responseRecord returns an empty reply body for a successful op, or nil
// when the reply is a bare header.
func responseRecord(op proto.OpCode) jute.Record {
	switch op {
	case proto.OpCreate:
		return &proto.CreateResponse{}
	case proto.OpCreate2, proto.OpCreateContainer, proto.OpCreateTTL:
		return &proto.Create2Response{}
	case proto.OpExists, proto.OpSetData, proto.OpSetACL, proto.OpCheck:
		return &proto.StatResponse{}
	case proto.OpGetData, proto.OpReconfig:
		return &proto.GetDataResponse{}
	case proto.OpGetACL:
		return &proto.GetACLResponse{}
	case proto.OpGetChildren, proto.OpGetEphemerals:
		return &proto.StringsResponse{}
	case proto.OpGetChildren2:
		return &proto.GetChildren2Response{}
	case proto.OpSync:
		return &proto.SyncResponse{}
	case proto.OpMulti, proto.OpMultiRead:
		return &proto.MultiResponse{}
	case proto.OpAddWatch:
		return &proto.ErrorResponse{}
	case proto.OpGetAllChildrenNumber:
		return &proto.GetAllChildrenNumberResponse{}
	case proto.OpWhoAmI:
		return &proto.WhoAmIResponse{}
	case proto.OpSASL:
		return &proto.SetSASLResponse{}
	}
	return nil
}

// allRequestOps lists every opcode a client may send with a body.
var allRequestOps = []proto.OpCode{
	proto.OpCreate, proto.OpDelete, proto.OpExists, proto.OpGetData, proto.OpSetData,
	proto.OpGetACL, proto.OpSetACL, proto.OpGetChildren, proto.OpSync, proto.OpGetChildren2,
	proto.OpCheck, proto.OpMulti, proto.OpCreate2, proto.OpReconfig, proto.OpCheckWatches,
	proto.OpRemoveWatches, proto.OpCreateContainer, proto.OpCreateTTL, proto.OpMultiRead,
	proto.OpAuth, proto.OpSetWatches, proto.OpSASL, proto.OpGetEphemerals,
	proto.OpGetAllChildrenNumber, proto.OpSetWatches2, proto.OpAddWatch,
}
