// Package acl authenticates connections and checks znode ACLs as
// ZooKeeper 3.8 does (server/auth/*, ZooKeeperServer.checkACL,
// PrepRequestProcessor.fixupACL, the getACL and whoAmI handling in
// FinalRequestProcessor).
//
// # Ids and schemes
//
// An ACL entry is perms plus an id, scheme:id. The schemes:
//
//	world   world:anyone matches everyone (no other world id is valid)
//	auth    only in requests: "every creator id of this session"
//	digest  digest:user:base64(SHA1("user:password"))
//	ip      ip:a.b.c.d or ip:a.b.c.d/bits (IPv4 only in 3.8; Config.IPv6
//	        adds ZooKeeper 3.9's IPv6 forms)
//	super   never in an ACL; a session holding super:"" passes every check
//	x509    x509:<subject, RFC 2253 as Java's X500Principal.getName()>,
//	        when Config.X509 enables it (a TLS client port, or
//	        authProvider.N naming X509AuthenticationProvider): the server
//	        adds X509IDs for a verified client certificate; the
//	        superUser's certificate also gets super:<subject>
//
// A session gets super:"" when it logs in with the digest scheme and its
// digest id equals the configured superDigest; it gets the digest id too.
// Other schemes Java loads from zookeeper.authProvider.* classes are not
// available: logins with them fail with AUTHFAILED and ACLs naming them
// are INVALIDACL, as in a Java server without those classes.
//
// # Caller duties
//
//  1. On accept, make the connection's AuthInfo holding ConnectionID(remote).
//  2. On an auth packet, AddAuth; on error answer AUTHFAILED and close.
//  3. Give each request AuthInfo.IDs() (an immutable snapshot).
//  4. Create and setACL: FixupACL the request's ACL first (INVALIDACL), then
//     Check the parent (CREATE) or the node (ADMIN).
//  5. Other operations: Check with the perm Java uses (read ops READ, setData
//     WRITE, delete DELETE on the parent, getACL GetACLPerm, then
//     ReadableACL for the answer).
//  6. whoAmI: ClientInfos(ids).
//
// # Order of ids
//
// Java holds a connection's ids in a hash set and iterates it in hash
// order, and that order shows in whoAmI answers and in ACLs expanded from
// "auth". AuthInfo reproduces it (see its doc), so zkit answers byte for
// byte as Java does.
//
// # Strings
//
// Java judges ids as UTF-16 strings decoded from the client's UTF-8; digest
// logins decode the auth bytes with the JVM default charset, assumed UTF-8.
// Invalid bytes become U+FFFD as in the JDK. Numbers in ip expressions are
// read by Integer.parseInt, so "+10.0.0.1", "010.0.0.1" and non-ASCII
// decimal digits are accepted there as in Java.
package acl
