package txnlog

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/adler32"
	"io"
	"path/filepath"
	"slices"

	"github.com/zkit-go/zkit/internal/jute"
	"github.com/zkit-go/zkit/internal/proto"
	"github.com/zkit-go/zkit/internal/vfs"
)

// Reader errors.
var (
	// ErrCRC reports an entry whose Adler-32 does not match its bytes
	// (FileTxnLog's "CRC check failed"). Restore stops there with an error,
	// as ZooKeeper does.
	ErrCRC = errors.New("txnlog: CRC check failed")
	// ErrCorrupt reports a log file that cannot be read: a bad magic, an
	// impossible entry length, or an entry that does not decode.
	ErrCorrupt = errors.New("txnlog: corrupt log")
	// ErrNoLogs reports a Truncate with no log files (FileTxnLog.truncate).
	ErrNoLogs = errors.New("txnlog: no log files found to truncate")
)

// MaxEntrySize bounds an entry's length field; a larger value is corruption
// rather than a torn tail (ZooKeeper's bound is jute.maxbuffer, which a
// server may raise, so this is generous).
const MaxEntrySize = 256 << 20

// FileInfo names one log file.
type FileInfo struct {
	Name string
	Zxid int64 // the zxid in the name: the first txn in the file
}

// List returns the log files in dir sorted by zxid, oldest first. Names
// with a third part ("log.1.tmp") are skipped.
func List(fs vfs.FS, dir string) ([]FileInfo, error) {
	names, err := fs.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []FileInfo
	for _, n := range names {
		z, ok := ParseName(n, Prefix)
		if !ok || n != Name(z) && !isPlainHex(n) {
			continue
		}
		out = append(out, FileInfo{Name: n, Zxid: z})
	}
	slices.SortFunc(out, func(a, b FileInfo) int { return cmpInt64(a.Zxid, b.Zxid) })
	return out, nil
}

// isPlainHex accepts "log.<hex>" written with padding or capitals by other
// tools; ZooKeeper parses those too.
func isPlainHex(n string) bool {
	rest := n[len(Prefix)+1:]
	for _, c := range rest {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// FilesFor returns the files that may hold txns after zxid: the newest
// file whose name is ≤ zxid and every later one (FileTxnLog.getLogFiles).
// files must be sorted as List returns them.
func FilesFor(files []FileInfo, zxid int64) []FileInfo {
	start := 0
	for i, f := range files {
		if f.Zxid > zxid {
			break
		}
		start = i
	}
	return files[start:]
}

// Entry is one transaction read from the log.
type Entry struct {
	Header proto.TxnHeader
	Record jute.Record // nil-free: a closeSession without body decodes as an empty CloseSessionTxn
	Digest *proto.TxnDigest
	Raw    []byte // the entry bytes (header + record + digest), as proposals carry them
	File   string // file name
	Offset int64  // offset of the entry's checksum in File
	End    int64  // offset just after the entry's 'B'
}

// entry read outcomes
type status int

const (
	stOK  status = iota
	stEnd        // padding, EOF, or a torn last entry
)

// scanner reads the entries of one file.
type scanner struct {
	f   vfs.File
	br  *bufio.Reader
	pos int64
	hb  [12]byte
}

// openScanner opens a log file and checks its header. A file shorter than
// the header (torn at creation) reads as empty.
func openScanner(fs vfs.FS, path string) (*scanner, bool, error) {
	f, err := fs.Open(path)
	if err != nil {
		return nil, false, err
	}
	s := &scanner{f: f, br: bufio.NewReaderSize(f, 64<<10)}
	var h [HeaderSize]byte
	n, err := io.ReadFull(s.br, h[:])
	s.pos = int64(n)
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return s, false, nil
		}
		f.Close()
		return nil, false, err
	}
	if m := int32(binary.BigEndian.Uint32(h[:4])); m != proto.TxnLogMagic {
		f.Close()
		return nil, false, fmt.Errorf("%w: %s: invalid magic number 0x%x", ErrCorrupt, path, uint32(m))
	}
	return s, true, nil
}

// next reads one entry: it returns stEnd at the padding, at EOF, or at a
// partial entry (length or bytes or 'B' missing), exactly where ZooKeeper's
// reader stops. crcOK tells whether the checksum matched.
func (s *scanner) next() (raw []byte, crcOK bool, st status, err error) {
	n, err := io.ReadFull(s.br, s.hb[:])
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, false, stEnd, nil
		}
		return nil, false, stEnd, err
	}
	crc := binary.BigEndian.Uint64(s.hb[:8])
	l := int32(binary.BigEndian.Uint32(s.hb[8:]))
	if l == 0 || l == -1 {
		return nil, false, stEnd, nil
	}
	if l < 0 || l > MaxEntrySize {
		return nil, false, stEnd, fmt.Errorf("%w: entry length %d at offset %d", ErrCorrupt, l, s.pos)
	}
	raw = make([]byte, int(l)+1)
	m, err := io.ReadFull(s.br, raw)
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, false, stEnd, nil
		}
		return nil, false, stEnd, err
	}
	if raw[l] != eor {
		return nil, false, stEnd, nil
	}
	s.pos += int64(n + m)
	raw = raw[:l]
	return raw, uint64(adler32.Checksum(raw)) == crc, stOK, nil
}

// Iterator reads transactions in zxid order across log files. It is not
// safe for concurrent use.
type Iterator struct {
	fs     vfs.FS
	dir    string
	files  []FileInfo
	target int64
	found  bool // an entry ≥ target has been returned: stop skipping
	cur    *scanner
	name   string
	e      Entry
	err    error
}

// NewIterator returns an iterator over the txns with zxid ≥ zxid. It starts
// in the newest file whose name is ≤ zxid and skips earlier txns.
func NewIterator(fs vfs.FS, dir string, zxid int64) (*Iterator, error) {
	files, err := List(fs, dir)
	if err != nil {
		return nil, err
	}
	return &Iterator{fs: fs, dir: dir, files: FilesFor(files, zxid), target: zxid}, nil
}

// Next advances to the next txn; it returns false at the end of the log or
// on an error (see Err).
func (it *Iterator) Next() bool {
	if it.err != nil {
		return false
	}
	for {
		if it.cur == nil {
			if len(it.files) == 0 {
				return false
			}
			it.name = it.files[0].Name
			it.files = it.files[1:]
			s, ok, err := openScanner(it.fs, filepath.Join(it.dir, it.name))
			if err != nil {
				it.err = err
				return false
			}
			if !ok {
				s.f.Close()
				continue
			}
			it.cur = s
		}
		start := it.cur.pos
		raw, crcOK, st, err := it.cur.next()
		if err != nil {
			it.err = fmt.Errorf("%s: %w", it.name, err)
			return false
		}
		if st == stEnd {
			it.cur.f.Close()
			it.cur = nil
			continue
		}
		if !crcOK {
			it.err = fmt.Errorf("%w: %s offset %d", ErrCRC, it.name, start)
			return false
		}
		hdr, rec, dg, err := proto.DecodeTxnEntry(raw)
		if errors.Is(err, proto.ErrUnknownTxn) {
			it.err = unreplayable(it.name, start, hdr, err)
			return false
		}
		if err != nil {
			it.err = fmt.Errorf("%w: %s offset %d: %w", ErrCorrupt, it.name, start, err)
			return false
		}
		if !it.found && hdr.Zxid < it.target {
			continue
		}
		it.found = true
		it.e = Entry{Header: hdr, Record: rec, Digest: dg, Raw: raw, File: it.name, Offset: start, End: it.cur.pos}
		return true
	}
}

// unreplayable describes a well-formed entry whose txn cannot be applied
// (Java ZooKeeper before 3.9.3 logs a top-level check it cannot replay
// either): which txn, and what an operator can do about it.
func unreplayable(file string, offset int64, hdr proto.TxnHeader, err error) error {
	return fmt.Errorf("%w: %s offset %d: txn zxid 0x%x (session 0x%x, type %v) cannot be applied: %w; "+
		"nothing from this txn on can be loaded: back up the data directories, then either restore a backup, "+
		"or truncate the log before zxid 0x%x, e.g. with ZooKeeper's zkTxnLogToolkit.sh --chop --zxid 0x%x "+
		"(it keeps the txns up to that zxid), moving later log files aside; this server loses that txn and every "+
		"later one, which an ensemble member then resyncs from the leader",
		ErrCorrupt, file, offset, hdr.Zxid, uint64(hdr.ClientID), hdr.Type, err, hdr.Zxid, hdr.Zxid-1)
}

// Entry returns the current txn; it is valid until the next call to Next.
func (it *Iterator) Entry() *Entry { return &it.e }

// Err returns the error that stopped the iterator, or nil at a clean end.
func (it *Iterator) Err() error { return it.err }

// Close releases the open file.
func (it *Iterator) Close() error {
	if it.cur != nil {
		err := it.cur.f.Close()
		it.cur = nil
		return err
	}
	return nil
}

// LastZxid returns the zxid of the last readable txn, reading only the
// newest file (FileTxnLog.getLastLoggedZxid): -1 with no files, the file's
// name zxid if it holds no txn. On a read error it returns what it had and
// the error.
func LastZxid(fs vfs.FS, dir string) (int64, error) {
	files, err := List(fs, dir)
	if err != nil {
		return -1, err
	}
	if len(files) == 0 {
		return -1, nil
	}
	last := files[len(files)-1].Zxid
	it, err := NewIterator(fs, dir, last)
	if err != nil {
		return last, err
	}
	defer it.Close()
	z := last
	for it.Next() {
		z = it.Entry().Header.Zxid
	}
	return z, it.Err()
}

// Truncate removes every txn with zxid > zxid (FileTxnLog.truncate): it
// deletes the later files, newest first, then cuts the file holding the
// first later txn just before it and fsyncs. ZooKeeper cuts after the first
// txn ≥ zxid, which is the same when zxid is in the log.
func Truncate(fs vfs.FS, dir string, zxid int64) error {
	files, err := List(fs, dir)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return ErrNoLogs
	}
	it, err := NewIterator(fs, dir, zxid+1)
	if err != nil {
		return err
	}
	var cutFile string
	var cutAt int64
	if it.Next() {
		cutFile, cutAt = it.Entry().File, it.Entry().Offset
	}
	it.Close()
	if err := it.Err(); err != nil {
		return err
	}
	removed := false
	for i := len(files) - 1; i >= 0 && files[i].Zxid > zxid; i-- {
		if err := fs.Remove(filepath.Join(dir, files[i].Name)); err != nil {
			return err
		}
		removed = true
	}
	if removed {
		if err := fs.SyncDir(dir); err != nil {
			return err
		}
	}
	if cutFile == "" {
		return nil
	}
	if z, _ := ParseName(cutFile, Prefix); z > zxid {
		return nil // removed above
	}
	return truncateFile(fs, filepath.Join(dir, cutFile), cutAt)
}

func truncateFile(fs vfs.FS, path string, size int64) error {
	f, err := fs.OpenFile(path)
	if err != nil {
		return err
	}
	err = f.Truncate(size)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// RepairResult says what Repair did.
type RepairResult struct {
	Removed     []string // files removed for being shorter than a header
	Truncated   string   // file cut at its last whole entry, "" if none
	TruncatedAt int64
}

// Repair makes the newest log file end cleanly after a crash: a file too
// short to hold its header is removed, and a torn last entry (non-zero
// bytes after the last whole entry) is cut off, so that what follows the
// last good txn reads as the end of the log. A CRC error is not repaired:
// it is returned, since it may be a txn that was acknowledged.
func Repair(fs vfs.FS, dir string) (RepairResult, error) {
	var res RepairResult
	for {
		files, err := List(fs, dir)
		if err != nil || len(files) == 0 {
			return res, err
		}
		newest := files[len(files)-1]
		path := filepath.Join(dir, newest.Name)
		s, ok, err := openScanner(fs, path)
		if err != nil {
			return res, err
		}
		if !ok {
			s.f.Close()
			if err := fs.Remove(path); err != nil {
				return res, err
			}
			if err := fs.SyncDir(dir); err != nil {
				return res, err
			}
			res.Removed = append(res.Removed, newest.Name)
			continue
		}
		for {
			start := s.pos
			_, crcOK, st, err := s.next()
			if err != nil {
				s.f.Close()
				return res, err
			}
			if st == stEnd {
				break
			}
			if !crcOK {
				s.f.Close()
				return res, fmt.Errorf("%w: %s offset %d", ErrCRC, newest.Name, start)
			}
		}
		end := s.pos
		var tail [12]byte
		n, _ := s.f.ReadAt(tail[:], end)
		s.f.Close()
		for _, b := range tail[:n] {
			if b != 0 {
				res.Truncated, res.TruncatedAt = newest.Name, end
				return res, truncateFile(fs, path, end)
			}
		}
		return res, nil
	}
}
