package session

import "errors"

// ErrTimeoutBounds is returned by TimeoutBounds when min > max, which Java
// refuses at config parse time.
var ErrTimeoutBounds = errors.New("session: minSessionTimeout must not be larger than maxSessionTimeout")

// TimeoutBounds resolves the configured minSessionTimeout and
// maxSessionTimeout as QuorumPeerConfig does: -1 (unset) means 2×tickTime
// and 20×tickTime respectively; any other value, even another negative one,
// is kept; min > max after defaulting is an error.
func TimeoutBounds(tickTime, minTimeout, maxTimeout int32) (lo, hi int32, err error) {
	lo, hi = minTimeout, maxTimeout
	if lo == -1 {
		lo = 2 * tickTime
	}
	if hi == -1 {
		hi = 20 * tickTime
	}
	if lo > hi {
		return 0, 0, ErrTimeoutBounds
	}
	return lo, hi, nil
}

// NegotiateTimeout clamps a client's requested timeout to [lo, hi] as
// ZooKeeperServer.processConnectRequest does (min first, then max).
func NegotiateTimeout(requested, lo, hi int32) int32 {
	if requested < lo {
		requested = lo
	}
	if requested > hi {
		requested = hi
	}
	return requested
}
