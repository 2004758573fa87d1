// Package server is zkit's embeddable ZooKeeper server.
//
//	cfg, err := server.ParseConfig("zoo.cfg") // or server.DefaultConfig(), or by hand
//	s, err := server.New(cfg)                 // validates; starts nothing
//	err = s.Start()                           // binds and starts serving
//	<-s.Ready()                               // serving
//	defer s.Close()                           // idempotent; waits for every goroutine
//
// The server speaks ZooKeeper's client protocol, so go-zookeeper/zk, the
// Java zkCli.sh, the C client and kazoo use it unchanged. zoo.cfg keys keep
// ZooKeeper's names and meanings; see Config. Keys for ensemble
// operations: enforceQuota (also zookeeper.enforceQuota) turns hard quota
// limits on; localSessionsEnabled and localSessionsUpgradingEnabled as in
// ZooKeeper; readonlymode.enabled (also zookeeper.readonlymode.enabled)
// turns read-only mode on. ZooKeeper reads read-only mode only from the
// JVM system property -Dreadonlymode.enabled=true; zkit takes that and the
// zoo.cfg key. reconfigEnabled (default
// false) allows dynamic reconfiguration; dynamicConfigFile names a file
// of server.N lines that replace zoo.cfg's, its version the hex suffix of
// its name. As in ZooKeeper, a member with reconfig enabled started from a
// zoo.cfg keeps a copy as zoo.cfg.bak, writes each activated configuration
// as zoo.cfg.dynamic.<version hex> (the first one, with the first leader's
// epoch as version) and rewrites zoo.cfg to point at it, dropping the
// server lines (and clientPort when its server line names the client
// address), so a restart comes back with the current membership. A
// reconfig logged but not yet committed is kept in zoo.cfg.dynamic.next,
// as there. standaloneEnabled=false runs a configuration of one server as
// a one-voter ensemble that reconfig can grow (and shrink back to one
// voter), the way ZooKeeper's documentation starts a dynamic ensemble.
//
// # Where settings come from
//
// As in ZooKeeper, settings come from zoo.cfg and from Java system
// properties: `zkit server` reads the -Dkey=value options of the
// SERVER_JVMFLAGS and JVMFLAGS environment variables (what zkServer.sh
// passes to the JVM, set in conf/java.env; JVMFlagsFromEnv) with
// Config.ApplyJVMFlags (ParseJVMFlags, then
// ApplySystemProperties, which documents the precedence: a zoo.cfg key K
// that QuorumPeerConfig does not know is the system property zookeeper.K
// and overrides a -D of that name). Config.Property reads a setting by
// either name.
//
// # Checking a configuration
//
// Config.Check compares every key with the zoo.cfg keys and zookeeper.*
// system properties Java ZooKeeper 3.8 reads: unknown keys come back as
// warnings naming the closest known key (New logs them at start), and an
// unknown key in a security namespace (ssl., ssl.quorum., quorum.auth.,
// authProvider., sasl..., secureClient..., with or without zookeeper.) is
// an error (ErrUnknownSecuritySetting), so a typo never leaves a server
// serving with less protection than configured. Validate runs every
// check New runs without opening storage or binding (`zkit server
// -check`).
//
// No clientPort means no client listener, as in ZooKeeper; see
// Config.ClientPort for how an embedder asks for an ephemeral port.
//
// TLS on the client port (tls.go): secureClientPort and
// secureClientPortAddress add a TLS listener beside the plaintext
// clientPort (without clientPort only the TLS one listens);
// client.portUnification=true makes clientPort take TLS too (the first
// byte tells). The ssl.* keys (also as zookeeper.ssl.* properties) name
// the key and trust stores and the TLS options as Java's X509Util reads
// them; package internal/tlsconf lists them and the differences.
// zookeeper.client.certReload=true re-reads changed store files.
// serverCnxnFactory may name NIOServerCnxnFactory or
// NettyServerCnxnFactory; TLS is served with either (Java needs Netty).
// A TLS port registers the x509 scheme, as Java does: a client
// certificate (ssl.clientAuth need, the default, or want) authenticates
// as x509:<its RFC 2253 subject>, and
// X509AuthenticationProvider.superUser names a subject that is also
// super. Every handshake runs off the accept loop under a 10 s deadline.
// A TLS setting that cannot be honoured (a store that is missing, of the
// wrong password or type, expired or without a key; crl or ocsp; a cipher
// suite Go lacks; another ssl.authProvider) fails New with the key or
// file named; zkit never falls back to plaintext.
//
// Quorum security (quorumsec.go, internal/quorumnet): sslQuorum,
// portUnification, sslQuorumReloadCertFiles and the ssl.quorum.* stores
// make the election and quorum ports TLS with mutual authentication and
// Java's quorum hostname checks; quorum.auth.enableSasl,
// learnerRequireSasl and serverRequireSasl run DIGEST-MD5 with the JAAS
// QuorumServer and QuorumLearner sections (renamed by
// quorum.auth.server.saslLoginContext / learner.saslLoginContext; the
// file from java.security.auth.login.config). Settings Java refuses, or
// that zkit cannot honour (Kerberos sections, stores that do not load),
// fail New with the key or file named.
//
// Durability: as ZooKeeper, the server logs every transaction to
// dataLogDir/version-2/log.<zxid> (fsync'd unless forceSync=no) before it
// answers, and writes fuzzy snapshots to dataDir/version-2/snapshot.<zxid>
// every snapCount transactions; both are ZooKeeper 3.8's file formats, so
// Java ZooKeeper can read zkit's data directory and the other way round.
// autopurge.* keeps the directory bounded.
//
// Operations: the AdminServer (admin.* keys, on by default for a zoo.cfg),
// the Prometheus endpoint (metricsProvider.* keys), the four-letter words
// and the logs are described in docs/operations.md. Validate checks a
// configuration without starting anything (zkit server -check).
package server
