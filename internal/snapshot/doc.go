// Package snapshot reads and writes ZooKeeper's snapshot files (FileSnap,
// SnapStream), byte for byte, so zkit and Java ZooKeeper can read each
// other's dataDir/version-2/snapshot.<zxid> files.
//
// # File format
//
// The name is "snapshot." + the zxid of the last txn applied when the
// snapshot started, in lower-case hex, plus ".gz" or ".snappy" when
// compressed (zookeeper.snapshot.compression.method). The snapshot is
// fuzzy: txns after that zxid may be in it, and replaying them again from
// the log must be harmless. All integers are big-endian jute.
//
//	FileHeader   int32 magic 0x5A4B534E ("ZKSN") | int32 version 2 | int64 dbid -1
//	sessions     int32 count | count × (int64 sessionId | int32 timeout)
//	ACL cache    int32 count | count × (int64 ref | vector<ACL>)
//	               ACL = int32 perms | ustring scheme | ustring id
//	nodes        pre-order, parent before children, each:
//	               ustring path | buffer data | int64 aclRef | StatPersisted (60 bytes)
//	             the root's path is "" (empty), then "/a", "/a/b", ...
//	end marker   ustring "/"
//	seal         int64 Adler-32 of every byte so far | ustring "/"
//	digest       int64 zxid | int32 digestVersion (2) | int64 digest     (optional)
//	seal         int64 Adler-32 of every byte so far | ustring "/"       (with digest)
//
// aclRef -1 means OPEN_ACL_UNSAFE and is not in the cache. A digest with
// zxid 0 means "none". Readers accept EOF where the digest would start
// (older snapshots) and a digestVersion < 2 with the digest as a hex
// ustring. The checksums cover the uncompressed bytes.
//
// Compression wraps the whole stream: gzip (RFC 1952), or the framing of
// xerial snappy-java's SnappyOutputStream (see snappy.go: an 8-byte magic
// 0x82 "SNAPPY" 0x00, int32 version 1, int32 compatible version 1, then
// blocks of int32 length + raw snappy block, each of up to 32 KiB of
// input). The snappy codec is implemented here to avoid a dependency.
//
// # Learner stream
//
// After a SNAP packet a ZooKeeper leader streams the same body (sessions,
// ACL cache, nodes, end marker) with no FileHeader, seal or digest
// (ZKDatabase.serializeSnapshot in 3.8), then the jute string
// "BenWasHere". WriteBody and ReadBody handle the body; the quorum
// transport adds the signature. ReadBody never reads past the end marker
// and bounds every string and buffer by StreamMaxLen (jute.maxbuffer plus
// its extra allowance).
//
// # Choosing a snapshot
//
// Valid is a cheap check (a plain file is ≥ 10 bytes and ends 00 00 00 01
// 2F; gzip starts 1F 8B; snappy starts with its magic). Load tries up to
// 100 files that pass it, newest first, and reads the first one whose seals
// check, calling Sink.Reset before each attempt. The zxid comes from the
// file name.
//
// # Caller duties
//
//  1. The data tree implements Tree (to write) and Sink (to read); MemTree
//     is a simple version for tests and for Dump.
//  2. Take the snapshot's zxid before walking the tree, so the file name
//     never claims more than the tree holds; replay from zxid+1 afterwards.
//  3. WriteFile writes name.tmp, fsyncs, renames and fsyncs the directory:
//     only then may older logs and snapshots be purged.
//
// Dump prints a snapshot as ZooKeeper's SnapshotFormatter does (zkit snap
// dump), with children and sessions sorted instead of in hash order.
package snapshot
