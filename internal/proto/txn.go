package proto

import (
	"fmt"

	"github.com/zkit-go/zkit/internal/jute"
)

// TxnHeader precedes every transaction in the log and in proposals.
type TxnHeader struct {
	ClientID int64 // session id
	Cxid     int32
	Zxid     int64
	Time     int64 // wall clock, ms
	Type     OpCode
}

func (r *TxnHeader) Encode(e *jute.Encoder) {
	e.Long(r.ClientID)
	e.Int(r.Cxid)
	e.Long(r.Zxid)
	e.Long(r.Time)
	e.Int(int32(r.Type))
}

func (r *TxnHeader) Decode(d *jute.Decoder) {
	r.ClientID = d.Long()
	r.Cxid = d.Int()
	r.Zxid = d.Long()
	r.Time = d.Long()
	r.Type = OpCode(d.Int())
}

// TxnDigest is the tree digest appended after a txn when digests are on.
type TxnDigest struct {
	Version    int32
	TreeDigest int64
}

func (r *TxnDigest) Encode(e *jute.Encoder) { e.Int(r.Version); e.Long(r.TreeDigest) }
func (r *TxnDigest) Decode(d *jute.Decoder) { r.Version = d.Int(); r.TreeDigest = d.Long() }

// CreateTxn creates a node (create, create2). ParentCVersion is the parent's
// stored cversion after the create.
type CreateTxn struct {
	Path           string
	Data           []byte
	ACL            []ACL
	Ephemeral      bool
	ParentCVersion int32
}

func (r *CreateTxn) Encode(e *jute.Encoder) {
	e.String(r.Path)
	e.Buffer(r.Data)
	EncodeACLs(e, r.ACL)
	e.Bool(r.Ephemeral)
	e.Int(r.ParentCVersion)
}

func (r *CreateTxn) Decode(d *jute.Decoder) {
	r.Path = d.String()
	r.Data = d.Buffer()
	r.ACL = DecodeACLs(d)
	r.Ephemeral = d.Bool()
	if d.Err() == nil && d.Remaining() == 0 {
		// CreateTxnV0, from before parentCVersion existed: -1 means
		// "parent's cversion plus one" when applied.
		r.ParentCVersion = -1
		return
	}
	r.ParentCVersion = d.Int()
}

// CreateTTLTxn creates a TTL node.
type CreateTTLTxn struct {
	Path           string
	Data           []byte
	ACL            []ACL
	ParentCVersion int32
	TTL            int64
}

func (r *CreateTTLTxn) Encode(e *jute.Encoder) {
	e.String(r.Path)
	e.Buffer(r.Data)
	EncodeACLs(e, r.ACL)
	e.Int(r.ParentCVersion)
	e.Long(r.TTL)
}

func (r *CreateTTLTxn) Decode(d *jute.Decoder) {
	r.Path = d.String()
	r.Data = d.Buffer()
	r.ACL = DecodeACLs(d)
	r.ParentCVersion = d.Int()
	r.TTL = d.Long()
}

// CreateContainerTxn creates a container node.
type CreateContainerTxn struct {
	Path           string
	Data           []byte
	ACL            []ACL
	ParentCVersion int32
}

func (r *CreateContainerTxn) Encode(e *jute.Encoder) {
	e.String(r.Path)
	e.Buffer(r.Data)
	EncodeACLs(e, r.ACL)
	e.Int(r.ParentCVersion)
}

func (r *CreateContainerTxn) Decode(d *jute.Decoder) {
	r.Path = d.String()
	r.Data = d.Buffer()
	r.ACL = DecodeACLs(d)
	r.ParentCVersion = d.Int()
}

// DeleteTxn deletes a node (delete, deleteContainer).
type DeleteTxn = PathRequest

// SetDataTxn sets a node's data; Version is the new version.
type SetDataTxn struct {
	Path    string
	Data    []byte
	Version int32
}

func (r *SetDataTxn) Encode(e *jute.Encoder) { e.String(r.Path); e.Buffer(r.Data); e.Int(r.Version) }
func (r *SetDataTxn) Decode(d *jute.Decoder) {
	r.Path = d.String()
	r.Data = d.Buffer()
	r.Version = d.Int()
}

// CheckVersionTxn is a check sub-op of a multi.
type CheckVersionTxn = PathVersionRequest

// SetACLTxn sets a node's ACL; Version is the new aversion.
type SetACLTxn struct {
	Path    string
	ACL     []ACL
	Version int32
}

func (r *SetACLTxn) Encode(e *jute.Encoder) { e.String(r.Path); EncodeACLs(e, r.ACL); e.Int(r.Version) }
func (r *SetACLTxn) Decode(d *jute.Decoder) {
	r.Path = d.String()
	r.ACL = DecodeACLs(d)
	r.Version = d.Int()
}

// CreateSessionTxn opens a session with the negotiated timeout.
type CreateSessionTxn struct {
	TimeOut int32
}

func (r *CreateSessionTxn) Encode(e *jute.Encoder) { e.Int(r.TimeOut) }
func (r *CreateSessionTxn) Decode(d *jute.Decoder) { r.TimeOut = d.Int() }

// CloseSessionTxn closes a session and lists the ephemerals it deletes.
type CloseSessionTxn struct {
	Paths2Delete []string
}

func (r *CloseSessionTxn) Encode(e *jute.Encoder) { e.Strings(r.Paths2Delete) }
func (r *CloseSessionTxn) Decode(d *jute.Decoder) { r.Paths2Delete = d.Strings() }

// ErrorTxn records a write that failed; it still takes a zxid.
type ErrorTxn = ErrorResponse

// Txn is one sub-transaction of a multi: its type and its jute bytes.
type Txn struct {
	Type OpCode
	Data []byte
}

func (r *Txn) Encode(e *jute.Encoder) { e.Int(int32(r.Type)); e.Buffer(r.Data) }
func (r *Txn) Decode(d *jute.Decoder) { r.Type = OpCode(d.Int()); r.Data = d.Buffer() }

// MultiTxn is a multi's transactions.
type MultiTxn struct {
	Txns []Txn
}

func (r *MultiTxn) Encode(e *jute.Encoder) {
	e.Int(int32(len(r.Txns)))
	for i := range r.Txns {
		r.Txns[i].Encode(e)
	}
}

func (r *MultiTxn) Decode(d *jute.Decoder) {
	n := d.Count(8)
	if n < 0 {
		r.Txns = nil
		return
	}
	r.Txns = make([]Txn, n)
	for i := range r.Txns {
		r.Txns[i].Decode(d)
	}
}

// NewTxnRecord returns an empty record for a txn of type t, or nil when the
// type has no body (a closeSession from before 3.6) or is unknown.
func NewTxnRecord(t OpCode) jute.Record {
	switch t {
	case OpCreateSession:
		return &CreateSessionTxn{}
	case OpCloseSession:
		return &CloseSessionTxn{}
	case OpCreate, OpCreate2:
		return &CreateTxn{}
	case OpCreateTTL:
		return &CreateTTLTxn{}
	case OpCreateContainer:
		return &CreateContainerTxn{}
	case OpDelete, OpDeleteContainer:
		return &DeleteTxn{}
	case OpSetData, OpReconfig:
		return &SetDataTxn{}
	case OpSetACL:
		return &SetACLTxn{}
	case OpError:
		return &ErrorTxn{}
	case OpMulti:
		return &MultiTxn{}
	case OpCheck:
		return &CheckVersionTxn{}
	}
	return nil
}

// ErrUnknownTxn reports a txn type the log reader does not know.
var ErrUnknownTxn = fmt.Errorf("proto: unknown txn type")

// DecodeTxnEntry decodes a log entry or proposal body: a TxnHeader, the
// record for its type, and an optional trailing TxnDigest (nil if absent).
func DecodeTxnEntry(b []byte) (hdr TxnHeader, rec jute.Record, digest *TxnDigest, err error) {
	d := jute.NewDecoder(b)
	hdr.Decode(d)
	if err = d.Err(); err != nil {
		return hdr, nil, nil, err
	}
	if hdr.Type == OpCheck {
		// A check is only valid inside a multi.
		return hdr, nil, nil, fmt.Errorf("%w: top-level check", ErrUnknownTxn)
	}
	rec = NewTxnRecord(hdr.Type)
	if rec == nil {
		return hdr, nil, nil, fmt.Errorf("%w: %d", ErrUnknownTxn, int32(hdr.Type))
	}
	if hdr.Type == OpCloseSession && d.Remaining() == 0 {
		return hdr, &CloseSessionTxn{}, nil, nil
	}
	rec.Decode(d)
	if err = d.Err(); err != nil {
		return hdr, nil, nil, err
	}
	if d.Remaining() >= 12 {
		digest = &TxnDigest{}
		digest.Decode(d)
		if d.Err() != nil {
			digest = nil
		}
	}
	return hdr, rec, digest, nil
}

// EncodeTxnEntry appends a TxnHeader, its record and, if digest is not nil,
// the TxnDigest.
func EncodeTxnEntry(e *jute.Encoder, hdr *TxnHeader, rec jute.Record, digest *TxnDigest) {
	hdr.Encode(e)
	if rec != nil {
		rec.Encode(e)
	}
	if digest != nil {
		digest.Encode(e)
	}
}
