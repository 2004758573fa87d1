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
// Only org.apache.zookeeper.server.auth.DigestLoginModule (DIGEST-MD5) is
// supported. Server sections give users as user_<name>="<password>"
// options (ServerCredentials); client and learner sections give
// username="..." password="..." (ClientCredentials). A section using
// Krb5LoginModule or any other module is ErrUnsupported, so a server
// configured for Kerberos refuses to start instead of serving without it.
package jaas
