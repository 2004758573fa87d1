// Package sasl implements the SASL DIGEST-MD5 mechanism (RFC 2831) as
// ZooKeeper uses it, interoperable with the JDK's
// com.sun.security.sasl.digest server and client.
//
// ZooKeeper runs DIGEST-MD5 with fixed names:
//
//	client port  protocol "zookeeper"         server name "zk-sasl-md5"
//	quorum       protocol "zookeeper-quorum"  server name "zk-quorum-sasl-md5"
//
// The server name is also the realm (the JDK's default when no realm
// property is set) and the digest-uri is protocol "/" server name.
//
// # Exchange
//
// A DigestServer and a DigestClient are driven by Step, each call taking
// the peer's last message and returning the next one to send:
//
//	client Step(nil)        -> ""                    (no initial response)
//	server Step("")         -> digest-challenge
//	client Step(challenge)  -> digest-response
//	server Step(response)   -> "rspauth=<32 hex>", done
//	client Step(rspauth)    -> nil, done             (server proved the password)
//
// Any error ends the exchange; it wraps ErrProtocol, ErrAuthFailed or
// ErrUnsupportedQOP.
//
// # Byte formats
//
// All messages are comma-separated directive lists, name=value with value
// a token or a quoted-string ('\' escapes the next byte). Linear white
// space (CR, LF, SP, HT) around names and commas is skipped; names match
// case-insensitively; a repeated directive is a violation except realm in
// a challenge. The server's challenge, as the JDK writes it:
//
//	realm="zk-sasl-md5",nonce="<40 base64 chars>",charset=utf-8,algorithm=md5-sess
//
// No qop directive means qop=auth. The nonce is base64 of 30 bytes from
// crypto/rand. The client's response, in the JDK's order:
//
//	charset=utf-8,username="bob",realm="zk-sasl-md5",nonce="<server nonce>",
//	nc=00000001,cnonce="<40 base64 chars>",digest-uri="zookeeper/zk-sasl-md5",
//	maxbuf=65536,response=<32 hex>,qop=auth,authzid="bob"
//
// (one line on the wire). The server answers "rspauth=<32 hex>". With
// algorithm=md5-sess and qop=auth:
//
//	A1 = MD5(user ":" realm ":" password) ":" nonce ":" cnonce [":" authzid]
//	A2 = "AUTHENTICATE:" digest-uri        (response)
//	A2 = ":" digest-uri                    (rspauth)
//	value = hex(MD5(hex(MD5(A1)) ":" nonce ":00000001:" cnonce ":auth:" hex(MD5(A2))))
//
// user, realm and password are hashed in ISO-8859-1 when every character
// fits, in UTF-8 otherwise (RFC 2831 2.1.2.1, as the JDK does).
//
// # What is checked
//
// The server checks, in the JDK's order: size (4096 bytes), charset,
// username, realm (must be the server name; absent means ""), nonce, cnonce,
// nc (must be 1 when present), qop, digest-uri (case-insensitive), response
// (the password, compared in constant time), then the Authorizer. Only
// qop=auth is offered: a client asking for auth-int or auth-conf is refused
// with ErrUnsupportedQOP, and the client refuses a server that offers
// neither auth nor a qop list containing it. The default Authorizer lets a
// client act only as itself; ZooKeeper's server callback authorizes any
// authzid and derives the id from the username, which callers get with
// SetAuthorizer. The client checks the challenge's size (2048 bytes),
// charset, algorithm (md5-sess), nonce, and finally the server's rspauth.
package sasl
