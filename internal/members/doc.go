// Package members owns the ensemble's member lines and configuration
// text, the one place zoo.cfg's server.N lines, reconfig's joining and
// newMembers strings, QuorumVerifier text and dynamic configuration files
// are parsed and printed (QuorumPeer.QuorumServer and QuorumMaj in Java).
//
// A member line is
//
//	server.<id>=<host>:<quorumPort>:<electionPort>[:participant|:observer][;[<clientHost>:]<clientPort>]
//
// The id is a non-negative decimal. The host may be an IPv6 literal in
// brackets. Ports are decimal; the quorum and election ports are 1-65535
// and differ (Java refuses equal ones), a client port is 0-65535. The
// role is case-insensitive and defaults to participant. A client port
// without a host listens on every interface (0.0.0.0). Java's pipe-joined
// multiple addresses and third (secure client) part are refused: zkit
// cannot honour them.
//
// Configuration text is the member lines ordered by id, then
// "version=<hex>": what the /zookeeper/config node holds and a reconfig
// txn carries. A dynamic configuration file holds the member lines only,
// sorted as strings, without a final newline; its version is in its name.
package members
