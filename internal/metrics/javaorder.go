package metrics

import (
	"sort"
	"unicode/utf16"
)

// JavaHashOrder returns keys in the order a java.util.concurrent
// ConcurrentHashMap holding them iterates: by bucket, the bucket being
// String.hashCode spread and masked by the table size (16, doubled each
// time the map reaches three quarters full). ZooKeeper's metrics sets
// (per-namespace gauges and summaries) are such maps, and mntr prints
// them in this order. Keys sharing a bucket, rare in practice, are sorted
// by name (Java keeps their insertion order).
func JavaHashOrder(keys []string) []string {
	n := javaTableSize(len(keys))
	out := append([]string(nil), keys...)
	sort.SliceStable(out, func(i, j int) bool {
		bi, bj := javaBucket(out[i], n), javaBucket(out[j], n)
		if bi != bj {
			return bi < bj
		}
		return out[i] < out[j]
	})
	return out
}

// javaTableSize is a ConcurrentHashMap's table size once it holds count
// keys (inserted one by one into a default map).
func javaTableSize(count int) int {
	n := 16
	for count >= n*3/4 {
		n *= 2
	}
	return n
}

// javaBucket is the table slot of key in a table of size n.
func javaBucket(key string, n int) int32 {
	h := javaStringHash(key)
	return (h ^ int32(uint32(h)>>16)) & 0x7fffffff & int32(n-1)
}

// javaStringHash is java.lang.String.hashCode over UTF-16 code units.
func javaStringHash(s string) int32 {
	var h int32
	for _, u := range utf16.Encode([]rune(s)) {
		h = 31*h + int32(u)
	}
	return h
}
