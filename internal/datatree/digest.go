package datatree

import (
	"encoding/binary"
	"hash/crc32"
)

// nodeDigest is DigestCalculator.calculateDigest (version 2): CRC32 of the
// path ("/" counted as ""), the data, then czxid, mzxid, pzxid, ctime, mtime
// (8 bytes each), version, cversion, aversion (4 bytes each) and
// ephemeralOwner (8 bytes), all big-endian, with the stored cversion. The
// CRC is a Java long, so it is never negative.
//
// It allocates nothing: the path and the stat go through t.scratch (the
// caller holds the write lock or is the Loader).
func (t *Tree) nodeDigest(path string, n *node) int64 {
	if !t.cfg.digest {
		return 0
	}
	if path == RootPath {
		path = ""
	}
	b := append(t.scratch[:0], path...)
	crc := crc32.Update(0, crc32.IEEETable, b)
	crc = crc32.Update(crc, crc32.IEEETable, n.data())
	s := &n.stat
	b = binary.BigEndian.AppendUint64(b[:0], uint64(s.czxid))
	b = binary.BigEndian.AppendUint64(b, uint64(s.mzxid))
	b = binary.BigEndian.AppendUint64(b, uint64(s.pzxid))
	b = binary.BigEndian.AppendUint64(b, uint64(s.ctime))
	b = binary.BigEndian.AppendUint64(b, uint64(s.mtime))
	b = binary.BigEndian.AppendUint32(b, uint32(s.version))
	b = binary.BigEndian.AppendUint32(b, uint32(s.cversion))
	b = binary.BigEndian.AppendUint32(b, uint32(s.aversion))
	b = binary.BigEndian.AppendUint64(b, uint64(s.owner))
	crc = crc32.Update(crc, crc32.IEEETable, b)
	t.scratch = b[:0]
	return int64(crc)
}

// ZxidDigest is a tree digest after a zxid (DataTree.ZxidDigest).
type ZxidDigest struct {
	Zxid    int64
	Version int32
	Digest  int64
}

const (
	digestLogInterval = 128  // DataTree.DIGEST_LOG_INTERVAL
	digestLogLimit    = 1024 // DataTree.DIGEST_LOG_LIMIT
)

// digestLog keeps what the hash four-letter word prints and what a snapshot
// records, plus the digest check state of DataTree (guarded by Tree.mu).
type digestLog struct {
	last       ZxidDigest   // digest after the last applied txn
	entries    []ZxidDigest // every zxid that is a multiple of 128, newest last
	pending    *ZxidDigest  // digest from a loaded fuzzy snapshot, not yet reached
	mismatches int64
}

// record runs after each top-level txn (DataTree.processTxn's tail).
func (t *Tree) recordDigest(zxid int64) {
	l := &t.digestLog
	if l.pending != nil {
		p := l.pending
		switch {
		case zxid == p.Zxid:
			if p.Version == DigestVersion && t.digest != p.Digest {
				l.mismatches++
			}
			l.pending = nil
		}
		return
	}
	l.last = ZxidDigest{Zxid: zxid, Version: DigestVersion, Digest: t.digest}
	if zxid%digestLogInterval == 0 {
		l.entries = append(l.entries, l.last)
		if len(l.entries) > digestLogLimit {
			l.entries = l.entries[1:]
		}
	}
}

// DigestLog returns the recorded digests (the hash four-letter word), oldest
// first.
func (t *Tree) DigestLog() []ZxidDigest {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return append([]ZxidDigest(nil), t.digestLog.entries...)
}

// LastZxidDigest returns the digest after the last applied txn, which a
// snapshot writes after the tree (zero if none yet).
func (t *Tree) LastZxidDigest() ZxidDigest {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.digestLog.last
}

// SetSnapshotDigest hands the tree the digest read from a loaded snapshot
// (DataTree.deserializeZxidDigest). Replay compares the tree digest with it
// when the txn of that zxid is applied; until then per-txn comparisons are
// skipped because a fuzzy snapshot's tree is not yet consistent. A digest
// with zxid 0 or below snapStartZxid (the snapshot's file-name zxid) is
// ignored.
func (t *Tree) SetSnapshotDigest(d ZxidDigest, snapStartZxid int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.cfg.digest || d.Zxid <= 0 || d.Zxid < snapStartZxid {
		t.digestLog.pending = nil
		return
	}
	t.digestLog.pending = &d
}

// CompareDigest checks a txn's digest against the tree after the txn was
// applied (DataTree.compareDigest). It reports false, and counts a mismatch,
// only when a comparison was possible and failed. A mismatch is not fatal in
// ZooKeeper 3.8.
func (t *Tree) CompareDigest(version int32, digest int64) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.cfg.digest || t.digestLog.pending != nil || version != DigestVersion {
		return true
	}
	if digest != t.digest {
		t.digestLog.mismatches++
		return false
	}
	return true
}

// DigestMismatches counts digest mismatches seen (digest_mismatches_count).
func (t *Tree) DigestMismatches() int64 {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.digestLog.mismatches
}
