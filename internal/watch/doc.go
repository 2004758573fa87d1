// Package watch keeps ZooKeeper watches: which connection (a Watcher) waits
// for which event on which path, and firing them. It follows ZooKeeper's
// server WatchManager; package datatree owns two Managers (data watches and
// child watches) and applies the tree-level rules (which reads register in
// which Manager, setWatches, checkWatches/removeWatches).
//
// # Modes
//
//   - ModeStandard: fires once for an event on exactly its path, then is gone.
//   - ModePersistent: fires for every event on exactly its path until removed.
//   - ModePersistentRecursive: fires for every event on its path and on every
//     descendant, except NodeChildrenChanged, which it never receives.
//
// A watcher may hold several modes on one path (for example a persistent
// watch plus a one-shot watch set by getData). Each fires by its own rules
// and firing consumes only the standard one; one trigger notifies a watcher
// at most once. ZooKeeper 3.8 kept one mode per (watcher, path), so a later
// getData watch silently replaced a persistent watch; that was fixed upstream
// (ZOOKEEPER-4466) and zkit follows the fix.
//
// # Caller duties
//
//  1. Watcher.Notify must not block and must not call back into the Manager:
//     Trigger calls it (outside the Manager's lock, but inside the data
//     tree's write lock).
//  2. A connection that closes marks itself stale (Staler) first, then calls
//     RemoveWatcher, so a racing read cannot re-add a watch afterwards.
//  3. Dumps return data (Summary, BySession, ByPath); the caller formats the
//     wchs/wchc/wchp text. ZooKeeper prints only the data-watch Manager for
//     those words.
//
// # Cost
//
// The Manager counts persistent-recursive watches; while there are none,
// Trigger looks up only the event path and never walks its ancestors.
package watch
