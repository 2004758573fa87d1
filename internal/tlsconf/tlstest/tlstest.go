// Package tlstest makes certificate authorities, certificates and key and
// trust stores (PEM, PKCS12, JKS) at run time, for tests and for the
// testing package's TLS servers. Nothing it makes is meant to outlive a
// test: keys are ECDSA P-256 and certificates valid for a day.
package tlstest

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"time"

	"github.com/pavlo-v-chernykh/keystore-go/v4"
	"software.sslmate.com/src/go-pkcs12"
)

// CA is a certificate authority.
type CA struct {
	Cert *x509.Certificate
	Key  crypto.Signer
}

// Cert is an issued certificate with its key and the CA chain above it.
type Cert struct {
	Cert *x509.Certificate
	Key  crypto.Signer
	CA   *CA
}

// Options shape an issued certificate.
type Options struct {
	// Subject is the certificate's subject; RawSubject, if set, wins.
	Subject    pkix.Name
	RawSubject []byte
	// Hosts are DNS names and IP addresses for the subject alternative
	// names.
	Hosts []string
	// NotBefore and NotAfter default to an hour ago and a day on.
	NotBefore, NotAfter time.Time
}

// NewCA makes a self-signed CA named cn.
func NewCA(cn string) (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: cn, Organization: []string{"zkit test"}},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &CA{Cert: cert, Key: key}, nil
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	return n
}

// Issue makes a certificate for both server and client use.
func (ca *CA) Issue(o Options) (*Cert, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	if o.NotBefore.IsZero() {
		o.NotBefore = time.Now().Add(-time.Hour)
	}
	if o.NotAfter.IsZero() {
		o.NotAfter = time.Now().Add(24 * time.Hour)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      o.Subject,
		RawSubject:   o.RawSubject,
		NotBefore:    o.NotBefore,
		NotAfter:     o.NotAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	for _, h := range o.Hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, key.Public(), ca.Key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &Cert{Cert: cert, Key: key, CA: ca}, nil
}

// TLSCertificate is the certificate as crypto/tls takes it.
func (c *Cert) TLSCertificate() tls.Certificate {
	return tls.Certificate{Certificate: [][]byte{c.Cert.Raw, c.CA.Cert.Raw}, PrivateKey: c.Key, Leaf: c.Cert}
}

// Pool is a pool holding the CA.
func (ca *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.Cert)
	return p
}

// PEM is the CA certificate in PEM.
func (ca *CA) PEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Cert.Raw})
}

// PEM is the certificate, its CA and the unencrypted PKCS#8 key, in one
// PEM file as ZooKeeper's PEM key store takes it.
func (c *Cert) PEM() ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(c.Key)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	pem.Encode(&b, &pem.Block{Type: "CERTIFICATE", Bytes: c.Cert.Raw})
	pem.Encode(&b, &pem.Block{Type: "CERTIFICATE", Bytes: c.CA.Cert.Raw})
	pem.Encode(&b, &pem.Block{Type: "PRIVATE KEY", Bytes: der})
	return b.Bytes(), nil
}

// PKCS12 is the key, certificate and CA as a PKCS#12 key store.
func (c *Cert) PKCS12(password string) ([]byte, error) {
	return pkcs12.Modern.Encode(c.Key, c.Cert, []*x509.Certificate{c.CA.Cert}, password)
}

// PKCS12TrustStore is the CA as a Java PKCS#12 trust store.
func (ca *CA) PKCS12TrustStore(password string) ([]byte, error) {
	return pkcs12.Modern.EncodeTrustStore([]*x509.Certificate{ca.Cert}, password)
}

// JKS is the key, certificate and CA as a JKS key store under alias
// "key", the key protected by the store's password.
func (c *Cert) JKS(password string) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(c.Key)
	if err != nil {
		return nil, err
	}
	ks := keystore.New()
	err = ks.SetPrivateKeyEntry("key", keystore.PrivateKeyEntry{
		CreationTime: time.Now(),
		PrivateKey:   der,
		CertificateChain: []keystore.Certificate{
			{Type: "X509", Content: c.Cert.Raw},
			{Type: "X509", Content: c.CA.Cert.Raw},
		},
	}, []byte(password))
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := ks.Store(&b, []byte(password)); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// JKSTrustStore is the CA as a JKS trust store.
func (ca *CA) JKSTrustStore(password string) ([]byte, error) {
	ks := keystore.New()
	err := ks.SetTrustedCertificateEntry("ca", keystore.TrustedCertificateEntry{
		CreationTime: time.Now(),
		Certificate:  keystore.Certificate{Type: "X509", Content: ca.Cert.Raw},
	})
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := ks.Store(&b, []byte(password)); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// WriteFile writes data to path, readable by its owner only.
func WriteFile(path string, data []byte, err error) error {
	if err != nil {
		return fmt.Errorf("tlstest: %s: %w", path, err)
	}
	return os.WriteFile(path, data, 0o600)
}
