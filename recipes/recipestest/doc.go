// Package recipestest is test support for the recipe packages (lock,
// election, and later queue, barrier, ...): an in-process zkit server
// behind a fault-injecting TCP proxy, a client factory, and polling helpers
// whose timeouts scale with ZKIT_TEST_TIMEOUT_SCALE.
//
// It is imported only from _test.go files; nothing in a production package
// depends on it.
//
//	env := recipestest.Start(t)               // server + proxy, closed with the test
//	c := env.Connect(t, recipes.WithSessionTimeout(2*time.Second))
//	env.Proxy.SetDown(true)                   // every client behind the proxy is cut off
//	env.ExpireSession(c.Session().ID)         // the server expires a session
//	env.Stop(); env.Restart()                 // the server goes away and comes back
//	recipestest.Eventually(t, 5*time.Second, cond, "what we wait for")
//
// Clients made with Connect dial through the proxy; ObserverConnect dials
// the server directly, for a checker that must not see the faults.
//
// Ensemble tests call RequireEnsemble, which skips with a clear message
// until the testing package has StartEnsemble; switching those tests on is
// then a change to RequireEnsemble only.
//
// The proxy understands only ZooKeeper's framing (a 4-byte big-endian
// length before every packet; the first packet each way is the connect
// request and response): enough to drop the reply to a chosen opcode
// after the server has applied the request.
package recipestest
