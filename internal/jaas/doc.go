// Package jaas reads JAAS login configuration files as Java's
// sun.security.provider.ConfigFile does, for ZooKeeper's SASL settings.
//
// # File format
//
//	// comment          /* comment */        (a lone '/' also comments out its line)
//	Server {
//	    org.apache.zookeeper.server.auth.DigestLoginModule required
//	        user_super="adminsecret"
//	        user_bob="bobsecret";
//	};
//	Client {
//	    org.apache.zookeeper.server.auth.DigestLoginModule required
//	        username="bob"
//	        password="bobsecret";
//	};
//
// A file is sections, "Name { entries };". An entry is "class flag
// key=value ... ;" with flag one of required, requisite, sufficient,
// optional (any case). Names, classes and values are words (letters,
// digits, '.', '-', '$', '_', '*', characters from U+00A0) or strings in
// double quotes with backslash escapes (\n \t ..., octal, \x is x); Java
// refuses single quotes there too. A bare value starting with a digit, '.' or '-' is a number to Java's
// tokenizer and is refused: quote it. "${name}" in a value is expanded
// from the given Expander (Java: system properties), "${/}" is the path
// separator. Section names are case-sensitive; a section defined twice is
// an error, as in Java; a repeated option keeps its last value. zkit also
// refuses a string not closed on its line (Java ends it there silently).
// Every error names the file and line.
//
// # ZooKeeper's use
//
// The file comes from the system property java.security.auth.login.config
// (a leading '=' from "-D...==file" and a file: URL are accepted). The
// sections, and the settings that rename them:
//
//	Server         zookeeper.sasl.serverconfig             client-port SASL, server side
//	Client         zookeeper.sasl.clientconfig             client side
//	QuorumServer   quorum.auth.server.saslLoginContext     quorum SASL, server side
//	QuorumLearner  quorum.auth.learner.saslLoginContext    quorum SASL, learner side
//
// org.apache.zookeeper.server.auth.DigestLoginModule (DIGEST-MD5) is
// supported everywhere: server sections give users as
// user_<name>="<password>" options (ServerCredentials); client and learner
// sections give username="..." password="..." (ClientCredentials).
// com.sun.security.auth.module.Krb5LoginModule (GSSAPI) is supported in
// the server's client-port section, the QuorumServer and QuorumLearner
// sections and zkit cli's Client section, with useKeyTab=true,
// keyTab="..." and principal="..." (Krb5Login); a ticket cache, a missing
// keytab or principal, principal="*" and two Kerberos logins in one
// section are ErrUnsupported. Any other module is ErrUnsupported: the
// server refuses to start instead of serving without the protection asked
// for. (DigestSection, used by ServerCredentials and ClientCredentials,
// accepts DigestLoginModule entries only: callers look for a Kerberos
// login first.)
//
// # Settings zkit honours for SASL
//
// Server side, read through server.Config.Property (zoo.cfg key K or the
// system property zookeeper.K, also from SERVER_JVMFLAGS -D options):
//
//	java.security.auth.login.config          the JAAS file (system property only)
//	zookeeper.sasl.serverconfig              client-port section (default Server)
//	authProvider.N = org.apache.zookeeper.server.auth.SASLAuthenticationProvider
//	                                         makes the sasl ACL scheme exist
//	zookeeper.SASLAuthenticationProvider.superPassword
//	                                         the password of user "super"
//	zookeeper.superUser, zookeeper.superUser.*
//	                                         sasl ids that also get super:""
//	zookeeper.letAnySaslUserDoX              an ACL id every sasl login matches
//	zookeeper.kerberos.removeHostFromPrincipal, removeRealmFromPrincipal
//	                                         shape the authorized id
//	zookeeper.allowSaslFailedClients         a failed login keeps its connection
//	enforce.auth.enabled, enforce.auth.schemes, sessionRequireClientSASLAuth
//	                                         refuse requests before authentication
//	quorum.auth.enableSasl, learnerRequireSasl, serverRequireSasl
//	                                         quorum SASL (sections QuorumServer, QuorumLearner)
//	quorum.auth.kerberos.servicePrincipal    the principal a Kerberos learner asks for
//	                                         (default zkquorum/localhost; service/_HOST
//	                                         takes the server.N host)
//	java.security.krb5.conf                  Kerberos configuration for the quorum
//	                                         learner (default /etc/krb5.conf)
//
// The server refuses to start when the JAAS file cannot be read or parsed,
// when its Server section uses a login module other than
// DigestLoginModule, when the section is missing while client SASL is asked
// for (SASLAuthenticationProvider, zookeeper.sasl.serverconfig or SASL
// enforcement), when enforce.auth.enabled has no schemes, or when an
// enforced scheme has no provider. A JAAS file without the Server section
// and no client SASL setting starts without SASL logins, as Java does
// (files with only quorum sections are common).
//
// Client side (zkit cli), from zkCli.sh's $CLIENT_JVMFLAGS $JVMFLAGS -D
// options and the -client-configuration file (which overrides them):
//
//	java.security.auth.login.config          the JAAS file (-D only)
//	zookeeper.sasl.clientconfig              the section (default Client)
//	zookeeper.sasl.client                    false turns SASL off (default true)
//	java.security.krb5.conf                  Kerberos configuration (default /etc/krb5.conf)
//	zookeeper.sasl.client.username           service name (default zookeeper)
//	zookeeper.sasl.client.canonicalize.hostname
//	                                         reverse-resolve the server's host (default true)
//	zookeeper.server.principal               the service principal, overriding both
//
// With Kerberos the service principal is <username>/<host> in the client's
// realm (zookeeper.server.realm is read but a different realm is not
// supported).
//
// A JAAS file set without a usable section is reported as Java's client
// does (an AuthFailed event) and the client goes on without SASL.
package jaas
