package proto

import "github.com/zkit-go/zkit/internal/jute"

// ID names an identity in a scheme (org.apache.zookeeper.data.Id).
type ID struct {
	Scheme string
	ID     string
}

func (r *ID) Encode(e *jute.Encoder) { e.String(r.Scheme); e.String(r.ID) }
func (r *ID) Decode(d *jute.Decoder) { r.Scheme = d.String(); r.ID = d.String() }

// ACL grants Perms to an ID.
type ACL struct {
	Perms int32
	ID    ID
}

func (r *ACL) Encode(e *jute.Encoder) { e.Int(r.Perms); r.ID.Encode(e) }
func (r *ACL) Decode(d *jute.Decoder) { r.Perms = d.Int(); r.ID.Decode(d) }

// Well-known ACLs (ZooDefs.Ids).
var (
	AnyoneID      = ID{Scheme: "world", ID: "anyone"}
	AuthIDs       = ID{Scheme: "auth", ID: ""}
	OpenACLUnsafe = []ACL{{Perms: PermAll, ID: AnyoneID}}
	CreatorAllACL = []ACL{{Perms: PermAll, ID: AuthIDs}}
	ReadACLUnsafe = []ACL{{Perms: PermRead, ID: AnyoneID}}
)

// EncodeACLs writes a vector<ACL>; nil is written as an empty vector.
func EncodeACLs(e *jute.Encoder, acl []ACL) {
	e.Int(int32(len(acl)))
	for i := range acl {
		acl[i].Encode(e)
	}
}

// DecodeACLs reads a vector<ACL>; null reads as nil.
func DecodeACLs(d *jute.Decoder) []ACL {
	n := d.Count(12)
	if n < 0 {
		return nil
	}
	acl := make([]ACL, n)
	for i := range acl {
		acl[i].Decode(d)
	}
	return acl
}

// EncodeIDs writes a vector<Id>.
func EncodeIDs(e *jute.Encoder, ids []ID) {
	e.Int(int32(len(ids)))
	for i := range ids {
		ids[i].Encode(e)
	}
}

// DecodeIDs reads a vector<Id>; null reads as nil.
func DecodeIDs(d *jute.Decoder) []ID {
	n := d.Count(8)
	if n < 0 {
		return nil
	}
	ids := make([]ID, n)
	for i := range ids {
		ids[i].Decode(d)
	}
	return ids
}

// Stat is a node's metadata as clients see it.
type Stat struct {
	Czxid          int64
	Mzxid          int64
	Ctime          int64
	Mtime          int64
	Version        int32
	Cversion       int32
	Aversion       int32
	EphemeralOwner int64
	DataLength     int32
	NumChildren    int32
	Pzxid          int64
}

// StatSize is the encoded size of a Stat.
const StatSize = 68

func (r *Stat) Encode(e *jute.Encoder) {
	e.Long(r.Czxid)
	e.Long(r.Mzxid)
	e.Long(r.Ctime)
	e.Long(r.Mtime)
	e.Int(r.Version)
	e.Int(r.Cversion)
	e.Int(r.Aversion)
	e.Long(r.EphemeralOwner)
	e.Int(r.DataLength)
	e.Int(r.NumChildren)
	e.Long(r.Pzxid)
}

func (r *Stat) Decode(d *jute.Decoder) {
	r.Czxid = d.Long()
	r.Mzxid = d.Long()
	r.Ctime = d.Long()
	r.Mtime = d.Long()
	r.Version = d.Int()
	r.Cversion = d.Int()
	r.Aversion = d.Int()
	r.EphemeralOwner = d.Long()
	r.DataLength = d.Int()
	r.NumChildren = d.Int()
	r.Pzxid = d.Long()
}

// StatPersisted is the on-disk form of a node's metadata: Stat without the
// computed dataLength and numChildren, and with the stored cversion (a count
// of creates under the node).
type StatPersisted struct {
	Czxid          int64
	Mzxid          int64
	Ctime          int64
	Mtime          int64
	Version        int32
	Cversion       int32
	Aversion       int32
	EphemeralOwner int64
	Pzxid          int64
}

func (r *StatPersisted) Encode(e *jute.Encoder) {
	e.Long(r.Czxid)
	e.Long(r.Mzxid)
	e.Long(r.Ctime)
	e.Long(r.Mtime)
	e.Int(r.Version)
	e.Int(r.Cversion)
	e.Int(r.Aversion)
	e.Long(r.EphemeralOwner)
	e.Long(r.Pzxid)
}

func (r *StatPersisted) Decode(d *jute.Decoder) {
	r.Czxid = d.Long()
	r.Mzxid = d.Long()
	r.Ctime = d.Long()
	r.Mtime = d.Long()
	r.Version = d.Int()
	r.Cversion = d.Int()
	r.Aversion = d.Int()
	r.EphemeralOwner = d.Long()
	r.Pzxid = d.Long()
}

// ClientInfo is one identity of a session, as whoAmI reports it.
type ClientInfo struct {
	AuthScheme string
	User       string
}

func (r *ClientInfo) Encode(e *jute.Encoder) { e.String(r.AuthScheme); e.String(r.User) }
func (r *ClientInfo) Decode(d *jute.Decoder) { r.AuthScheme = d.String(); r.User = d.String() }
