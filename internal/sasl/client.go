package sasl

import (
	"bytes"
	"crypto/subtle"
	"fmt"
	"strconv"
	"strings"
)

type clientState int

const (
	clientStart    clientState = iota // nothing sent yet
	clientResponse                    // empty initial response sent, waiting for the challenge
	clientRspauth                     // digest-response sent, waiting for rspauth
	clientDone                        // server proved it knows the password
	clientFailed
)

// DigestClient is the client side of one DIGEST-MD5 exchange, equivalent
// to Java's DigestMD5Client as ZooKeeper creates it: authzid = username,
// qop=auth, the first realm the server offers. Not safe for concurrent use.
type DigestClient struct {
	protocol   string
	serverName string
	user       string
	password   string
	authzid    *string

	state  clientState
	utf8   bool
	in     digestInput
	realms []string
}

// NewDigestClient returns a client that authenticates as user with
// password to protocol/serverName. Like ZooKeeper's Java client it sends
// authzid=user; SetAuthorizationID changes that.
func NewDigestClient(protocol, serverName, user, password string) *DigestClient {
	authzid := user
	return &DigestClient{protocol: protocol, serverName: serverName, user: user, password: password, authzid: &authzid}
}

// SetAuthorizationID sets the authzid sent; "" sends none. Call it before
// the first Step.
func (c *DigestClient) SetAuthorizationID(id string) {
	if id == "" {
		c.authzid = nil
		return
	}
	c.authzid = &id
}

// Step takes the server's challenge and returns the next response.
// DIGEST-MD5 has no initial response: the first call (with an empty
// challenge) returns an empty response, which ZooKeeper sends in its first
// GetSASLRequest. The second takes the digest-challenge and returns the
// digest-response. The third takes "rspauth=..." and, when the server's
// proof verifies, returns done with no response to send.
func (c *DigestClient) Step(challenge []byte) (response []byte, done bool, err error) {
	switch c.state {
	case clientStart:
		if len(challenge) == 0 {
			c.state = clientResponse
			return []byte{}, false, nil
		}
		// A server that speaks first: treat it as the digest-challenge.
		c.state = clientResponse
		fallthrough
	case clientResponse:
		response, err = c.respond(challenge)
		if err != nil {
			c.state = clientFailed
			return nil, false, err
		}
		c.state = clientRspauth
		return response, false, nil
	case clientRspauth:
		if err := c.checkRspauth(challenge); err != nil {
			c.state = clientFailed
			return nil, false, err
		}
		c.state = clientDone
		return nil, true, nil
	case clientDone:
		return nil, true, fmt.Errorf("%w: exchange already complete", ErrProtocol)
	default:
		return nil, false, fmt.Errorf("%w: exchange already failed", ErrProtocol)
	}
}

// Realms lists the realms the server offered (valid after the challenge).
func (c *DigestClient) Realms() []string { return c.realms }

func (c *DigestClient) respond(challenge []byte) ([]byte, error) {
	if len(challenge) > maxChallengeLength {
		return nil, fmt.Errorf("%w: digest-challenge of %d bytes, limit %d", ErrProtocol, len(challenge), maxChallengeLength)
	}
	d, err := parseDirectives(challenge, true)
	if err != nil {
		return nil, err
	}
	if cs, ok := d.get("charset"); ok {
		if string(cs) != "utf-8" {
			return nil, fmt.Errorf("%w: unrecognised charset %q", ErrProtocol, cs)
		}
		c.utf8 = true
	}
	alg, ok := d.get("algorithm")
	if !ok {
		return nil, fmt.Errorf("%w: algorithm directive missing", ErrProtocol)
	}
	if string(alg) != "md5-sess" {
		return nil, fmt.Errorf("%w: algorithm %q, want md5-sess", ErrProtocol, alg)
	}
	nonce, ok := d.get("nonce")
	if !ok {
		return nil, fmt.Errorf("%w: nonce directive missing", ErrProtocol)
	}
	if len(d.realms) > 0 {
		for _, r := range d.realms {
			c.realms = append(c.realms, decodeValue(r, c.utf8))
		}
	} else if r, ok := d.get("realm"); ok {
		c.realms = []string{decodeValue(r, c.utf8)}
	}
	realm := ""
	if len(c.realms) > 0 {
		realm = c.realms[0] // Java's ZooKeeper callback takes the default choice
	}
	if mb, ok := d.get("maxbuf"); ok {
		if _, err := strconv.ParseInt(string(mb), 10, 32); err != nil {
			return nil, fmt.Errorf("%w: bad maxbuf %q", ErrProtocol, mb)
		}
	}
	offered := "auth"
	if q, ok := d.get("qop"); ok {
		offered = decodeValue(q, c.utf8)
	}
	if !offersAuth(offered) {
		return nil, fmt.Errorf("%w: server offers qop %q; zkit supports only qop=auth (no integrity or confidentiality layer)", ErrUnsupportedQOP, offered)
	}
	cnonce, err := newNonce()
	if err != nil {
		return nil, err
	}
	c.in = digestInput{
		digestURI: c.protocol + "/" + c.serverName, user: c.user, realm: realm,
		password: c.password, nonce: bytes.Clone(nonce), cnonce: cnonce, utf8: c.utf8,
		qop: "auth", authMethod: "AUTHENTICATE",
	}
	if c.authzid != nil {
		c.in.authzid = []byte(*c.authzid)
	}
	value, err := responseValue(c.in)
	if err != nil {
		return nil, err
	}
	encode := func(s string) ([]byte, error) {
		if c.utf8 {
			return []byte(s), nil
		}
		return hashBytes(s, false)
	}

	// Java's field order: charset, username, realm, nonce, nc, cnonce,
	// digest-uri, maxbuf, response, qop, authzid.
	var out bytes.Buffer
	if c.utf8 {
		out.WriteString("charset=utf-8,")
	}
	userBytes, err := encode(c.user)
	if err != nil {
		return nil, err
	}
	writeQuotedDirective(&out, "username", userBytes, true)
	if realm != "" {
		realmBytes, err := encode(realm)
		if err != nil {
			return nil, err
		}
		writeQuotedDirective(&out, "realm", realmBytes, true)
	}
	writeQuotedDirective(&out, "nonce", nonce, true)
	fmt.Fprintf(&out, "nc=%08x,", nonceCount)
	writeQuotedDirective(&out, "cnonce", cnonce, true)
	writeQuotedDirective(&out, "digest-uri", []byte(c.in.digestURI), true)
	fmt.Fprintf(&out, "maxbuf=%d,", defaultMaxBuf)
	out.WriteString("response=")
	out.Write(value)
	out.WriteString(",qop=auth")
	if c.in.authzid != nil {
		out.WriteByte(',')
		writeQuotedDirective(&out, "authzid", c.in.authzid, false)
	}
	if out.Len() > maxResponseLength {
		return nil, fmt.Errorf("%w: digest-response too large (%d bytes)", ErrProtocol, out.Len())
	}
	return out.Bytes(), nil
}

func offersAuth(qopList string) bool {
	for _, q := range strings.FieldsFunc(qopList, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' }) {
		if q == "auth" {
			return true
		}
	}
	return false
}

func (c *DigestClient) checkRspauth(challenge []byte) error {
	if len(challenge) > maxChallengeLength {
		return fmt.Errorf("%w: message of %d bytes, limit %d", ErrProtocol, len(challenge), maxChallengeLength)
	}
	d, err := parseDirectives(challenge, false)
	if err != nil {
		return err
	}
	got, ok := d.get("rspauth")
	if !ok {
		return fmt.Errorf("%w: expecting rspauth from the server", ErrAuthFailed)
	}
	in := c.in
	in.authMethod = ""
	want, err := responseValue(in)
	if err != nil {
		return err
	}
	if subtle.ConstantTimeCompare(want, got) != 1 {
		return fmt.Errorf("%w: server's rspauth does not match (the server does not know the password)", ErrAuthFailed)
	}
	return nil
}
