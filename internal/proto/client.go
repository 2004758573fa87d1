package proto

import "github.com/zkit-go/zkit/internal/jute"

// ConnectRequest opens or resumes a session. It is the first packet on a
// connection and has no RequestHeader. Clients since 3.4 append a readOnly
// byte, which Decode reads when present (HasReadOnly).
type ConnectRequest struct {
	ProtocolVersion int32
	LastZxidSeen    int64
	TimeOut         int32
	SessionID       int64
	Passwd          []byte
	ReadOnly        bool
	HasReadOnly     bool
}

func (r *ConnectRequest) Encode(e *jute.Encoder) {
	e.Int(r.ProtocolVersion)
	e.Long(r.LastZxidSeen)
	e.Int(r.TimeOut)
	e.Long(r.SessionID)
	e.Buffer(r.Passwd)
	if r.HasReadOnly {
		e.Bool(r.ReadOnly)
	}
}

func (r *ConnectRequest) Decode(d *jute.Decoder) {
	r.ProtocolVersion = d.Int()
	r.LastZxidSeen = d.Long()
	r.TimeOut = d.Int()
	r.SessionID = d.Long()
	r.Passwd = d.Buffer()
	if d.Err() == nil && d.Remaining() > 0 {
		r.HasReadOnly = true
		r.ReadOnly = d.Bool()
	}
}

// ConnectResponse answers a ConnectRequest. The readOnly byte is written
// only when the client sent one (HasReadOnly).
type ConnectResponse struct {
	ProtocolVersion int32
	TimeOut         int32
	SessionID       int64
	Passwd          []byte
	ReadOnly        bool
	HasReadOnly     bool
}

func (r *ConnectResponse) Encode(e *jute.Encoder) {
	e.Int(r.ProtocolVersion)
	e.Int(r.TimeOut)
	e.Long(r.SessionID)
	e.Buffer(r.Passwd)
	if r.HasReadOnly {
		e.Bool(r.ReadOnly)
	}
}

func (r *ConnectResponse) Decode(d *jute.Decoder) {
	r.ProtocolVersion = d.Int()
	r.TimeOut = d.Int()
	r.SessionID = d.Long()
	r.Passwd = d.Buffer()
	if d.Err() == nil && d.Remaining() > 0 {
		r.HasReadOnly = true
		r.ReadOnly = d.Bool()
	}
}

// RequestHeader precedes every request after the connect request.
type RequestHeader struct {
	Xid  int32
	Type OpCode
}

func (r *RequestHeader) Encode(e *jute.Encoder) { e.Int(r.Xid); e.Int(int32(r.Type)) }
func (r *RequestHeader) Decode(d *jute.Decoder) { r.Xid = d.Int(); r.Type = OpCode(d.Int()) }

// ReplyHeader precedes every reply after the connect response.
type ReplyHeader struct {
	Xid  int32
	Zxid int64
	Err  Code
}

func (r *ReplyHeader) Encode(e *jute.Encoder) { e.Int(r.Xid); e.Long(r.Zxid); e.Int(int32(r.Err)) }
func (r *ReplyHeader) Decode(d *jute.Decoder) {
	r.Xid = d.Int()
	r.Zxid = d.Long()
	r.Err = Code(d.Int())
}

// MultiHeader precedes each op and each result of a multi.
type MultiHeader struct {
	Type OpCode
	Done bool
	Err  Code
}

func (r *MultiHeader) Encode(e *jute.Encoder) {
	e.Int(int32(r.Type))
	e.Bool(r.Done)
	e.Int(int32(r.Err))
}
func (r *MultiHeader) Decode(d *jute.Decoder) {
	r.Type = OpCode(d.Int())
	r.Done = d.Bool()
	r.Err = Code(d.Int())
}

// AuthPacket adds an identity to the session (setAuth, xid -4).
type AuthPacket struct {
	Type   int32
	Scheme string
	Auth   []byte
}

func (r *AuthPacket) Encode(e *jute.Encoder) { e.Int(r.Type); e.String(r.Scheme); e.Buffer(r.Auth) }
func (r *AuthPacket) Decode(d *jute.Decoder) {
	r.Type = d.Int()
	r.Scheme = d.String()
	r.Auth = d.Buffer()
}

// SetWatches re-registers a reconnecting client's watches.
type SetWatches struct {
	RelativeZxid int64
	DataWatches  []string
	ExistWatches []string
	ChildWatches []string
}

func (r *SetWatches) Encode(e *jute.Encoder) {
	e.Long(r.RelativeZxid)
	e.Strings(r.DataWatches)
	e.Strings(r.ExistWatches)
	e.Strings(r.ChildWatches)
}

func (r *SetWatches) Decode(d *jute.Decoder) {
	r.RelativeZxid = d.Long()
	r.DataWatches = d.Strings()
	r.ExistWatches = d.Strings()
	r.ChildWatches = d.Strings()
}

// SetWatches2 is SetWatches with persistent watches.
type SetWatches2 struct {
	RelativeZxid               int64
	DataWatches                []string
	ExistWatches               []string
	ChildWatches               []string
	PersistentWatches          []string
	PersistentRecursiveWatches []string
}

func (r *SetWatches2) Encode(e *jute.Encoder) {
	e.Long(r.RelativeZxid)
	e.Strings(r.DataWatches)
	e.Strings(r.ExistWatches)
	e.Strings(r.ChildWatches)
	e.Strings(r.PersistentWatches)
	e.Strings(r.PersistentRecursiveWatches)
}

func (r *SetWatches2) Decode(d *jute.Decoder) {
	r.RelativeZxid = d.Long()
	r.DataWatches = d.Strings()
	r.ExistWatches = d.Strings()
	r.ChildWatches = d.Strings()
	r.PersistentWatches = d.Strings()
	r.PersistentRecursiveWatches = d.Strings()
}

// PathWatchRequest is the shape shared by GetDataRequest, ExistsRequest,
// GetChildrenRequest and GetChildren2Request: a path and a watch flag.
type PathWatchRequest struct {
	Path  string
	Watch bool
}

func (r *PathWatchRequest) Encode(e *jute.Encoder) { e.String(r.Path); e.Bool(r.Watch) }
func (r *PathWatchRequest) Decode(d *jute.Decoder) { r.Path = d.String(); r.Watch = d.Bool() }

// The read requests that carry a path and a watch flag.
type (
	GetDataRequest      = PathWatchRequest
	ExistsRequest       = PathWatchRequest
	GetChildrenRequest  = PathWatchRequest
	GetChildren2Request = PathWatchRequest
)

// PathRequest is the shape of requests that carry only a path: GetACL,
// Sync, GetAllChildrenNumber, GetEphemerals (its prefixPath), and the
// Sync and Create responses.
type PathRequest struct {
	Path string
}

func (r *PathRequest) Encode(e *jute.Encoder) { e.String(r.Path) }
func (r *PathRequest) Decode(d *jute.Decoder) { r.Path = d.String() }

// Records that are a single path.
type (
	GetACLRequest               = PathRequest
	SyncRequest                 = PathRequest
	SyncResponse                = PathRequest
	GetAllChildrenNumberRequest = PathRequest
	GetEphemeralsRequest        = PathRequest
	CreateResponse              = PathRequest
)

// PathVersionRequest is the shape of DeleteRequest and CheckVersionRequest.
type PathVersionRequest struct {
	Path    string
	Version int32
}

func (r *PathVersionRequest) Encode(e *jute.Encoder) { e.String(r.Path); e.Int(r.Version) }
func (r *PathVersionRequest) Decode(d *jute.Decoder) { r.Path = d.String(); r.Version = d.Int() }

// Records that are a path and a version.
type (
	DeleteRequest       = PathVersionRequest
	CheckVersionRequest = PathVersionRequest
)

// PathTypeRequest is the shape of CheckWatchesRequest, RemoveWatchesRequest
// and AddWatchRequest: a path and an int (watcher type or mode).
type PathTypeRequest struct {
	Path string
	Type int32
}

func (r *PathTypeRequest) Encode(e *jute.Encoder) { e.String(r.Path); e.Int(r.Type) }
func (r *PathTypeRequest) Decode(d *jute.Decoder) { r.Path = d.String(); r.Type = d.Int() }

// Records that are a path and an int.
type (
	CheckWatchesRequest  = PathTypeRequest
	RemoveWatchesRequest = PathTypeRequest
	AddWatchRequest      = PathTypeRequest
)

// SetDataRequest replaces a node's data if its version matches (-1: any).
type SetDataRequest struct {
	Path    string
	Data    []byte
	Version int32
}

func (r *SetDataRequest) Encode(e *jute.Encoder) {
	e.String(r.Path)
	e.Buffer(r.Data)
	e.Int(r.Version)
}
func (r *SetDataRequest) Decode(d *jute.Decoder) {
	r.Path = d.String()
	r.Data = d.Buffer()
	r.Version = d.Int()
}

// CreateRequest creates a node (create, create2, createContainer).
type CreateRequest struct {
	Path  string
	Data  []byte
	ACL   []ACL
	Flags int32
}

func (r *CreateRequest) Encode(e *jute.Encoder) {
	e.String(r.Path)
	e.Buffer(r.Data)
	EncodeACLs(e, r.ACL)
	e.Int(r.Flags)
}

func (r *CreateRequest) Decode(d *jute.Decoder) {
	r.Path = d.String()
	r.Data = d.Buffer()
	r.ACL = DecodeACLs(d)
	r.Flags = d.Int()
}

// CreateTTLRequest creates a TTL node.
type CreateTTLRequest struct {
	Path  string
	Data  []byte
	ACL   []ACL
	Flags int32
	TTL   int64
}

func (r *CreateTTLRequest) Encode(e *jute.Encoder) {
	e.String(r.Path)
	e.Buffer(r.Data)
	EncodeACLs(e, r.ACL)
	e.Int(r.Flags)
	e.Long(r.TTL)
}

func (r *CreateTTLRequest) Decode(d *jute.Decoder) {
	r.Path = d.String()
	r.Data = d.Buffer()
	r.ACL = DecodeACLs(d)
	r.Flags = d.Int()
	r.TTL = d.Long()
}

// SetACLRequest replaces a node's ACL if its aversion matches (-1: any).
type SetACLRequest struct {
	Path    string
	ACL     []ACL
	Version int32
}

func (r *SetACLRequest) Encode(e *jute.Encoder) {
	e.String(r.Path)
	EncodeACLs(e, r.ACL)
	e.Int(r.Version)
}
func (r *SetACLRequest) Decode(d *jute.Decoder) {
	r.Path = d.String()
	r.ACL = DecodeACLs(d)
	r.Version = d.Int()
}

// ReconfigRequest changes the ensemble's membership.
type ReconfigRequest struct {
	JoiningServers string
	LeavingServers string
	NewMembers     string
	CurConfigID    int64
}

func (r *ReconfigRequest) Encode(e *jute.Encoder) {
	e.String(r.JoiningServers)
	e.String(r.LeavingServers)
	e.String(r.NewMembers)
	e.Long(r.CurConfigID)
}

func (r *ReconfigRequest) Decode(d *jute.Decoder) {
	r.JoiningServers = d.String()
	r.LeavingServers = d.String()
	r.NewMembers = d.String()
	r.CurConfigID = d.Long()
}

// TokenRecord is the shape of the SASL records: one buffer.
type TokenRecord struct {
	Token []byte
}

func (r *TokenRecord) Encode(e *jute.Encoder) { e.Buffer(r.Token) }
func (r *TokenRecord) Decode(d *jute.Decoder) { r.Token = d.Buffer() }

// SASL records.
type (
	GetSASLRequest  = TokenRecord
	SetSASLResponse = TokenRecord
)

// StatResponse is the shape of SetDataResponse, ExistsResponse and
// SetACLResponse: one Stat.
type StatResponse struct {
	Stat Stat
}

func (r *StatResponse) Encode(e *jute.Encoder) { r.Stat.Encode(e) }
func (r *StatResponse) Decode(d *jute.Decoder) { r.Stat.Decode(d) }

// Records that are one Stat.
type (
	SetDataResponse = StatResponse
	ExistsResponse  = StatResponse
	SetACLResponse  = StatResponse
)

// WatcherEvent is a watch notification (xid -1).
type WatcherEvent struct {
	Type  EventType
	State int32
	Path  string
}

func (r *WatcherEvent) Encode(e *jute.Encoder) {
	e.Int(int32(r.Type))
	e.Int(r.State)
	e.String(r.Path)
}
func (r *WatcherEvent) Decode(d *jute.Decoder) {
	r.Type = EventType(d.Int())
	r.State = d.Int()
	r.Path = d.String()
}

// ErrorResponse carries an error code as a body (multi results, addWatch).
type ErrorResponse struct {
	Err Code
}

func (r *ErrorResponse) Encode(e *jute.Encoder) { e.Int(int32(r.Err)) }
func (r *ErrorResponse) Decode(d *jute.Decoder) { r.Err = Code(d.Int()) }

// Create2Response answers create2, createContainer and createTTL.
type Create2Response struct {
	Path string
	Stat Stat
}

func (r *Create2Response) Encode(e *jute.Encoder) { e.String(r.Path); r.Stat.Encode(e) }
func (r *Create2Response) Decode(d *jute.Decoder) { r.Path = d.String(); r.Stat.Decode(d) }

// GetDataResponse answers getData.
type GetDataResponse struct {
	Data []byte
	Stat Stat
}

func (r *GetDataResponse) Encode(e *jute.Encoder) { e.Buffer(r.Data); r.Stat.Encode(e) }
func (r *GetDataResponse) Decode(d *jute.Decoder) { r.Data = d.Buffer(); r.Stat.Decode(d) }

// StringsResponse is the shape of GetChildrenResponse and
// GetEphemeralsResponse: a vector of strings.
type StringsResponse struct {
	Strings []string
}

func (r *StringsResponse) Encode(e *jute.Encoder) { e.Strings(r.Strings) }
func (r *StringsResponse) Decode(d *jute.Decoder) { r.Strings = d.Strings() }

// Records that are a vector of strings.
type (
	GetChildrenResponse   = StringsResponse
	GetEphemeralsResponse = StringsResponse
)

// GetChildren2Response answers getChildren2.
type GetChildren2Response struct {
	Children []string
	Stat     Stat
}

func (r *GetChildren2Response) Encode(e *jute.Encoder) { e.Strings(r.Children); r.Stat.Encode(e) }
func (r *GetChildren2Response) Decode(d *jute.Decoder) { r.Children = d.Strings(); r.Stat.Decode(d) }

// GetAllChildrenNumberResponse answers getAllChildrenNumber.
type GetAllChildrenNumberResponse struct {
	TotalNumber int32
}

func (r *GetAllChildrenNumberResponse) Encode(e *jute.Encoder) { e.Int(r.TotalNumber) }
func (r *GetAllChildrenNumberResponse) Decode(d *jute.Decoder) { r.TotalNumber = d.Int() }

// GetACLResponse answers getACL.
type GetACLResponse struct {
	ACL  []ACL
	Stat Stat
}

func (r *GetACLResponse) Encode(e *jute.Encoder) { EncodeACLs(e, r.ACL); r.Stat.Encode(e) }
func (r *GetACLResponse) Decode(d *jute.Decoder) { r.ACL = DecodeACLs(d); r.Stat.Decode(d) }

// WhoAmIResponse answers whoAmI.
type WhoAmIResponse struct {
	ClientInfo []ClientInfo
}

func (r *WhoAmIResponse) Encode(e *jute.Encoder) {
	e.Int(int32(len(r.ClientInfo)))
	for i := range r.ClientInfo {
		r.ClientInfo[i].Encode(e)
	}
}

func (r *WhoAmIResponse) Decode(d *jute.Decoder) {
	n := d.Count(8)
	if n < 0 {
		r.ClientInfo = nil
		return
	}
	r.ClientInfo = make([]ClientInfo, n)
	for i := range r.ClientInfo {
		r.ClientInfo[i].Decode(d)
	}
}
