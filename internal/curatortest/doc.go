// Package curatortest runs Apache Curator 5.4 (Debian's jars) beside zkit's
// recipes, so tests can check that a Java process and a Go process share a
// lock, an election, a counter, a queue or a service registry.
//
// The Java side is a small driver (testdata/zkit/interop/Driver.java),
// compiled with javac once per test binary into a temporary directory and
// run as one JVM per test. Go sends it one command per line and reads one
// reply per command; the driver runs commands on different objects
// concurrently, so a Go test can leave a Curator acquire blocked while it
// acts on the Go side:
//
//	d := curatortest.Start(t, srv.ConnectString())    // skips if Curator or javac is absent
//	sid := d.Client(t, "c1", 2*time.Second)            // a CuratorFramework; its session id
//	d.ClientIn(t, "c2", ns, 10*time.Second)            // one in Curator namespace ns
//	d.Do(t, "mutex", "m", "c1", "/locks/a")            // new InterProcessMutex
//	got := d.Go("acquire", "m", 30000)                 // blocks in Java
//	... release the Go lock ...
//	require.Equal(t, "true", got.Wait(t))
//	d.WaitEvent(t, "sel", "leading")                   // asynchronous "! sel leading" lines
//
// # Protocol
//
//	to Java:    <id> <verb> <object> <args...>        one line, space-separated
//	from Java:  ready                                  once, when listening
//	            <id> ok <result>                       the command succeeded
//	            <id> err <exception class: message>    it threw
//	            ! <object> <text>                      an event (listener calls)
//
// Commands whose objects share an owner (the object name up to the first
// '.') run in order on one Java thread, because Curator's
// InterProcessMutex belongs to the thread that acquired it: "rw.r" and
// "rw.w" (the two sides of one InterProcessReadWriteLock) share a thread.
// The verbs are listed in Driver.java's run method.
//
// # Requirements
//
// java and javac (Java 11 or later) on PATH, and under /usr/share/java the
// jars of Debian's libcurator-framework-java, libcurator-recipes-java,
// libcurator-client-java, libcurator-discovery-java and their dependencies
// (libzookeeper-java, libguava-java, libjackson2-databind-java,
// libslf4j-java). Start skips the test with a message naming what is
// missing. The JVM's logging goes to the test log when the test fails.
//
// Tests that use this package call Main from TestMain, which removes the
// compiled driver and checks for leaked goroutines; Start fails the test
// otherwise. The interop tests live next to what they test (node, group,
// lock and election have their own) or here for the larger recipes; this
// is the only place that launches Curator.
package curatortest
