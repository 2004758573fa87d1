// Package statemachine is what both sides of the replication seam share:
// the typed txn (Txn) that a server's request engine preps and hands to
// its write path (standalone's group-commit log, or an ensemble's Zab
// peer), and the committed state (Machine) those txns are applied to once
// committed, with its session bookkeeping, in one place.
//
// A Txn is decoded at most once: the engine builds it typed, with its
// log-entry encoding, at prep; a member that receives it as bytes (a
// learner, a log replay) decodes it once, with Decode, before applying.
//
// A Machine outlives engines: an ensemble member's peer creates it over
// the restored database, lends it to every role's engine (which applies
// through it while it serves) and applies through it itself while no
// engine serves (catching up, syncing). Its committed sessions seed each
// new engine's session tracker and every snapshot. The engine's live
// session tracker (expiry, touches) is the engine's own.
package statemachine
