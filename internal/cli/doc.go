// Package cli is `zkit cli`, a clone of ZooKeeper 3.8's zkCli.sh
// (org.apache.zookeeper.ZooKeeperMain and org.apache.zookeeper.cli):
// the same commands, flags, usage strings, output, error messages and
// exit codes, so scripts written against zkCli.sh work unchanged.
//
// # Modes
//
//	zkit cli [-server host:port[,host:port]/chroot] [-timeout ms] [-r] [cmd args...]
//
// With a command, the shell runs it and exits with zkCli's exit code
// (0 on success, 1 for a failed command, 127 for an unknown one). As in
// Java, the connection is only made when the command first needs the
// server, so argument errors print without the "WATCHER::" block of the
// connection event.
//
// Like zkCli, the shell ends its session (closeSession) only on `quit`
// or `close`. After a one-shot command or at the end of input it just
// drops the connection, and the session, with its ephemeral nodes, lives
// on at the server until its timeout (-timeout, 30s by default).
//
// Without one it reads commands from stdin. On a terminal (Linux) it
// edits lines itself in raw mode (arrows, backspace, ^A/^E, history with
// up/down; see editor) and prints the prompt "[zk: host:port(STATE) n] ";
// otherwise it reads plain lines and prints no prompt, as Debian's zkCli
// does without JLine ("JLine support is disabled").
//
// # Session
//
// session plays the part of Java's ZooKeeper handle over client.Conn
// (which has one connection and no reconnect): it connects in the
// background, shows CONNECTING/CONNECTED/CLOSED/AUTH_FAILED in the
// prompt, and after a connection loss resumes the same session on the
// next server of the connect string, re-sending addauth identities and
// re-registering watches with setWatches2 relative to the last zxid
// seen. An expired session is CLOSED: commands then print "Not
// connected", as zkCli does, until `connect`.
//
// The chroot of the connect string is prepended to every path sent and
// stripped from paths in replies and watch events. Like Java,
// getEphemerals and config do not apply it.
//
// Every watch set by a command goes to one default watcher that prints
//
//	(blank line)
//	WATCHER::
//	(blank line)
//	WatchedEvent state:SyncConnected type:NodeDataChanged path:/a
//
// unless `printwatches off`. The client keeps Java's per-path watch
// tables, so it delivers a notification only for a watch it holds and
// reports removed watches as DataWatchRemoved/ChildWatchRemoved events.
//
// # Output formats
//
// Stat fields print as StatPrinter does (zxids in hex, times as
// java.util.Date.toString in the local zone); getAcl prints each id as
// the jute record's toString ("'world,'anyone" and a newline) then
// ": perms" in cdrwa order; ACL arguments are scheme:id:perms lists
// separated by commas. Errors print on stderr with CliWrapperException's
// messages ("Node does not exist: /a", "Insufficient permission : /a")
// or KeeperException's ("KeeperErrorCode = No such watcher for /a").
//
// setquota, listquota and delquota are client-side operations on the
// nodes under /zookeeper/quota, as in zkCli 3.8 (quota.go): the same
// reads and writes in the same order, the same messages and streams
// (the "[Warning]" lines and "Quota does not exist" go to stdout as Java's
// System.out, the rest to stderr), and commons-cli's option-group errors.
//
// reconfig is ReconfigCommand: -add/-remove (incremental), -members or
// -file (a dynamic configuration file, sent as its QuorumMaj text), -v
// (the expected configuration version, hex) and -s; it prints "Committed
// new configuration:" and the new configuration text.
//
// Differences from Java kept on purpose: version
// prints "zkit"; -client-configuration is accepted and ignored; there is
// no tab completion; a bad number (set -v x) prints Java's uncaught
// NumberFormatException line but the interactive shell goes on instead of
// dying; the events a command causes (and removed-watch events) are
// printed before the next command runs, where Java's event thread may
// print them a little later.
package cli
