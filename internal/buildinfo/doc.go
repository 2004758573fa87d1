// Package buildinfo says which zkit this is: the module version, the VCS
// revision and time stamped by the go command, and the Go version, all read
// from runtime/debug.ReadBuildInfo. It also renders the version string the
// server reports to ZooKeeper clients (srvr, stat, envi, mntr and the
// AdminServer), which keeps Java ZooKeeper 3.8's shape
//
//	3.8.0-<revision>, built on <yyyy-MM-dd HH:mm> UTC
//
// with a revision of "zkit-" and the first 12 hex digits of the commit
// ("zkit-3f2a9c01b7de", "-dirty" added for a modified tree), or plain
// "zkit" when the binary carries no VCS stamp (go test, go run), in which
// case the date is "unknown". Tools that parse the version (monitoring
// scripts, go-zookeeper's FLWSrvr) read the leading 3.8.0 as the protocol
// release spoken.
package buildinfo
