// Package tlsconf turns ZooKeeper's X509Util settings into crypto/tls
// configurations, so the same zoo.cfg keys, system properties, key stores
// and trust stores that configure Java ZooKeeper 3.8 configure zkit.
//
// # Settings honoured
//
// Read by FromProperties under a prefix: "zookeeper.ssl." for the client
// port (ClientX509Util) or "zookeeper.ssl.quorum." for the quorum and
// election ports (QuorumX509Util). A zoo.cfg key "ssl.X" is the property
// "zookeeper.ssl.X" (server.Config.Property maps the two).
//
//	key                              default          notes
//	keyStore.location                none             a listener needs one
//	keyStore.password                ""               also the private key's password (JKS, PKCS12, PEM)
//	keyStore.passwordPath            none             file holding the password; wins over password
//	keyStore.type                    from extension   JKS (.jks), PEM (.pem), PKCS12 (.p12); BCFKS refused
//	trustStore.location              system roots     Java: the JVM's cacerts
//	trustStore.password, .passwordPath, .type         as for keyStore
//	protocol                         TLSv1.2
//	enabledProtocols                 protocol alone   as Java: TLSv1.2 only unless configured
//	ciphersuites                     Java 9+ list     Java (IANA) names; a name Go lacks is an error
//	clientAuth                       need             need, want, none
//	hostnameVerification             true             see below
//	allowReverseDnsLookup            quorum: true     client: false
//	handshakeDetectionTimeoutMillis  5000             first-byte wait on a unified port
//	authProvider                     x509             client prefix: scheme for client certificates
//	crl, ocsp                        false            true is refused: zkit cannot check revocation
//	context.supplier.class           none             refused: no Java classes
//
// Certificate reload: with zookeeper.client.certReload=true (client
// prefix) or sslQuorumReloadCertFiles=true (quorum prefix), as Java's
// FileChangeWatcher does, a changed key or trust store file is read again
// for the next handshakes. There is no watcher goroutine: a handshake
// looks at the files' size and modification time at most once per
// ReloadCheckInterval (one second). A file that fails to load keeps the
// previous certificates and logs an error, as Java keeps its context.
//
// # Hostname verification
//
// As ZKTrustManager: a dialer (ClientConfig) verifies the server's
// certificate against the host it dials (tls.Config.ServerName, which the
// caller sets: an IP address must be an IP subject alternative name, a
// name a DNS one; a certificate with neither is matched on its CN). On the
// quorum prefix a listener (ServerConfig) also verifies a client's
// certificate against the address it connects from, then, with
// allowReverseDnsLookup, against that address's names. On the client
// prefix a listener never checks client addresses.
//
// # Stores
//
// PEM: one file holding the certificate chain and a PKCS#8 private key
// (encrypted when a password is set), as PemReader reads it; zkit also
// takes unencrypted PKCS#1 and SEC 1 keys. A PEM trust store is every
// certificate in the file. PKCS12 and JKS: the first private key entry
// (aliases sorted) is the key store's key; a trust store is its trusted
// certificate entries (PKCS#12 ones with Java's trusted-key-usage
// attribute, as keytool writes). A key store whose certificate is expired
// or not yet valid, has no private key, or whose certificate does not
// match its key is refused at load, with the file's name.
//
// # Differences from Java
//
//   - Protocols must form a contiguous range (Go enables a min..max span).
//   - TLS 1.3 suites cannot be picked one by one in Go: ciphersuites must
//     list all three TLS 1.3 suites or none (none turns TLS 1.3 off).
//   - ZooKeeper's default suite list includes two CBC-SHA384 suites Go
//     does not implement; the default here is the list without them.
//   - The dialer verifies against the name it was given; Java, when given
//     a name, also accepts the certificate of the address it resolved to.
//   - zookeeper.fips-mode has no effect.
//
// X509ID gives the id the x509 authentication scheme derives from a
// client certificate: Java's X500Principal.getName() of its subject.
//
// Package tlstest, below this one, makes CAs, certificates and stores at
// run time for tests.
package tlsconf
