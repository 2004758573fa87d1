package tlsconf

import (
	"context"
	"crypto/x509"
	"fmt"
	"net"
	"strings"
	"time"
)

// verifyHostname is ZKHostnameVerifier.verify: an IP address must be one
// of the certificate's IP subject alternative names, a name one of its DNS
// names (wildcards as Go matches them); a certificate with neither kind of
// alternative name is matched on its subject's CN, as Java falls back to.
func verifyHostname(host string, cert *x509.Certificate) error {
	host = strings.Trim(host, "[]")
	if len(cert.DNSNames) == 0 && len(cert.IPAddresses) == 0 {
		cn := cert.Subject.CommonName
		if cn != "" && matchName(cn, host) {
			return nil
		}
		return fmt.Errorf("tlsconf: certificate %q (no subject alternative names) does not match %q", X509ID(cert), host)
	}
	if err := cert.VerifyHostname(host); err != nil {
		return fmt.Errorf("tlsconf: hostname verification: %w", err)
	}
	return nil
}

// matchName compares a CN to a host: equal ignoring case, or a leading
// "*." matching exactly one label.
func matchName(pattern, host string) bool {
	pattern, host = strings.ToLower(pattern), strings.ToLower(strings.TrimSuffix(host, "."))
	if pattern == host {
		return true
	}
	rest, ok := strings.CutPrefix(pattern, "*.")
	if !ok {
		return false
	}
	label, domain, ok := strings.Cut(host, ".")
	return ok && label != "" && domain == rest
}

// verifyAddress is ZKTrustManager's check of a client certificate on the
// quorum: the peer's IP address, or with reverse lookups allowed one of
// its names, must match the certificate.
func verifyAddress(remote net.Addr, cert *x509.Certificate, reverse bool) error {
	if remote == nil {
		return fmt.Errorf("tlsconf: hostname verification: peer address unknown")
	}
	host, _, err := net.SplitHostPort(remote.String())
	if err != nil {
		host = remote.String()
	}
	if ip := net.ParseIP(host); ip != nil && ip.To4() != nil {
		host = ip.To4().String()
	}
	addrErr := verifyHostname(host, cert)
	if addrErr == nil || !reverse {
		return addrErr
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	names, _ := net.DefaultResolver.LookupAddr(ctx, host)
	for _, n := range names {
		if verifyHostname(strings.TrimSuffix(n, "."), cert) == nil {
			return nil
		}
	}
	return fmt.Errorf("%w (nor does any name of %s)", addrErr, host)
}
