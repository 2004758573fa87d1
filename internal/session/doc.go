// Package session tracks client sessions the way ZooKeeper 3.8's
// SessionTrackerImpl and ExpiryQueue do: ids, passwords, timeout
// negotiation, and expiry in tick-sized buckets.
//
// # Ids and passwords
//
// A tracker's first session id is InitialID(serverID, ms):
//
//	bit 63            56 55                          16 15        0
//	    +---------------+------------------------------+-----------+
//	    |   serverID    |  low 40 bits of ms           |  0 ... 0  |
//	    +---------------+------------------------------+-----------+
//
// (Java: ((ms << 24) >>> 8) | (serverID << 56)), and every new session takes
// the next integer. Standalone servers use serverID 1; a quorum leader uses
// its myid. The value Long.MIN_VALUE, which marks container nodes in
// ephemeralOwner, is skipped.
//
// A session's password is not stored anywhere: every server recomputes it
// as sixteen bytes of java.util.Random seeded with id ^ 0xB3415C00
// (GeneratePasswd). Because Java's Random keeps only 48 bits of its seed,
// ids that differ only in their top 16 bits share a password, as in Java.
//
// # Expiry
//
// Time is the caller's: every method that needs "now" takes it as an
// argument, in milliseconds on a monotonic timeline the caller chooses. A
// touched session is placed in the bucket
//
//	expireAt = ((now + timeout) / tickTime + 1) * tickTime
//
// and the owner goroutine (in the server, not here) sleeps until
// NextExpiry, then calls Expired(now), which hands back each session whose
// bucket time has passed exactly once and marks it closing. The owner then
// closes those sessions (a closeSession txn) and finally calls Remove.
//
// # Caller duties
//
//  1. Build a Tracker with New; pass a wall-clock millisecond value as
//     Config.IDTimeMs so that ids differ across restarts.
//  2. Add every session restored from a snapshot or created by a committed
//     txn on another server; Create new ones on the leader.
//  3. Touch on every request and ping; a false result means the session is
//     unknown or closing.
//  4. Loop: wait until NextExpiry, call Expired, close what it returns.
//  5. SetClosing when a closeSession request is accepted, Remove when it is
//     applied.
//  6. Owners (ZooKeeper's session owner, for SESSIONMOVED): SetOwner when
//     a session is created and whenever a client resumes it through
//     another owner; CheckSession with the request's owner before every
//     write. An owner is any comparable value naming who holds the
//     session (package engine uses the member: itself, or a learner's id);
//     a session without one takes the first owner checked.
//
// All methods are safe for concurrent use.
package session
