package session

import "crypto/subtle"

// passwdSecret is mixed into the Random seed (ZooKeeperServer.superSecret).
const passwdSecret = 0xB3415C00

// PasswdLen is the length of a session password; the C client reads the
// connect response at fixed offsets, so it is always sent, even as zeros.
const PasswdLen = 16

// javaRandom reproduces java.util.Random's 48-bit linear congruential
// generator bit for bit.
type javaRandom struct{ seed int64 }

const (
	randMultiplier = 0x5DEECE66D
	randAddend     = 0xB
	randMask       = (1 << 48) - 1
)

func newJavaRandom(seed int64) javaRandom {
	return javaRandom{seed: (seed ^ randMultiplier) & randMask}
}

// next returns the top bits of the next state, as Random.next(bits).
func (r *javaRandom) next(bits uint) int32 {
	r.seed = (r.seed*randMultiplier + randAddend) & randMask
	return int32(uint64(r.seed) >> (48 - bits))
}

// nextBytes fills b as Random.nextBytes: one nextInt per four bytes, least
// significant byte first; a short tail uses the low bytes of one more int.
func (r *javaRandom) nextBytes(b []byte) {
	for i := 0; i < len(b); {
		v := r.next(32)
		for n := min(len(b)-i, 4); n > 0; n-- {
			b[i] = byte(v)
			v >>= 8
			i++
		}
	}
}

// GeneratePasswd returns the password of session id, as every ZooKeeper
// server computes it: new java.util.Random(id ^ 0xB3415C00).nextBytes(16).
func GeneratePasswd(id int64) []byte {
	p := make([]byte, PasswdLen)
	r := newJavaRandom(id ^ passwdSecret)
	r.nextBytes(p)
	return p
}

// CheckPasswd reports whether passwd is session id's password. Id 0 never
// matches (it means "new session" on the wire).
func CheckPasswd(id int64, passwd []byte) bool {
	if id == 0 {
		return false
	}
	var want [PasswdLen]byte
	r := newJavaRandom(id ^ passwdSecret)
	r.nextBytes(want[:])
	return subtle.ConstantTimeCompare(want[:], passwd) == 1
}
