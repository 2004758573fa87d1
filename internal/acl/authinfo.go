package acl

import (
	"sync"

	"github.com/zkit-go/zkit/internal/proto"
)

// AuthInfo is the set of ids a connection has authenticated as. The server
// owns one per connection, adds the connection's ip id when it is accepted,
// and adds what Authenticate returns.
//
// Java keeps this set in a ConcurrentHashMap and hands each request a list
// in the map's iteration order. That order is visible to clients: whoAmI
// lists ids in it, and an "auth" ACL is expanded in it and stored so. So
// AuthInfo models the map's table (16 bins to start, doubling at 3/4 full,
// Java's split order on resize) and IDs returns that order. Not modelled:
// a bin that collects more than eight ids, where Java starts to treeify;
// that needs hash collisions among a single connection's ids.
type AuthInfo struct {
	// mu guards bins, count and ids.
	mu    sync.Mutex
	bins  [][]authNode
	count int
	ids   []proto.ID // IDs' result; replaced, never modified, on Add
}

type authNode struct {
	hash int32 // spread hash, as the map stores it
	id   proto.ID
}

const (
	chmInitialBins = 16
	chmHashBits    = 0x7fffffff
)

// idHash is the hashCode of org.apache.zookeeper.data.Id, a jute record:
// 37*(37*17 + scheme.hashCode()) + id.hashCode().
func idHash(id proto.ID) int32 {
	h := int32(17)
	h = 37*h + javaHash(id.Scheme)
	h = 37*h + javaHash(id.ID)
	return h
}

// spread is ConcurrentHashMap.spread.
func spread(h int32) int32 {
	return (h ^ int32(uint32(h)>>16)) & chmHashBits
}

// NewAuthInfo returns a set holding ids, added in order.
func NewAuthInfo(ids ...proto.ID) *AuthInfo {
	s := &AuthInfo{}
	for _, id := range ids {
		s.Add(id)
	}
	return s
}

// Add adds id and reports whether it was new.
func (s *AuthInfo) Add(id proto.ID) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.bins == nil {
		s.bins = make([][]authNode, chmInitialBins)
	}
	h := spread(idHash(id))
	i := int(h) & (len(s.bins) - 1)
	for _, n := range s.bins[i] {
		if n.id == id {
			return false
		}
	}
	s.bins[i] = append(s.bins[i], authNode{hash: h, id: id})
	s.count++
	if n := len(s.bins); s.count >= n-n/4 {
		s.resizeLocked()
	}
	ids := make([]proto.ID, 0, s.count)
	for _, bin := range s.bins {
		for _, n := range bin {
			ids = append(ids, n.id)
		}
	}
	s.ids = ids
	return true
}

// resizeLocked doubles the table the way ConcurrentHashMap.transfer does:
// each bin splits into a low and a high bin; the longest tail of nodes that
// go to the same side keeps its order, the nodes before it are pushed onto
// the front of their new bin one by one (so they come out reversed).
func (s *AuthInfo) resizeLocked() {
	n := len(s.bins)
	next := make([][]authNode, 2*n)
	for i, bin := range s.bins {
		if len(bin) == 0 {
			continue
		}
		runBit := bin[0].hash & int32(n)
		lastRun := 0
		for p := 1; p < len(bin); p++ {
			if b := bin[p].hash & int32(n); b != runBit {
				runBit, lastRun = b, p
			}
		}
		var lo, hi []authNode
		if runBit == 0 {
			lo = append(lo, bin[lastRun:]...)
		} else {
			hi = append(hi, bin[lastRun:]...)
		}
		for p := 0; p < lastRun; p++ {
			if bin[p].hash&int32(n) == 0 {
				lo = append([]authNode{bin[p]}, lo...)
			} else {
				hi = append([]authNode{bin[p]}, hi...)
			}
		}
		next[i], next[i+n] = lo, hi
	}
	s.bins = next
}

// IDs returns the ids in Java's iteration order. The slice is shared: a
// request may keep it (it never changes), but must not modify it.
func (s *AuthInfo) IDs() []proto.ID {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ids
}

// Len returns the number of ids.
func (s *AuthInfo) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.count
}
