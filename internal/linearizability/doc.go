// Package linearizability records the operations concurrent clients make
// on a ZooKeeper ensemble and checks the history with porcupine
// (github.com/anishathalye/porcupine) against a sequential model of
// znodes.
//
// # What is checked
//
// ZooKeeper's guarantee is that writes are linearizable and that a read
// is linearizable when the same session issued sync just before it
// (otherwise a follower may answer from a stale but consistent prefix).
// The model therefore has three operations on a key (a znode path):
//
//	Create(key, value)   ok | exists            create, no flags
//	Set(key, value)      ok | nonode            setData, version -1
//	Read(key)            (exists, value)        sync(key) then getData;
//	                                            the interval spans both
//
// Values must be unique per write so a read names the write it saw.
// Plain reads (no sync) are not recorded: the model would wrongly call
// their staleness a violation.
//
// # Caller duties
//
// For every operation: Call before sending it, then exactly one of Ok
// (a definite answer: ok, exists, nonode, or a read's result), Unknown
// (the outcome is not known: connection loss, timeout; the write may take
// effect at any time after Call, or never) or Forget (a read that failed:
// reads change nothing, so they are dropped). Call and the completions are
// safe for concurrent use. A client (ClientID) must not have two
// operations pending at once, or the visualization misdraws it (the check
// is still correct).
//
// Check partitions the history by key, so keys are independent and a
// large history stays cheap; an Unknown write is pending until the end of
// the history, which lets porcupine place it anywhere after its call
// (placing it at the end is the same as never).
//
// On Illegal, Visualize writes porcupine's HTML explorer of the longest
// linearizable prefixes, for a person to look at.
package linearizability
