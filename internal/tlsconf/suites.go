package tlsconf

import (
	"crypto/tls"
	"fmt"
	"strings"
)

// protocolVersions maps Java's protocol names to Go's versions. "TLS" is
// SSLContext's generic name; as an enabled protocol zkit takes it as
// TLSv1.2 and TLSv1.3.
var protocolVersions = map[string][]uint16{
	"TLSv1":   {tls.VersionTLS10},
	"TLSv1.1": {tls.VersionTLS11},
	"TLSv1.2": {tls.VersionTLS12},
	"TLSv1.3": {tls.VersionTLS13},
	"TLS":     {tls.VersionTLS12, tls.VersionTLS13},
}

// versionRange is the span of TLS versions to enable.
type versionRange struct{ min, max uint16 }

// versions is SSLContextAndOptions.getEnabledProtocols: enabledProtocols,
// or else protocol alone. Go enables a contiguous span of versions, so a
// list with a gap (TLSv1.1,TLSv1.3) is refused rather than widened.
func (s Settings) versions() (versionRange, error) {
	key, names := "enabledProtocols", s.EnabledProtocols
	if len(names) == 0 {
		key, names = "protocol", []string{s.Protocol}
	}
	on := map[uint16]bool{}
	for _, n := range names {
		vs, ok := protocolVersions[n]
		if !ok {
			return versionRange{}, fmt.Errorf("%w: %s%s=%q: unsupported protocol %q (want TLSv1, TLSv1.1, TLSv1.2 or TLSv1.3)",
				ErrSetting, s.Prefix, key, strings.Join(names, ","), n)
		}
		for _, v := range vs {
			on[v] = true
		}
	}
	var r versionRange
	for v := uint16(tls.VersionTLS10); v <= tls.VersionTLS13; v++ {
		if !on[v] {
			continue
		}
		if r.min == 0 {
			r.min = v
		} else if r.max != v-1 {
			return versionRange{}, fmt.Errorf("%w: %s%s=%q: Go can enable only a contiguous range of TLS versions",
				ErrSetting, s.Prefix, key, strings.Join(names, ","))
		}
		r.max = v
	}
	return r, nil
}

// defaultCipherSuites is X509Util's list for Java 9 and later (GCM first,
// then CBC), less the two CBC-SHA384 suites Go does not implement.
var defaultCipherSuites = []uint16{
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
	tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
	tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
	tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
}

// tls13Suites are TLS 1.3's suites; Go always enables all three.
var tls13Suites = map[string]bool{
	"TLS_AES_128_GCM_SHA256":       true,
	"TLS_AES_256_GCM_SHA384":       true,
	"TLS_CHACHA20_POLY1305_SHA256": true,
}

// suiteIDs is the cipher suite selection: ids for TLS 1.0-1.2 and whether
// TLS 1.3 stays usable.
type suiteIDs struct {
	ids    []uint16
	tls13  bool
	custom bool
}

// cipherSuiteIDs maps ciphersuites (Java's names, which are the IANA
// names Go uses) to Go's ids. A name Go lacks is an error naming it: zkit
// never serves with suites other than those configured. TLS 1.3 suites
// cannot be chosen in Go: a list naming none of them turns TLS 1.3 off (as
// Java then has no suite for it), a list naming some but not all is
// refused.
func (s Settings) cipherSuiteIDs() (suiteIDs, error) {
	if len(s.CipherSuites) == 0 {
		return suiteIDs{ids: defaultCipherSuites, tls13: true}, nil
	}
	byName := map[string]uint16{}
	for _, cs := range tls.CipherSuites() {
		byName[cs.Name] = cs.ID
	}
	for _, cs := range tls.InsecureCipherSuites() {
		byName[cs.Name] = cs.ID
	}
	out := suiteIDs{custom: true}
	n13 := 0
	for _, name := range s.CipherSuites {
		if tls13Suites[name] {
			n13++
			continue
		}
		id, ok := byName[name]
		if !ok {
			return suiteIDs{}, fmt.Errorf("%w: %sciphersuites: cipher suite %q is not available in Go's TLS", ErrSetting, s.Prefix, name)
		}
		out.ids = append(out.ids, id)
	}
	switch n13 {
	case 0:
	case len(tls13Suites):
		out.tls13 = true
	default:
		return suiteIDs{}, fmt.Errorf("%w: %sciphersuites: Go cannot enable only some TLS 1.3 suites; list all of TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384, TLS_CHACHA20_POLY1305_SHA256 or none",
			ErrSetting, s.Prefix)
	}
	return out, nil
}

// baseConfig is the protocol and suite part of a tls.Config.
func (s Settings) baseConfig() (*tls.Config, error) {
	vr, err := s.versions()
	if err != nil {
		return nil, err
	}
	suites, err := s.cipherSuiteIDs()
	if err != nil {
		return nil, err
	}
	if !suites.tls13 && vr.max == tls.VersionTLS13 {
		vr.max = tls.VersionTLS12
	}
	if vr.min > vr.max || (vr.max < tls.VersionTLS13 && len(suites.ids) == 0) {
		return nil, fmt.Errorf("%w: %sciphersuites: no listed suite works with the enabled protocols", ErrSetting, s.Prefix)
	}
	return &tls.Config{
		MinVersion:   vr.min,
		MaxVersion:   vr.max,
		CipherSuites: suites.ids,
	}, nil
}
