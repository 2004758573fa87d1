package statemachine

import (
	"fmt"

	"github.com/zkit-go/zkit/internal/jute"
	"github.com/zkit-go/zkit/internal/proto"
)

// Txn is one txn on its way from prep through replication to apply: the
// decoded header and record, and its txn-log entry encoding (TxnHeader,
// record; what a PROPOSAL carries and the log stores), made once.
type Txn struct {
	Hdr    proto.TxnHeader
	Record jute.Record
	Entry  []byte
	// Origin is the preparer's own handle on the request this txn
	// answers (the engine's request), carried back unread by replicators
	// and this package; nil for a txn decoded from bytes (another
	// member's, or a logged one).
	Origin any
}

// NewTxn builds a txn and its entry encoding.
func NewTxn(hdr proto.TxnHeader, rec jute.Record) *Txn {
	enc := jute.NewEncoder(make([]byte, 0, entrySizeHint(rec)))
	proto.EncodeTxnEntry(enc, &hdr, rec, nil)
	return &Txn{Hdr: hdr, Record: rec, Entry: enc.Bytes()}
}

// entrySizeHint is about the size of a txn's entry (header 32 bytes, then
// the record), so that it is encoded into one allocation, not grown into.
func entrySizeHint(rec jute.Record) int {
	n := 128
	switch r := rec.(type) {
	case *proto.SetDataTxn:
		n += len(r.Path) + len(r.Data)
	case *proto.CreateTxn:
		n += len(r.Path) + len(r.Data) + 32*len(r.ACL)
	case *proto.CreateContainerTxn:
		n += len(r.Path) + len(r.Data) + 32*len(r.ACL)
	case *proto.CreateTTLTxn:
		n += len(r.Path) + len(r.Data) + 32*len(r.ACL)
	case *proto.MultiTxn:
		for _, t := range r.Txns {
			n += 8 + len(t.Data)
		}
	}
	return n
}

// Decode decodes a txn-log entry (a PROPOSAL's body, a logged txn). The
// txn keeps entry as its encoding.
func Decode(entry []byte) (*Txn, error) {
	hdr, rec, _, err := proto.DecodeTxnEntry(entry)
	if err != nil {
		return nil, fmt.Errorf("statemachine: txn entry: %w", err)
	}
	return &Txn{Hdr: hdr, Record: rec, Entry: entry}, nil
}
