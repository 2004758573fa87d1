package sasl

import (
	"bytes"
	"crypto/md5"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"unicode/utf8"
)

// Errors returned by the DIGEST-MD5 server and client. Each error a Step
// returns wraps one of these.
var (
	// ErrProtocol: the peer's message is not a well-formed DIGEST-MD5
	// message, or arrived in the wrong state.
	ErrProtocol = errors.New("sasl: DIGEST-MD5 protocol violation")
	// ErrAuthFailed: the credentials did not verify (unknown user, wrong
	// password, bad rspauth, authzid not allowed).
	ErrAuthFailed = errors.New("sasl: authentication failed")
	// ErrUnsupportedQOP: the peer asked for a security layer (auth-int,
	// auth-conf) zkit does not offer; only qop=auth is supported.
	ErrUnsupportedQOP = errors.New("sasl: unsupported quality of protection")
)

// Limits Java enforces on message sizes (DigestMD5Base).
const (
	maxChallengeLength = 2048
	maxResponseLength  = 4096
	defaultMaxBuf      = 65536
	rawNonceSize       = 30
	nonceCount         = 1
)

// Credentials looks a user's password up; ok is false for unknown users.
type Credentials func(user string) (password string, ok bool)

// Authorizer decides whether authenticationID may act as the requested
// authorizationID (the client's authzid, or authenticationID when it sent
// none) and returns the id the session is authorized as.
type Authorizer func(authenticationID, requestedID string) (authorizedID string, err error)

// newNonce returns 30 random bytes in base64 (40 characters), the shape of
// Java's nonces and cnonces.
func newNonce() ([]byte, error) {
	raw := make([]byte, rawNonceSize)
	if _, err := rand.Read(raw); err != nil {
		return nil, fmt.Errorf("sasl: reading random nonce: %w", err)
	}
	out := make([]byte, base64.StdEncoding.EncodedLen(len(raw)))
	base64.StdEncoding.Encode(out, raw)
	return out, nil
}

// hashBytes encodes a username, realm or password for H(A1): ISO-8859-1
// when every character fits (RFC 2831 section 2.1.2.1), UTF-8 otherwise.
// With the ISO-8859-1 charset (no charset=utf-8) characters beyond
// U+00FF cannot be represented and are refused.
func hashBytes(s string, utf8Charset bool) ([]byte, error) {
	latin := make([]byte, 0, len(s))
	for _, r := range s {
		if r > 0xFF {
			if utf8Charset {
				return []byte(s), nil
			}
			return nil, fmt.Errorf("%w: %q is not representable in ISO-8859-1", ErrProtocol, s)
		}
		latin = append(latin, byte(r))
	}
	return latin, nil
}

// decodeValue turns a directive value into a string: UTF-8 under
// charset=utf-8, ISO-8859-1 otherwise.
func decodeValue(v []byte, utf8Charset bool) string {
	if utf8Charset {
		if !utf8.Valid(v) {
			return string(bytes.ToValidUTF8(v, []byte("\uFFFD")))
		}
		return string(v)
	}
	r := make([]rune, len(v))
	for i, b := range v {
		r[i] = rune(b)
	}
	return string(r)
}

// digestInput is everything RFC 2831's response-value depends on.
type digestInput struct {
	digestURI  string
	user       string
	realm      string
	password   string
	nonce      []byte
	cnonce     []byte
	authzid    []byte // nil when the response carries no authzid
	utf8       bool
	qop        string // always "auth" here
	authMethod string // "AUTHENTICATE" for response, "" for rspauth
}

// responseValue computes the 32 lower-case hex digits of RFC 2831 section
// 2.1.2.1 with algorithm=md5-sess and qop=auth:
//
//	A1 = H(user ":" realm ":" password) ":" nonce ":" cnonce [":" authzid]
//	A2 = authMethod ":" digest-uri
//	response = HEX(H(HEX(H(A1)) ":" nonce ":" nc ":" cnonce ":" qop ":" HEX(H(A2))))
func responseValue(in digestInput) ([]byte, error) {
	user, err := hashBytes(in.user, in.utf8)
	if err != nil {
		return nil, err
	}
	realm, err := hashBytes(in.realm, in.utf8)
	if err != nil {
		return nil, err
	}
	pass, err := hashBytes(in.password, in.utf8)
	if err != nil {
		return nil, err
	}
	var begin bytes.Buffer
	begin.Write(user)
	begin.WriteByte(':')
	begin.Write(realm)
	begin.WriteByte(':')
	begin.Write(pass)
	inner := md5.Sum(begin.Bytes())

	var a1 bytes.Buffer
	a1.Write(inner[:])
	a1.WriteByte(':')
	a1.Write(in.nonce)
	a1.WriteByte(':')
	a1.Write(in.cnonce)
	if in.authzid != nil {
		a1.WriteByte(':')
		a1.Write(in.authzid)
	}
	ha1 := md5.Sum(a1.Bytes())
	ha2 := md5.Sum([]byte(in.authMethod + ":" + in.digestURI))

	var kd bytes.Buffer
	kd.WriteString(hex.EncodeToString(ha1[:]))
	kd.WriteByte(':')
	kd.Write(in.nonce)
	kd.WriteString(fmt.Sprintf(":%08x:", nonceCount))
	kd.Write(in.cnonce)
	kd.WriteString(":" + in.qop + ":")
	kd.WriteString(hex.EncodeToString(ha2[:]))
	sum := md5.Sum(kd.Bytes())
	return []byte(hex.EncodeToString(sum[:])), nil
}
