package acl

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha3"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// ErrDigestAlg is returned for a digest algorithm this package does not
// know (Java fails at start-up for one the JVM lacks).
var ErrDigestAlg = errors.New("acl: unsupported digest algorithm")

// digestAlgs maps Java MessageDigest names, upper-cased, to Go hashes.
var digestAlgs = map[string]func() hash.Hash{
	"MD5":         md5.New,
	"SHA1":        sha1.New,
	"SHA-1":       sha1.New,
	"SHA":         sha1.New,
	"SHA-224":     sha256.New224,
	"SHA-256":     sha256.New,
	"SHA-384":     sha512.New384,
	"SHA-512":     sha512.New,
	"SHA-512/224": sha512.New512_224,
	"SHA-512/256": sha512.New512_256,
	"SHA3-224":    func() hash.Hash { return sha3.New224() },
	"SHA3-256":    func() hash.Hash { return sha3.New256() },
	"SHA3-384":    func() hash.Hash { return sha3.New384() },
	"SHA3-512":    func() hash.Hash { return sha3.New512() },
}

func lookupDigestAlg(name string) (func() hash.Hash, error) {
	if name == "" {
		name = "SHA1"
	}
	h, ok := digestAlgs[strings.ToUpper(name)]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrDigestAlg, name)
	}
	return h, nil
}

// GenerateDigest turns "user:password" into the digest scheme's id,
// "user:" + base64(SHA1("user:password")), as
// DigestAuthenticationProvider.generateDigest with the default algorithm.
// Everything before the first ':' is the user; a string without ':' is all
// user (and is hashed whole), as in Java. It is what zkCli's users and
// superDigest settings are made with.
func GenerateDigest(idPassword string) string {
	return generateDigest(sha1.New, idPassword)
}

func generateDigest(newHash func() hash.Hash, idPassword string) string {
	user, _, _ := strings.Cut(idPassword, ":")
	h := newHash()
	h.Write([]byte(idPassword))
	return user + ":" + base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// digestValid is DigestAuthenticationProvider.isValid: id.split(":") must
// give exactly two strings (Java drops trailing empty strings, so
// "user:hash:" is valid and "user:" is not).
func digestValid(id string) bool {
	return javaSplitCount(id, ':') == 2
}

// digestUser is DigestAuthenticationProvider.getUserName: the first string
// of id.split(":").
func digestUser(id string) string {
	user, _, _ := strings.Cut(id, ":")
	return user
}

// ipString renders a remote address as Java's
// InetAddress.getHostAddress does: dotted quad for IPv4 (also for an
// IPv4-mapped address on a dual-stack socket, which Java reports as
// Inet4Address), and eight uncompressed lower-case hex groups for IPv6,
// with "%zone" when there is one.
func ipString(addr net.Addr) (string, bool) {
	var ip netip.Addr
	switch a := addr.(type) {
	case *net.TCPAddr:
		ip, _ = netip.AddrFromSlice(a.IP)
		ip = ip.WithZone(a.Zone)
	case *net.UDPAddr:
		ip, _ = netip.AddrFromSlice(a.IP)
		ip = ip.WithZone(a.Zone)
	case *net.IPAddr:
		ip, _ = netip.AddrFromSlice(a.IP)
		ip = ip.WithZone(a.Zone)
	case nil:
		return "", false
	default:
		ap, err := netip.ParseAddrPort(addr.String())
		if err != nil {
			return "", false
		}
		ip = ap.Addr()
	}
	if !ip.IsValid() {
		return "", false
	}
	ip = ip.Unmap()
	if ip.Is4() {
		return ip.String(), true
	}
	b := ip.As16()
	var sb strings.Builder
	for i := 0; i < 16; i += 2 {
		if i > 0 {
			sb.WriteByte(':')
		}
		sb.WriteString(strconv.FormatUint(uint64(b[i])<<8|uint64(b[i+1]), 16))
	}
	if z := ip.Zone(); z != "" {
		sb.WriteByte('%')
		sb.WriteString(z)
	}
	return sb.String(), true
}

// ipAddr holds an address parsed from an ip id or ACL expression: 4 bytes
// for IPv4, 16 for IPv6.
type ipAddr struct {
	b [16]byte
	n int
}

// parseIP is IPAuthenticationProvider.addr2Bytes. ZooKeeper 3.8 knows only
// IPv4; with ipv6 set it also takes IPv6 as ZooKeeper 3.9 does (any string
// with a ':' is treated as IPv6).
func parseIP(s string, ipv6 bool) (ipAddr, bool) {
	if ipv6 {
		if strings.IndexByte(s, ':') >= 0 {
			return parseIPv6(s)
		}
		if strings.IndexByte(s, '.') < 0 {
			return ipAddr{}, false
		}
	}
	return parseIPv4(s)
}

// parseIPv4 is v4addr2Bytes: split on '.' keeping empty parts, exactly
// four, each Integer.parseInt in 0..255 (so "+1", "001" and non-ASCII
// decimal digits are accepted, as in Java).
func parseIPv4(s string) (ipAddr, bool) {
	var a ipAddr
	for i := 0; i < 4; i++ {
		part := s
		if i < 3 {
			var ok bool
			part, s, ok = strings.Cut(s, ".")
			if !ok {
				return a, false
			}
		} else if strings.IndexByte(s, '.') >= 0 {
			return a, false
		}
		v, ok := javaParseInt(part, 10)
		if !ok || v < 0 || v > 255 {
			return a, false
		}
		a.b[i] = byte(v)
	}
	a.n = 4
	return a, true
}

// parseIPv6 follows ZooKeeper 3.9's parseV6addr: at most one "::"; without
// it exactly eight groups, with it fewer than eight; each group one to four
// characters read by Integer.parseInt(group, 16). No embedded IPv4 form.
func parseIPv6(s string) (ipAddr, bool) {
	var a ipAddr
	parts := strings.Split(s, "::")
	var first, second []string
	switch len(parts) {
	case 1:
		first = strings.Split(parts[0], ":")
		if len(first) != 8 {
			return a, false
		}
	case 2:
		if parts[0] != "" {
			first = strings.Split(parts[0], ":")
		}
		if parts[1] != "" {
			second = strings.Split(parts[1], ":")
		}
		if len(first)+len(second) >= 8 {
			return a, false
		}
	default:
		return a, false
	}
	if !putV6Groups(&a, 0, first) || !putV6Groups(&a, 16-2*len(second), second) {
		return a, false
	}
	a.n = 16
	return a, true
}

func putV6Groups(a *ipAddr, at int, groups []string) bool {
	for _, g := range groups {
		if g == "" || utf16Len(g) > 4 {
			return false
		}
		v, ok := javaParseInt(g, 16)
		if !ok {
			return false
		}
		a.b[at] = byte(v >> 8)
		a.b[at+1] = byte(v)
		at += 2
	}
	return true
}

// utf16Len is Java's String.length for s.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n++
		if r >= 0x10000 {
			n++
		}
	}
	return n
}

// mask clears every bit after the first bits.
func (a *ipAddr) mask(bits int) {
	for i := 0; i < a.n; i++ {
		switch {
		case bits >= 8:
			bits -= 8
		case bits <= 0:
			a.b[i] = 0
		default:
			a.b[i] &= ^byte(0xff >> bits)
			bits = 0
		}
	}
}

// parseIPExpr parses an ACL expression "addr" or "addr/bits".
func parseIPExpr(expr string, ipv6 bool) (ipAddr, int, bool) {
	addr, bitsStr, hasBits := strings.Cut(expr, "/")
	a, ok := parseIP(addr, ipv6)
	if !ok {
		return a, 0, false
	}
	bits := a.n * 8
	if hasBits {
		v, ok := javaParseInt(bitsStr, 10)
		if !ok || v < 0 || int(v) > a.n*8 {
			return a, 0, false
		}
		bits = int(v)
	}
	return a, bits, true
}

// ipValid is IPAuthenticationProvider.isValid.
func ipValid(expr string, ipv6 bool) bool {
	_, _, ok := parseIPExpr(expr, ipv6)
	return ok
}

// ipMatches is IPAuthenticationProvider.matches: the client's address id
// against an ACL expression, both masked to the expression's prefix.
func ipMatches(id, expr string, ipv6 bool) bool {
	want, bits, ok := parseIPExpr(expr, ipv6)
	if !ok {
		return false
	}
	got, ok := parseIP(id, ipv6)
	if !ok || got.n != want.n {
		// 3.8 compares only the ACL's length of bytes, but both are
		// IPv4 there, so the lengths always agree.
		return false
	}
	want.mask(bits)
	got.mask(bits)
	return got.b == want.b
}
