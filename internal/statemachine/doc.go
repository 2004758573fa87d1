// Package statemachine is what crosses the replication seam between a
// server's request engine and its write path (standalone's group-commit
// log, or an ensemble's Zab peer): the typed txn.
package statemachine
