// Package quorumauth is ZooKeeper's quorum SASL handshake (QuorumAuth,
// SaslQuorumAuthServer, SaslQuorumAuthLearner in 3.8) as two small state
// machines with no goroutines, clocks or I/O. The network driver
// (internal/quorumnet) reads and writes the packets and applies the
// outcome; the SASL mechanism (from internal/sasl: DIGEST-MD5 with
// protocol "zookeeper-quorum" and server name "zk-quorum-sasl-md5", or
// GSSAPI, Kerberos V5) is plugged in through the ServerMechanism and
// LearnerMechanism interfaces.
//
// # Where it runs
//
// On the election port, after the initiator's handshake (protocol
// version, sid, address: see internal/quorumnet) and before the "larger
// sid keeps the connection" rule: the initiator is the Learner, the
// acceptor the Server, whichever sid wins. On the quorum (learner) port,
// right after connect (and TLS): the follower or observer is the Learner,
// the leader the Server. Either way the learner speaks first.
//
// # Packet (jute QuorumAuthPacket), big-endian, no length prefix
//
//	int64 magic    0x5f2435013501edcc (Java: -0xa0dbcafecafe1234L); every packet
//	int32 status   0 IN_PROGRESS, 1 SUCCESS, -1 ERROR
//	int32 len      token length, -1 = null
//	len bytes      SASL token
//
// Java's comment calls the magic negative, but -0xa0dbcafecafe1234L
// negates a long literal that is already negative, so it is positive. It
// still tells an auth packet (Server.Begin) from an election handshake
// (version -65536, or a legacy peer's small sid) and from a QuorumPacket
// (a small int32 type first).
//
// # Exchange (DIGEST-MD5)
//
//	learner                                     server
//	IN_PROGRESS, token ""        ──►   (no magic: see Begin)
//	                             ◄──   IN_PROGRESS, digest-challenge
//	IN_PROGRESS, digest-response ──►
//	                             ◄──   SUCCESS, rspauth     (or ERROR, "")
//	check rspauth: done
//
// # Exchange (GSSAPI, RFC 4752 over Kerberos V5)
//
// The learner speaks first (InitialResponder) and its mechanism is
// complete once it has sent its layer choice; it then reads the server's
// last packet for its status only (a Java server's SUCCESS carries a null
// token there).
//
//	learner                                     server
//	IN_PROGRESS, AP-REQ          ──►   verify with the QuorumServer keytab
//	                             ◄──   IN_PROGRESS, AP-REP  (mutual auth)
//	IN_PROGRESS, ""              ──►
//	                             ◄──   IN_PROGRESS, wrap(no layer, max buffer)
//	IN_PROGRESS, wrap(choice, authzid) ──►  authorize (HostAuthorizer)
//	                             ◄──   SUCCESS          (or ERROR, "")
//
// Names (SecurityUtils, SaslQuorumServerCallbackHandler):
//
//   - The learner asks for quorum.auth.kerberos.servicePrincipal (default
//     DefaultServicePrincipal); exactly "service/_HOST" becomes
//     "service/<host>" with the server's host from its server.N line, in
//     lower case (ServicePrincipal). Anything else, "service/_HOST@REALM"
//     included, is used as written.
//   - The server authorizes only an authzid equal to the authenticated
//     principal that splits on '/' and '@' into exactly three parts
//     (service, host, realm; trailing empty parts dropped, as Java's
//     split does) whose host is one of the ensemble's server.N hosts, as
//     written, case and all (HostAuthorizer; Java's authzHosts). DIGEST-MD5
//     has no host rule.
//
// # Rules, as Java 3.8 has them
//
//   - quorum.auth.learnerRequireSasl=false: the learner does not
//     authenticate at all (no Learner is made; SaslQuorumAuthLearner skips).
//   - The server peeks at the first 8 bytes. Without the magic it lets the
//     connection through unauthenticated when quorum.auth.serverRequireSasl
//     is false, and rejects it when true.
//   - A failed exchange (bad password, bad token, broken packet) makes the
//     server send ERROR with an empty token; with serverRequireSasl=false
//     it still keeps the connection (Java logs "Maintaining learner
//     connection despite SASL authentication failure"): the learner, which
//     sees ERROR, gives up on its side.
//   - The learner fails on ERROR, on an unknown status, on SUCCESS while
//     its mechanism still has something to say, and on a null token.
//   - The server allows MaxRounds IN_PROGRESS challenges.
//
// # Differences from Java
//
//   - A learner reply without the magic is an error here (Java does not
//     check the magic of the server's replies).
//   - When the server runs out of rounds Java sends ERROR and then keeps
//     the connection as if it had succeeded; here that is a failure like
//     any other (DIGEST-MD5 needs two rounds, so this never happens
//     between well-behaved peers).
//
// # Caller duties
//
//  1. Server: peek at the first 8 bytes and call Begin(StartsWithMagic(b)).
//     While the outcome is Continue, read a packet with ReadPacket, call
//     Step and write the reply it returns (if any). On an I/O or decode
//     error call Fail and try to write its reply.
//  2. Learner: write Start's packet (an error there, e.g. no Kerberos
//     ticket, ends the exchange), then read a packet and call Step
//     until the outcome is not Continue, writing each reply.
//  3. Authenticated and Unauthenticated let the connection go on (the
//     protocol proper starts with the next byte); Rejected closes it.
//  4. Bound the whole exchange with a deadline (Java: the socket timeout).
package quorumauth
