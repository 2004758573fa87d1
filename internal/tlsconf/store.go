package tlsconf

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/pavlo-v-chernykh/keystore-go/v4"
	"github.com/youmark/pkcs8"
	"software.sslmate.com/src/go-pkcs12"
)

// Store types, as ZooKeeper's KeyStoreFileType names them.
const (
	TypeJKS    = "JKS"
	TypePEM    = "PEM"
	TypePKCS12 = "PKCS12"
	TypeBCFKS  = "BCFKS"
)

// Store is one key or trust store setting: keyStore.* or trustStore.*.
type Store struct {
	// Location is the file (keyStore.location); empty means none.
	Location string
	// Password opens the file and, for a key store, its private key
	// (keyStore.password, or the contents of keyStore.passwordPath).
	Password string
	// Type is JKS, PEM or PKCS12 (keyStore.type); empty means the type
	// the file name's extension says (.jks, .pem, .p12), as Java infers it.
	Type string
}

// fileType is KeyStoreFileType.fromPropertyValueOrFileName.
func (st Store) fileType() (string, error) {
	if st.Type != "" {
		switch t := strings.ToUpper(st.Type); t {
		case TypeJKS, TypePEM, TypePKCS12:
			return t, nil
		case TypeBCFKS:
			return "", fmt.Errorf("%w: store type BCFKS (Bouncy Castle FIPS) is not supported", ErrStore)
		default:
			return "", fmt.Errorf("%w: unknown store type %q (want JKS, PEM or PKCS12)", ErrStore, st.Type)
		}
	}
	switch ext := filepath.Ext(st.Location); ext {
	case ".jks":
		return TypeJKS, nil
	case ".pem":
		return TypePEM, nil
	case ".p12":
		return TypePKCS12, nil
	case ".bcfks":
		return "", fmt.Errorf("%w: store type BCFKS (Bouncy Castle FIPS) is not supported", ErrStore)
	default:
		return "", fmt.Errorf("%w: cannot tell the store type from the file name %s (want .jks, .pem or .p12, or set the type)", ErrStore, st.Location)
	}
}

// loadKeyStore reads a key store: the private key and its certificate
// chain. It refuses a store without a private key, a certificate that
// does not match the key, and a leaf certificate outside its validity
// period at now.
func loadKeyStore(st Store, now time.Time) (tls.Certificate, error) {
	typ, err := st.fileType()
	if err != nil {
		return tls.Certificate{}, err
	}
	data, err := os.ReadFile(st.Location)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("%w: key store: %w", ErrStore, err)
	}
	var key crypto.PrivateKey
	var certs []*x509.Certificate
	switch typ {
	case TypePEM:
		key, certs, err = pemKeyStore(data, st.Password)
	case TypePKCS12:
		key, certs, err = pkcs12KeyStore(data, st.Password)
	case TypeJKS:
		key, certs, err = jksKeyStore(data, st.Password)
	}
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("%w: key store %s (%s): %w", ErrStore, st.Location, typ, err)
	}
	chain, err := leafFirst(key, certs)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("%w: key store %s (%s): %w", ErrStore, st.Location, typ, err)
	}
	leaf := chain[0]
	if now.After(leaf.NotAfter) {
		return tls.Certificate{}, fmt.Errorf("%w: key store %s: certificate %q expired at %s",
			ErrStore, st.Location, X509ID(leaf), leaf.NotAfter.UTC().Format(time.RFC3339))
	}
	if now.Before(leaf.NotBefore) {
		return tls.Certificate{}, fmt.Errorf("%w: key store %s: certificate %q is not valid before %s",
			ErrStore, st.Location, X509ID(leaf), leaf.NotBefore.UTC().Format(time.RFC3339))
	}
	out := tls.Certificate{PrivateKey: key, Leaf: leaf}
	for _, c := range chain {
		out.Certificate = append(out.Certificate, c.Raw)
	}
	return out, nil
}

// loadTrustStore reads a trust store's certificates (the trust anchors).
func loadTrustStore(st Store) ([]*x509.Certificate, error) {
	typ, err := st.fileType()
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(st.Location)
	if err != nil {
		return nil, fmt.Errorf("%w: trust store: %w", ErrStore, err)
	}
	var certs []*x509.Certificate
	switch typ {
	case TypePEM:
		certs, err = pemCertificates(data)
	case TypePKCS12:
		certs, err = pkcs12.DecodeTrustStore(data, st.Password)
		err = passwordHint(err)
	case TypeJKS:
		certs, err = jksTrustStore(data, st.Password)
	}
	if err == nil && len(certs) == 0 {
		err = errors.New("no trusted certificates in it")
	}
	if err != nil {
		return nil, fmt.Errorf("%w: trust store %s (%s): %w", ErrStore, st.Location, typ, err)
	}
	return certs, nil
}

// PEM blocks as PemReader finds them: any "BEGIN ... CERTIFICATE" and
// "BEGIN ... PRIVATE KEY" header.
var (
	pemCertType = regexp.MustCompile(`^.*CERTIFICATE[^-]*$`)
	pemKeyType  = regexp.MustCompile(`^.*PRIVATE\s+KEY[^-]*$`)
)

func pemCertificates(data []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return certs, nil
		}
		if !pemCertType.MatchString(b.Type) {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("certificate %d: %w", len(certs)+1, err)
		}
		certs = append(certs, c)
	}
}

// pemKeyStore is PemReader.loadKeyStore on one file holding the chain and
// the key. As in Java the key is PKCS#8, encrypted when a password is set;
// PKCS#1 RSA and SEC 1 EC keys (openssl's older defaults) are taken too.
func pemKeyStore(data []byte, password string) (crypto.PrivateKey, []*x509.Certificate, error) {
	certs, err := pemCertificates(data)
	if err != nil {
		return nil, nil, err
	}
	if len(certs) == 0 {
		return nil, nil, errors.New("no certificate in it")
	}
	var keyBlock *pem.Block
	for rest := data; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if pemKeyType.MatchString(b.Type) {
			keyBlock = b
			break
		}
	}
	if keyBlock == nil {
		return nil, nil, errors.New("no private key in it")
	}
	var key crypto.PrivateKey
	switch {
	case keyBlock.Type == "RSA PRIVATE KEY" && password == "":
		key, err = x509.ParsePKCS1PrivateKey(keyBlock.Bytes)
	case keyBlock.Type == "EC PRIVATE KEY" && password == "":
		key, err = x509.ParseECPrivateKey(keyBlock.Bytes)
	case password != "" && keyBlock.Type != "PRIVATE KEY":
		key, err = pkcs8.ParsePKCS8PrivateKey(keyBlock.Bytes, []byte(password))
		if err != nil {
			err = fmt.Errorf("private key: wrong password, or not an encrypted PKCS#8 key: %w", err)
		}
	default:
		key, err = x509.ParsePKCS8PrivateKey(keyBlock.Bytes)
		if err != nil && strings.Contains(keyBlock.Type, "ENCRYPTED") {
			err = errors.New("private key is encrypted and no password is set")
		}
	}
	if err != nil {
		return nil, nil, err
	}
	return key, certs, nil
}

func pkcs12KeyStore(data []byte, password string) (crypto.PrivateKey, []*x509.Certificate, error) {
	key, leaf, cas, err := pkcs12.DecodeChain(data, password)
	if err != nil {
		return nil, nil, passwordHint(err)
	}
	return key, append([]*x509.Certificate{leaf}, cas...), nil
}

// passwordHint names the likely cause of go-pkcs12's password errors.
func passwordHint(err error) error {
	if errors.Is(err, pkcs12.ErrIncorrectPassword) || errors.Is(err, pkcs12.ErrDecryption) {
		return fmt.Errorf("wrong password: %w", err)
	}
	return err
}

// jksKeyStore takes the first private key entry (aliases in order); its
// key is protected by the store's password, as Java's KeyManagerFactory is
// given that one password.
func jksKeyStore(data []byte, password string) (crypto.PrivateKey, []*x509.Certificate, error) {
	ks, err := loadJKS(data, password)
	if err != nil {
		return nil, nil, err
	}
	aliases := ks.Aliases()
	sort.Strings(aliases)
	for _, alias := range aliases {
		if !ks.IsPrivateKeyEntry(alias) {
			continue
		}
		e, err := ks.GetPrivateKeyEntry(alias, []byte(password))
		if err != nil {
			return nil, nil, fmt.Errorf("entry %q: key password differs from the store password? %w", alias, err)
		}
		key, err := x509.ParsePKCS8PrivateKey(e.PrivateKey)
		if err != nil {
			return nil, nil, fmt.Errorf("entry %q: %w", alias, err)
		}
		var certs []*x509.Certificate
		for _, c := range e.CertificateChain {
			xc, err := x509.ParseCertificate(c.Content)
			if err != nil {
				return nil, nil, fmt.Errorf("entry %q: %w", alias, err)
			}
			certs = append(certs, xc)
		}
		return key, certs, nil
	}
	return nil, nil, errors.New("no private key entry in it")
}

// jksTrustStore takes the trusted certificate entries, as
// PKIXParameters(KeyStore) does.
func jksTrustStore(data []byte, password string) ([]*x509.Certificate, error) {
	ks, err := loadJKS(data, password)
	if err != nil {
		return nil, err
	}
	aliases := ks.Aliases()
	sort.Strings(aliases)
	var certs []*x509.Certificate
	for _, alias := range aliases {
		if !ks.IsTrustedCertificateEntry(alias) {
			continue
		}
		e, err := ks.GetTrustedCertificateEntry(alias)
		if err != nil {
			return nil, fmt.Errorf("entry %q: %w", alias, err)
		}
		c, err := x509.ParseCertificate(e.Certificate.Content)
		if err != nil {
			return nil, fmt.Errorf("entry %q: %w", alias, err)
		}
		certs = append(certs, c)
	}
	return certs, nil
}

func loadJKS(data []byte, password string) (keystore.KeyStore, error) {
	ks := keystore.New()
	if err := ks.Load(bytes.NewReader(data), []byte(password)); err != nil {
		if strings.Contains(err.Error(), "invalid digest") {
			return ks, fmt.Errorf("wrong password (the store's integrity check failed): %w", err)
		}
		if strings.Contains(err.Error(), "invalid magic") {
			return ks, fmt.Errorf("not a JKS file: %w", err)
		}
		return ks, err
	}
	return ks, nil
}

// leafFirst orders certs so the certificate of key comes first, followed
// by the others as the store lists them.
func leafFirst(key crypto.PrivateKey, certs []*x509.Certificate) ([]*x509.Certificate, error) {
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("unsupported private key type %T", key)
	}
	for i, c := range certs {
		if samePublicKey(signer.Public(), c.PublicKey) {
			out := []*x509.Certificate{c}
			out = append(out, certs[:i]...)
			return append(out, certs[i+1:]...), nil
		}
	}
	return nil, errors.New("no certificate matches the private key")
}

func samePublicKey(a, b crypto.PublicKey) bool {
	type equaler interface{ Equal(crypto.PublicKey) bool }
	switch k := a.(type) {
	case *rsa.PublicKey, *ecdsa.PublicKey, ed25519.PublicKey:
		return k.(equaler).Equal(b)
	}
	return false
}
