// Package javatest is the one place tests launch Java: Java ZooKeeper 3.8
// as an oracle (a standalone server, an ensemble member, zkCli) and small
// javac-compiled drivers that call the JDK or ZooKeeper's classes. It
// knows the classpath (Debian's zookeeper.jar, an slf4j binding, and the
// Netty jars Debian's manifest leaves out), the JVM flags for a quick
// start on a small machine, how to write a zoo.cfg and myid, how to wait
// for a server and kill it, and the skip message when Java is absent.
//
// Package clienttest builds its Java servers, members, ensembles and
// joiners on it; lower packages (zpath, datatree, acl, sasl, ...) use it
// directly, as it imports nothing of zkit's that could make a cycle.
//
// Timeouts scale with the environment variable ZKIT_TEST_TIMEOUT_SCALE.
package javatest
