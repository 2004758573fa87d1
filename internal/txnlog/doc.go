// Package txnlog reads and writes ZooKeeper's transaction log files
// (FileTxnLog), byte for byte, so zkit and Java ZooKeeper can read each
// other's dataLogDir/version-2/log.<zxid> files.
//
// # File format
//
// A file is named "log." + the zxid of its first txn in lower-case hex
// without padding (log.100000001). All integers are big-endian.
//
//	FileHeader   int32 magic 0x5A4B4C47 ("ZKLG") | int32 version 2 | int64 dbid 0
//	entry*       int64 checksum | int32 len | len bytes of entry | byte 0x42 ('B')
//	padding      zeros to the end of the preallocated file
//
//	entry bytes  TxnHeader{int64 sessionId, int32 cxid, int64 zxid, int64 time, int32 type}
//	             | record for the type (absent for an old closeSession)
//	             | optional TxnDigest{int32 version, int64 digest}
//
// The checksum is the Adler-32 of the entry bytes only (not of len or 'B')
// stored in a long. Files are preallocated (FilePadding): when the data
// comes within 4096 bytes of the file's size, the file grows by
// PreAllocSize (64 MiB by default) by writing one zero byte at the new end.
//
// Reading stops in a file, and goes on with the next file, at a length of
// 0 (the padding), at EOF, or at an entry cut short (its bytes or its 'B'
// missing): a torn tail left by a crash is the end of the log, not an
// error. A checksum mismatch is an error (ErrCRC, ZooKeeper's "CRC check
// failed") and ZooKeeper refuses to start on it; so does zkit's restore.
//
// # Caller duties (the sync stage)
//
//  1. One goroutine owns the Writer. Append each txn in zxid order; zxids
//     must increase.
//  2. Call Sync, then acknowledge the txns appended before it: Sync writes
//     and fsyncs them (group commit: one Sync covers every Append before it).
//  3. Any error from Append, Sync or Roll is fatal: the Writer refuses
//     everything afterwards (ErrFailed) and the server must stop, since it
//     cannot know what reached the disk. Never acknowledge after an error.
//  4. Roll after starting a snapshot, as ZooKeeper does, so old files can be
//     purged; SizeLimit rolls by size.
//  5. At startup, Repair the log (cut a torn tail, drop a file torn before
//     its header), replay it with an Iterator, and open a new Writer: a
//     Writer always starts a new file at its first Append.
//  6. Truncate(zxid) when the leader sends TRUNC.
//
// Dump prints a file as ZooKeeper's TxnLogToolkit does (zkit log dump).
//
// Differences from ZooKeeper, on purpose: the writer fsyncs the directory
// after creating a file; SizeLimit counts data, not preallocated bytes
// (Java compares the preallocated file length, so it rolls after every
// commit once the limit is under PreAllocSize); Truncate keeps exactly the
// txns ≤ zxid (Java keeps the first txn ≥ zxid, the same when zxid is in
// the log) and deletes a file left with no txn; a file shorter than its
// header reads as empty (Java fails to start on it).
package txnlog
