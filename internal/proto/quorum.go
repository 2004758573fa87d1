package proto

import "github.com/zkit-go/zkit/internal/jute"

// QuorumPacket is the unit of the quorum (learner) port.
type QuorumPacket struct {
	Type     int32
	Zxid     int64
	Data     []byte
	AuthInfo []ID
}

func (r *QuorumPacket) Encode(e *jute.Encoder) {
	e.Int(r.Type)
	e.Long(r.Zxid)
	e.Buffer(r.Data)
	if r.AuthInfo == nil {
		e.Int(-1)
		return
	}
	EncodeIDs(e, r.AuthInfo)
}

func (r *QuorumPacket) Decode(d *jute.Decoder) {
	r.Type = d.Int()
	r.Zxid = d.Long()
	r.Data = d.Buffer()
	r.AuthInfo = DecodeIDs(d)
}

// LearnerInfo is the body of FOLLOWERINFO and OBSERVERINFO.
type LearnerInfo struct {
	ServerID        int64
	ProtocolVersion int32
	ConfigVersion   int64
}

func (r *LearnerInfo) Encode(e *jute.Encoder) {
	e.Long(r.ServerID)
	e.Int(r.ProtocolVersion)
	e.Long(r.ConfigVersion)
}

func (r *LearnerInfo) Decode(d *jute.Decoder) {
	r.ServerID = d.Long()
	r.ProtocolVersion = d.Int()
	r.ConfigVersion = d.Long()
}

// FileHeader starts every txn log and snapshot file.
type FileHeader struct {
	Magic   int32
	Version int32
	DBID    int64
}

func (r *FileHeader) Encode(e *jute.Encoder) { e.Int(r.Magic); e.Int(r.Version); e.Long(r.DBID) }
func (r *FileHeader) Decode(d *jute.Decoder) {
	r.Magic = d.Int()
	r.Version = d.Int()
	r.DBID = d.Long()
}

// File magics.
const (
	TxnLogMagic   int32 = 0x5A4B4C47 // "ZKLG"
	SnapshotMagic int32 = 0x5A4B534E // "ZKSN"
)
