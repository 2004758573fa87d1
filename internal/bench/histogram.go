package bench

import (
	"math/bits"
	"time"
)

// subBuckets splits each power of two of microseconds; 64 gives about 1.6%
// resolution.
const (
	subBits    = 6
	subBuckets = 1 << subBits
	maxExp     = 32 // 2^32 µs ≈ 71 minutes
)

// Histogram is a log-linear latency histogram in microseconds. The zero
// value is empty and ready; it is not safe for concurrent use.
type Histogram struct {
	counts [maxExp * subBuckets]uint64
	n      uint64
	sum    time.Duration
	max    time.Duration
}

func bucketOf(us uint64) int {
	if us < subBuckets {
		return int(us)
	}
	exp := bits.Len64(us) - subBits // ≥ 1
	if exp >= maxExp {
		return len(Histogram{}.counts) - 1
	}
	sub := us >> (exp - 1) & (subBuckets - 1) // the subBits bits below the top one
	return exp*subBuckets + int(sub)
}

// lowerBound is the smallest microsecond value of bucket i.
func lowerBound(i int) uint64 {
	exp, sub := i/subBuckets, uint64(i%subBuckets)
	if exp == 0 {
		return sub
	}
	return (subBuckets | sub) << (exp - 1)
}

// Record adds one sample.
func (h *Histogram) Record(d time.Duration) {
	if d < 0 {
		d = 0
	}
	h.counts[bucketOf(uint64(d/time.Microsecond))]++
	h.n++
	h.sum += d
	if d > h.max {
		h.max = d
	}
}

// Merge adds o's samples to h.
func (h *Histogram) Merge(o *Histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.sum += o.sum
	h.max = max(h.max, o.max)
}

// Count returns the number of samples.
func (h *Histogram) Count() uint64 { return h.n }

// Mean returns the average sample.
func (h *Histogram) Mean() time.Duration {
	if h.n == 0 {
		return 0
	}
	return h.sum / time.Duration(h.n)
}

// Max returns the largest sample.
func (h *Histogram) Max() time.Duration { return h.max }

// Quantile returns the q-quantile (0..1): the midpoint of the bucket
// holding it, never more than Max.
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(q*float64(h.n) + 0.5) // 1-based rank, rounded
	rank = max(rank, 1)
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			lo, hi := lowerBound(i), lowerBound(i+1)
			d := time.Duration((lo+hi)/2) * time.Microsecond
			if i < subBuckets {
				d = time.Duration(lo)*time.Microsecond + time.Microsecond/2
			}
			return min(d, h.max)
		}
	}
	return h.max
}
