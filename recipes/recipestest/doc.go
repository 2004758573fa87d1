// Package recipestest is test support for zkit's recipe packages (recipes,
// lock, election, queue, barrier, config, naming, counter) and for any
// other module's tests of code built on them: in-process zkit servers and
// ensembles behind fault-injecting TCP proxies, a client factory, polling
// helpers whose timeouts scale with ZKIT_TEST_TIMEOUT_SCALE, and a goleak
// check for TestMain.
//
// It lives outside internal/ on purpose: like net/http/httptest it is for
// tests of code that uses the recipes, ours and other modules' alike. It
// imports package recipes (Connect returns a *recipes.Client), so the
// recipes package's own tests that need a server are an external test
// package (recipes_test); an internal test file of recipes cannot import
// it without an import cycle.
//
// One server:
//
//	env := recipestest.StartServer(t)         // server + proxy, closed with the test
//	c := env.Connect(t, recipes.WithSessionTimeout(2*time.Second))
//	env.Proxy.SetDown(true)                   // every client behind the proxy is cut off
//	env.ExpireSession(c.Session().ID)         // the server expires a session
//	env.Stop(); env.Restart()                 // the server goes away and comes back
//	recipestest.Eventually(t, 5*time.Second, cond, "what we wait for")
//
// An ensemble, one proxy per member:
//
//	ens := recipestest.StartEnsemble(t, 3)
//	c := ens.ConnectOn(t, ens.Follower())     // knows every member, starts on a follower
//	ens.WaitLeader(d).Stop()                  // the leader fails; the rest elect another
//	ens.ProxyOf(m).SetDown(true)              // cut every client's path to member m only
//	ens.ExpireSession(c.Session().ID)         // expired on the leader, for everyone
//
// Clients made with Connect dial through the proxies; ObserverConnect
// dials the servers directly, for a checker that must not see the faults.
// Tests that must not leak goroutines call Main from TestMain.
//
// The proxy understands only ZooKeeper's framing (a 4-byte big-endian
// length before every packet; the first packet each way is the connect
// request and response): enough to drop the reply to a chosen opcode
// after the server has applied the request.
package recipestest
