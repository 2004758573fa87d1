// Package quorumnet is the network layer of a replicated zkit server: the
// election port (ZooKeeper's QuorumCnxManager) and the quorum (learner)
// port (Learner / LearnerHandler sockets). It owns goroutines and sockets
// and makes no protocol decisions: the election and zab cores decide what
// to send; the peer driver moves bytes through this package.
//
// # Election port (ElectionNet)
//
// Handshake, initiator → acceptor, big-endian, no reply:
//
//	int64 protocol version   -65536 (V1; we always send V1)
//	int64 sid                the initiator's server id
//	int32 addrLen            1..2048
//	addrLen bytes            "host:port" (V2 peers: "h:p|h:p|...")
//
// A first long ≥ 0 is a legacy peer's sid with no address. Then messages,
// in both directions: int32 length (1..512 KiB) + payload. A bad version,
// an address length out of range, an address that is not host:port, a
// frame length out of range or a handshake slower than ConnectTimeout
// closes that connection and nothing else.
//
// Who keeps a connection: only one per pair survives, always the one the
// larger sid initiated. An initiator with the smaller sid sends its
// handshake and closes (so the peer learns to connect back); an acceptor
// that hears from a smaller sid drops any connection it has to that sid
// (the peer would not dial unless it believed it had none), closes the
// new socket and dials back. A connection accepted from a larger sid
// replaces any older one, unless it was accepted before the current one
// (its handshake was merely read later: Java reads handshakes one at a
// time in accept order, so it never sees this). The smaller side skips
// its handshake if the larger side's connection arrived while it was
// dialling, so simultaneous connects settle after at most one extra
// round. Sid Long.MAX_VALUE (an observer without an id) is renamed -1,
// -2, ... per connection, as Java does; addresses from handshakes are remembered for sids that are not in
// Peers, so connecting back to them works. Configured Peers addresses win
// over handshake addresses (Java prefers the handshake's).
//
// Sending: each peer has a queue of one. Send replaces an unsent message
// (only the newest vote matters) and never blocks; with no connection it
// dials in the background. When a connection is established and its queue
// is empty, the last message sent to that peer is sent again (the peer may
// have lost it with the old connection): receivers must accept
// duplicates. ConnectAll dials every peer ever sent to or heard from.
// Receiving: one channel of RecvCapacity messages; when the consumer falls
// behind the oldest is dropped (FastLeaderElection resends). A message to
// MyID is looped back to Recv.
//
// # Quorum port (LearnerListener, DialLeader, PeerConn)
//
// Both directions carry jute QuorumPacket records back to back, with no
// length prefix:
//
//	int32 type | int64 zxid | buffer data (int32 len, -1 = null) |
//	vector<Id> authinfo (int32 count, -1 = null; Id = ustring scheme, ustring id)
//
// After a SNAP packet the leader streams the snapshot body (see package
// snapshot: sessions, ACL cache, nodes, "/" — no FileHeader, seal or
// digest, as ZKDatabase.serializeSnapshot in 3.8) and then the jute
// string "BenWasHere". SendSnapshot/RecvSnapshot do that part.
//
// Caller duties:
//
//  1. One goroutine calls Recv/RecvSnapshot at a time. Any receive error
//     (timeout, bad length, EOF, bad signature) leaves the stream
//     unusable: Close the PeerConn.
//  2. Set the read timeout as Java does: initLimit × tickTime while
//     connecting and syncing, syncLimit × tickTime after NEWLEADER. It
//     applies to each blocking socket read, like SO_TIMEOUT.
//  3. Send never waits for the network; packets queued together are
//     written in one batch. There is no write timeout (Java has none):
//     the leader's ping check closes a stuck learner. A write error
//     closes the socket, so the next Send and the reader's Recv report
//     it. Flush waits until everything sent so far is written (order
//     needs no Flush: every Send, SNAP stream included, is written in
//     queue order); FlushWithin bounds the wait, for a role's last
//     packets before Close, which drops what is still queued.
//  4. SendSnapshot walks the tree on the writer goroutine while the caller
//     waits: keep the tree unchanged until it returns. Send the SNAP packet
//     first.
//  5. DialLeader (DialLeaderSecure) tries once, TLS handshake and SASL
//     included; retrying (Java: 5 attempts a second apart within
//     initLimit) is the driver's.
//  6. Received lengths above the max buffer (DefaultMaxBuffer:
//     jute.maxbuffer + its extra allowance, as Java checks) fail with
//     ErrPacketSize before any allocation.
//
// # Security (Security: TLS and quorum SASL)
//
// A nil Security is plaintext without authentication. Otherwise, on both
// ports and in both directions:
//
//   - sslQuorum (Security.SSLQuorum): we dial TLS (WrapDial: connect, then
//     the client handshake within the dial timeout) and accept only TLS.
//     The TLSSource (tlsconf.Settings under "zookeeper.ssl.quorum.", read
//     once by StaticTLS) carries every ssl.quorum.* choice: key and trust
//     stores (PKCS12, JKS, PEM), protocol, enabledProtocols,
//     ciphersuites, clientAuth (default need: mutual authentication as
//     QuorumX509Util), and hostnameVerification (default true), which on
//     the quorum checks both ends as ZKTrustManager does (IP SANs for an
//     address, DNS SANs for a name, the CN when there are no SANs): the
//     server's certificate against the address connected to, then the
//     host of its server line, then the names a reverse lookup of the
//     address gives; a connecting peer's certificate against its address,
//     then its reverse names (allowReverseDnsLookup is on for the quorum).
//   - portUnification (Security.PortUnification): accepted connections
//     are sniffed (UnifiedServerSocket): a first byte 0x16 (a TLS
//     handshake record) makes a TLS server, anything else stays plaintext
//     (an election handshake starts 0xff or 0x00, a QuorumPacket 0x00, a
//     QuorumAuthPacket 0x5f). What we dial still follows sslQuorum, so the
//     rolling switch is Java's: portUnification everywhere, then sslQuorum
//     member by member, then portUnification off.
//   - sslQuorumReloadCertFiles: the stores are re-read when their files
//     change (tlsconf checks size and mtime at most once a second, at a
//     handshake); connections already open keep their certificates.
//   - Quorum SASL (Security.Auth, quorum.auth.enableSasl): DIGEST-MD5 or
//     Kerberos (GSSAPI) in QuorumAuthPackets, see package quorumauth. The
//     learner's mechanism is made for the host of the address it dials
//     (Auth.NewLearner), for Kerberos' _HOST. On the election port the
//     initiator authenticates after sending its handshake and before the
//     "larger sid keeps the connection" rule, the acceptor checks it after
//     reading the handshake (QuorumCnxManager.startConnection and
//     handleConnection); on the quorum port the learner authenticates
//     right after connecting (Learner.connectToLeader) and the leader
//     checks before the first QuorumPacket (LearnerHandler). The
//     learner side runs only with learnerRequireSasl; the server side
//     lets an unauthenticated peer through unless serverRequireSasl, as
//     in Java, so the rolling upgrade (enableSasl, then
//     learnerRequireSasl, then serverRequireSasl) works in mixed
//     ensembles.
//
// No handshake runs in an accept loop: the election acceptor reads each
// connection's TLS handshake, sniffing, protocol handshake and SASL
// exchange on that connection's goroutine within ConnectTimeout; the
// learner listener (ListenLearnersSecure) completes TLS and SASL on a
// goroutine per connection within initLimit × tickTime and hands out
// only finished connections from Accept; Close joins them.
//
// Differences from Java 3.8:
//
//   - Java's leader authenticates learners on its accept thread, and its
//     election listener reads handshakes one at a time unless SASL is on
//     (quorum.cnxn.threads.size bounds the pool): here every connection
//     has its own goroutine and quorum.cnxn.threads.size is not used.
//   - Port unification decides on the first byte, bounded by the
//     connection's handshake timeout (ConnectTimeout, initLimit ×
//     tickTime); Java's Netty check reads 5 bytes within
//     ssl.quorum.handshakeDetectionTimeoutMillis (5 s by default).
//   - portUnification=true with stores that do not load stops the server
//     (Java starts and fails each TLS peer); sslQuorum=true with them
//     stops both.
//   - Java's election initiator authenticates only to a sid in its
//     current view; here always, when learnerRequireSasl is set.
//   - The host a learner's Kerberos service principal gets for _HOST is
//     that of the address dialled (the server.N host, or for a peer known
//     only from its election handshake, the address it advertised); Java
//     uses the server.N host and authenticates only to peers in its view.
//   - See package quorumauth for the exchange's own differences.
//
// Every goroutine belongs to the ElectionNet, PeerConn or LearnerListener
// that started it; Close stops and joins them all.
package quorumnet
