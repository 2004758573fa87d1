// Package config publishes configuration values in ZooKeeper nodes and
// delivers them to subscribers, on the recipes client.
//
// # Data
//
// A value is the data of one persistent node, encoded with the Store's
// Codec: JSON (encoding/json) by default, or any Codec or decode func.
// A subtree of keys is a node and its descendants: <root>/db/url is the
// key "db/url"; nodes without data (directories) are not keys.
//
// # Publishing
//
// Publish(ctx, path, v) writes unconditionally, creating the node and its
// parents. IfVersion(version) makes it a compare-and-set against the
// Version of a Value read earlier; IfAbsent creates only. Either returns
// ErrConflict when someone else published first: read again and retry.
//
// # Watching
//
// Watch(ctx, path) returns a channel that receives the current value and
// then every change; WatchTree(ctx, root) the whole subtree as a Tree.
// Both coalesce: a receiver that falls behind receives the newest value
// next, not every intermediate one. Both end (the channel is closed) when
// ctx ends or the Store is closed; drain or stop receiving as you like,
// the sender never blocks anything else.
//
// What a subscriber can rely on: it never receives a value older than one
// it already received, and once publishing stops, the last value it
// receives is the current one. This holds across connection loss, session
// loss and server restarts, because the underlying recipes.Watcher (or
// recipes.TreeCache) reads the node again after every Reconnected and
// arms the next watch in the same read.
//
// # Connection states
//
// Suspended: watches deliver nothing new (the values held may be stale;
// listen to the client's states to know). Publish waits and retries.
// Reconnected, after Suspended or Lost: the nodes are read again and any
// change made meanwhile is delivered as one value. Nothing in this
// package uses ephemeral nodes, so Lost loses nothing.
//
// # Goroutines
//
// Each Watch and WatchTree runs one goroutine (plus the recipes Watcher or
// TreeCache it uses) until its ctx ends or Close; Close waits for them.
package config
