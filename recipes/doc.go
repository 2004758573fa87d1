// Package recipes is the framework zkit's ZooKeeper recipes (locks,
// elections, queues, barriers, configuration, naming) stand on, in the
// manner of Apache Curator's framework: a client with connection states,
// retries, a namespace, protected creates, watches that stay armed, and
// caches. It wraps github.com/go-zookeeper/zk and speaks to any ZooKeeper
// server, zkit's or Apache's.
//
// # Connecting
//
//	c, err := recipes.Connect(ctx, []string{"127.0.0.1:2181"},
//		recipes.WithSessionTimeout(10*time.Second),
//		recipes.WithNamespace("app"),
//		recipes.WithAuth("digest", []byte("user:secret")),
//		recipes.WithLogger(logger))
//	if err != nil { ... }
//	defer c.Close()
//
// Connect returns once the first session is established and the WithAuth
// credentials are accepted, or when ctx ends. Close ends the session (the
// server deletes its ephemeral nodes) and waits for every goroutine the
// client, its Watchers and caches started.
//
// WithStateListener registers a state listener before the first session,
// so it sees Connected; Listen, called after Connect returns, sees only
// later states.
//
// WithTLS(cfg) connects to TLS client ports (secureClientPort, or a
// clientPort with client.portUnification): the server certificate is
// checked against the host of each address, and a certificate in cfg
// authenticates the client with the x509 scheme.
//
// Every blocking call takes a ctx first. Paths are absolute client paths;
// with WithNamespace("app") the client path /x is /app/x on the server,
// results and watch events carry client paths, and /app (with its parents)
// is created as a persistent node on first use.
//
// # Connection states
//
// The client reports Curator's states to listeners registered with Listen,
// in order, on one goroutine, never under a lock; State returns the last
// one. A listener sees only states reported after it was added.
//
//   - Connected: the first session is established. Reported once.
//   - Suspended: the connection to the server is gone. The session may
//     still be alive on the server, with our ephemeral nodes and watches,
//     or it may be expiring. Anything that depends on the session (a held
//     lock, leadership) must be treated as uncertain: stop acting on it, but
//     do not give it up yet. go-zookeeper/zk meanwhile reconnects by itself.
//   - Reconnected: a connection is usable again. After Suspended it is
//     normally the same session and everything held is still held. After
//     Lost it is a new session: Session() has a new ID and a larger Epoch.
//   - Lost: the session is gone. Either the server told us it expired the
//     session, or we were Suspended for a whole session timeout and
//     stopped waiting (Curator's behaviour since 3.0). Ephemeral nodes and
//     watches of that session must be considered gone; Session().Done()
//     of the lost session is closed. In the second case the client closes
//     its connection and dials a new one, so the old session can no longer
//     come back; the server deletes its ephemeral nodes when it expires it.
//     Either way the client then builds a new session by itself and reports
//     Reconnected when it has one.
//   - ReadOnly: connected to a read-only server. go-zookeeper/zk does not
//     request read-only sessions, so this client never reports it.
//
// The transitions are:
//
//	(start) ─► Connected
//	Connected, Reconnected ─► Suspended          connection dropped
//	Suspended ─► Reconnected                     same session back
//	Suspended ─► Lost                            server expired it, or session timeout passed
//	Lost ─► Reconnected                          new session established
//	Connected, Reconnected ─► Lost ─► Reconnected   a new session appeared without warning
//
// Recipes learn that the session changed from Session(): compare Epoch,
// or select on Done of the session they started under. A recipe holding an
// ephemeral node typically pauses on Suspended, carries on after
// Reconnected when Session().Epoch is unchanged, and on Lost gives up what
// it held and starts again once Reconnected.
//
// # Operations and retries
//
// Get, GetW, Children, ChildrenW, Exists, ExistsW, Create, Set, Delete,
// Multi, Sync, GetACL and SetACL mirror go-zookeeper/zk. They wait while a
// replacement connection is being set up, and retry with the RetryPolicy
// (WithRetry; DefaultRetry otherwise: jittered exponential backoff bounded
// by a count and a total time) when a request fails with a connection loss,
// an operation timeout, a moved session, or a session that expired under it
// (the retry then runs on the new session, as in Curator). ctx ends waits
// and retries at once. When the policy gives up the error wraps
// ErrRetriesExhausted and the last cause. Other errors are go-zookeeper/zk's
// values, so errors.Is(err, zk.ErrNoNode) works; the server's Unimplemented
// and OperationTimeout codes, which go-zookeeper/zk reports only as
// "unknown error", become ErrUnimplemented and ErrOperationTimeout.
//
// A write whose reply was lost may have been applied. When such a write is
// retried and then fails, the error wraps ErrAmbiguous as well as the
// server's error: a retried Create that meets zk.ErrNodeExists may have
// made the node itself, a retried Delete that meets zk.ErrNoNode has
// probably deleted it, a retried Set or Multi that meets zk.ErrBadVersion
// may have bumped the version itself. One case is resolved: a
// non-sequential ephemeral Create that finds the node owned by its own
// session reports success. A retried sequential Create can leave an orphan;
// CreateProtected exists for that. A write abandoned through ctx may still
// be applied later.
//
// # ACLs
//
// A create given a nil ACL gets the ACL of the ACLProvider given to
// WithACLProvider (Curator's ACLProvider), asked with the server path of
// the node (namespace included; for a protected create, the protected
// name), or its DefaultACL when it has none for that path; without a
// provider, WithDefaultACL's (default world:anyone, all permissions). That
// covers every node the client makes: creates, protected creates, creates
// in a Multi, parents made by EnsurePath, CreateWithParents and
// CreateProtected, and the namespace node. PathACLs is a provider from a
// table of path prefixes.
//
// # Helpers
//
// EnsurePath creates a path and its missing parents as container nodes
// (persistent nodes on servers without containers, detected by their
// Unimplemented answer); CreateWithParents does the same before a create.
// DeleteAll deletes a subtree. CreateTTL creates TTL nodes (servers with
// extendedTypesEnabled=true).
//
// CreateProtected creates a node whose name carries Curator's protection
// prefix, "_c_" + a UUID + "-", so that after a connection loss during the
// create the client can list the parent and find its own node instead of
// creating a second one. For ephemeral nodes the found node must belong to
// the current session; one left by an abandoned session is deleted and the
// create made again with a new UUID (Curator's CURATOR-498 fix). If the
// create finally fails with an unknown outcome, the client deletes any node
// the lost attempt made, in the background, after that attempt has
// finished. A create whose reply was lost may still be pending in the
// ensemble (proposed, not yet committed: even a leader cut off from the
// rest can see it committed once it is healed and re-elected), so before
// every such search the client makes a write that changes nothing (a multi
// holding one version check of the parent, version -1): it commits only
// after the session's earlier writes are decided, or fails with a
// connection loss and is retried. A read, or a sync asked of the leader
// itself, gives no such guarantee. IsProtected, ProtectedID and
// NormalizeProtected read such names.
//
// # Watches that stay armed
//
// A Watcher (NewWatcher) keeps one-shot watches armed on the paths added
// to it: it reads the node with a watch, calls its function with what it
// read, and reads again (arming a new watch in the same request) after
// every event on the path, after every Reconnected, and after
// go-zookeeper/zk drops its watches (session expiry, replaced
// connection). Because each read is of the current state and arms the next
// watch, no change is missed; changes close together may be seen as one.
// While Suspended or Lost its reads are retried with backoff and again as
// soon as the client is back.
//
// # Caches
//
// NodeCache (one node), ChildrenCache (the children of a node, with their
// data; Curator's PathChildrenCache) and TreeCache (a subtree) build on
// Watcher. Each has Start, Close(ctx), Initialized (closed after the first
// full load) and WaitReady(ctx) (waits for it), a snapshot accessor and
// listeners receiving NodeAdded,
// NodeUpdated, NodeRemoved and, once, CacheInitialized, in order, on one
// goroutine per cache. Replaying a cache's events rebuilds its snapshot
// exactly.
//
// On Suspended and on Lost the caches keep the last state they read (it may
// be stale; watch the client's states to know). On Reconnected, after
// either, they read everything again and emit the differences, so they
// converge to the server's tree; changes made while the client was away
// appear as single events.
//
// # Goroutines and locks
//
// Every goroutine belongs to the client (Close waits for all of them), to
// a Watcher or to a cache (their Close waits for theirs). No lock is held
// across I/O, a channel send or a callback. Listeners and Watcher functions
// must not call the Close of the object calling them. go-zookeeper/zk's own
// goroutines belong to the connection that started them and are waited for
// by Close too.
//
// # Notes on go-zookeeper/zk v1.0.4
//
// It reconnects and, after the server expires a session, starts a new
// session by itself; the client tells the two apart by the session id. It
// reports session events on a small channel that drops events when full,
// so the client takes them from its synchronous event callback instead,
// and routes watch events from that callback to Watchers, which therefore
// need no goroutine per watch. It does not expose the negotiated session
// timeout, so the Suspended-to-Lost timer uses the requested one. It has no
// persistent watches (addWatch) and no read-only sessions. During its
// handshake it may wait up to ten read timeouts on a silent socket; the
// client closes the sockets of a connection it abandons so that this does
// not delay Close.//
// # SASL
//
// github.com/go-zookeeper/zk has no SASL (op 102), so this client cannot
// log in with a JAAS Client section against a server that asks for
// SASL (sessionRequireClientSASLAuth, enforce.auth.schemes=sasl); there is
// no fallback that would pretend otherwise. Use digest credentials
// (WithAuth) or TLS client certificates (x509) instead. zkit's own client
// (zkit cli) speaks SASL DIGEST-MD5.
package recipes
