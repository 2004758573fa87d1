package sasl

import (
	"bytes"
	"crypto/subtle"
	"fmt"
	"strconv"
	"strings"
)

type serverState int

const (
	serverStart    serverState = iota // waiting for the (empty) initial response
	serverResponse                    // challenge sent, waiting for the digest-response
	serverDone                        // authenticated
	serverFailed                      // a step failed; every later step fails
)

// DigestServer is the server side of one DIGEST-MD5 exchange, equivalent to
// Java's com.sun.security.sasl.digest.DigestMD5Server created with no
// properties: the realm is the server name, only qop=auth is offered,
// charset=utf-8. It is not safe for concurrent use; one exchange per value.
type DigestServer struct {
	protocol   string
	serverName string
	creds      Credentials
	authorize  Authorizer

	state   serverState
	nonce   []byte
	authcid string
	authzid string
	realm   string
}

// NewDigestServer returns a server for protocol/serverName (ZooKeeper's
// client port: "zookeeper", "zk-sasl-md5"; its quorum: "zookeeper-quorum",
// "zk-quorum-sasl-md5") checking passwords with creds.
func NewDigestServer(protocol, serverName string, creds Credentials) *DigestServer {
	return &DigestServer{protocol: protocol, serverName: serverName, creds: creds, authorize: sameIdentity}
}

// SetAuthorizer replaces the authzid check. The default lets a client act
// only as itself (no authzid, or authzid equal to its username), which is
// what a JDK CallbackHandler that leaves AuthorizeCallback alone amounts to
// once the id matches. Call it before the first Step.
func (s *DigestServer) SetAuthorizer(a Authorizer) { s.authorize = a }

func sameIdentity(authcid, requested string) (string, error) {
	if requested != authcid {
		return "", fmt.Errorf("%w: %s is not authorized to act as %s", ErrAuthFailed, authcid, requested)
	}
	return authcid, nil
}

// Step takes the client's response (empty at first) and returns the next
// challenge. The first call returns the digest-challenge; the second checks
// the digest-response and returns "rspauth=..." with done set. Any error is
// final: the exchange has failed and the connection should be refused.
func (s *DigestServer) Step(response []byte) (challenge []byte, done bool, err error) {
	switch s.state {
	case serverStart:
		// Java ignores an initial response ("subsequent authentication" is
		// not supported) and sends a fresh challenge.
		challenge, err = s.challenge()
		if err != nil {
			s.state = serverFailed
			return nil, false, err
		}
		s.state = serverResponse
		return challenge, false, nil
	case serverResponse:
		challenge, err = s.verify(response)
		if err != nil {
			s.state = serverFailed
			return nil, false, err
		}
		s.state = serverDone
		return challenge, true, nil
	case serverDone:
		return nil, true, fmt.Errorf("%w: exchange already complete", ErrProtocol)
	default:
		return nil, false, fmt.Errorf("%w: exchange already failed", ErrProtocol)
	}
}

// AuthorizationID is the id the client is authorized as; valid once done.
func (s *DigestServer) AuthorizationID() string { return s.authzid }

// AuthenticationID is the username whose password the client proved;
// valid once done.
func (s *DigestServer) AuthenticationID() string { return s.authcid }

// Realm is the realm the exchange used; valid once done.
func (s *DigestServer) Realm() string { return s.realm }

func (s *DigestServer) digestURI() string { return s.protocol + "/" + s.serverName }

// challenge builds Java's first challenge byte for byte (apart from the
// random nonce):
//
//	realm="<serverName>",nonce="<40 base64 chars>",charset=utf-8,algorithm=md5-sess
func (s *DigestServer) challenge() ([]byte, error) {
	if s.serverName == "" {
		return nil, fmt.Errorf("%w: a server name (the default realm) is required", ErrProtocol)
	}
	nonce, err := newNonce()
	if err != nil {
		return nil, err
	}
	s.nonce = nonce
	var out bytes.Buffer
	writeQuotedDirective(&out, "realm", []byte(s.serverName), true)
	writeQuotedDirective(&out, "nonce", nonce, true)
	out.WriteString("charset=utf-8,algorithm=md5-sess")
	return out.Bytes(), nil
}

// verify checks a digest-response in the order Java's
// validateClientResponse does and returns "rspauth=<32 hex>".
func (s *DigestServer) verify(response []byte) ([]byte, error) {
	if len(response) > maxResponseLength {
		return nil, fmt.Errorf("%w: digest-response of %d bytes, limit %d", ErrProtocol, len(response), maxResponseLength)
	}
	d, err := parseDirectives(response, false)
	if err != nil {
		return nil, err
	}
	if cs, ok := d.get("charset"); ok && string(cs) != "utf-8" {
		return nil, fmt.Errorf("%w: incompatible charset %q", ErrProtocol, cs)
	}
	if mb, ok := d.get("maxbuf"); ok {
		if _, err := strconv.ParseInt(string(mb), 10, 32); err != nil {
			return nil, fmt.Errorf("%w: bad maxbuf %q", ErrProtocol, mb)
		}
	}
	userRaw, ok := d.get("username")
	if !ok {
		return nil, fmt.Errorf("%w: missing username", ErrProtocol)
	}
	user := decodeValue(userRaw, true)
	realm := ""
	if r, ok := d.get("realm"); ok {
		realm = decodeValue(r, true)
	}
	if realm != s.serverName {
		return nil, fmt.Errorf("%w: nonexistent realm %q", ErrProtocol, realm)
	}
	nonce, ok := d.get("nonce")
	if !ok {
		return nil, fmt.Errorf("%w: missing nonce", ErrProtocol)
	}
	if subtle.ConstantTimeCompare(nonce, s.nonce) != 1 {
		return nil, fmt.Errorf("%w: mismatched nonce", ErrProtocol)
	}
	cnonce, ok := d.get("cnonce")
	if !ok {
		return nil, fmt.Errorf("%w: missing cnonce", ErrProtocol)
	}
	if nc, ok := d.get("nc"); ok {
		n, err := strconv.ParseUint(string(nc), 16, 32)
		if err != nil || n != nonceCount {
			return nil, fmt.Errorf("%w: nonce count %q is not 1", ErrProtocol, nc)
		}
	}
	qop := "auth"
	if q, ok := d.get("qop"); ok {
		qop = string(q)
	}
	switch qop {
	case "auth":
	case "auth-int", "auth-conf":
		return nil, fmt.Errorf("%w: client asked for qop=%s; zkit offers only qop=auth (no integrity or confidentiality layer)", ErrUnsupportedQOP, qop)
	default:
		return nil, fmt.Errorf("%w: invalid qop %q", ErrProtocol, qop)
	}
	uriRaw, ok := d.get("digest-uri")
	if !ok {
		return nil, fmt.Errorf("%w: missing digest-uri, expecting %s", ErrProtocol, s.digestURI())
	}
	uri := decodeValue(uriRaw, true)
	if !strings.EqualFold(uri, s.digestURI()) {
		return nil, fmt.Errorf("%w: mismatched digest-uri %q, expecting %s", ErrProtocol, uri, s.digestURI())
	}
	clientResponse, ok := d.get("response")
	if !ok {
		return nil, fmt.Errorf("%w: missing response", ErrProtocol)
	}
	authzidRaw, hasAuthzid := d.get("authzid")
	requested := user
	if hasAuthzid {
		requested = decodeValue(authzidRaw, true)
	}

	password, known := s.creds(user)
	if !known {
		return nil, fmt.Errorf("%w: cannot acquire password for %s in realm %s", ErrAuthFailed, user, realm)
	}
	in := digestInput{
		digestURI: uri, user: user, realm: realm, password: password,
		nonce: s.nonce, cnonce: cnonce, utf8: true, qop: qop,
		authMethod: "AUTHENTICATE",
	}
	if hasAuthzid {
		in.authzid = authzidRaw
	}
	expected, err := responseValue(in)
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare(expected, clientResponse) != 1 {
		return nil, fmt.Errorf("%w: mismatched response for %s (wrong password)", ErrAuthFailed, user)
	}
	authorized, err := s.authorize(user, requested)
	if err != nil {
		return nil, err
	}
	in.authMethod = ""
	rspauth, err := responseValue(in)
	if err != nil {
		return nil, err
	}
	s.authcid, s.authzid, s.realm = user, authorized, realm
	return append([]byte("rspauth="), rspauth...), nil
}
