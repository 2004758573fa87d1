package txnlog

import (
	"errors"
	"fmt"
	"hash/adler32"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/zkit-go/zkit/internal/jute"
	"github.com/zkit-go/zkit/internal/proto"
	"github.com/zkit-go/zkit/internal/vfs"
)

// Format constants.
const (
	// Prefix starts every log file name: log.<hex zxid>.
	Prefix = "log"
	// Version is the log format version in the file header.
	Version = 2
	// HeaderSize is the size of the FileHeader at the start of a file.
	HeaderSize = 16
	// DefaultPreAllocSize is ZooKeeper's default zookeeper.preAllocSize
	// (65536 KB).
	DefaultPreAllocSize = 64 << 20
	// padSlack: the file grows when the data comes within this many bytes
	// of its end (FilePadding).
	padSlack = 4096
	// eor ends every entry ('B').
	eor = 'B'
	// flushThreshold bounds the bytes Append buffers before writing them
	// (without fsync) to the file.
	flushThreshold = 1 << 20
)

// Errors.
var (
	// ErrFailed wraps the first write or fsync error; once a Writer has
	// failed it refuses every later call, since what it wrote may or may
	// not be on disk.
	ErrFailed = errors.New("txnlog: writer failed")
	// ErrZxidOrder reports an Append whose zxid is not above the last one.
	ErrZxidOrder = errors.New("txnlog: zxid not increasing")
	// ErrClosed reports use of a closed Writer.
	ErrClosed = errors.New("txnlog: writer closed")
)

// Name returns the file name of a log starting at zxid: "log." and the zxid
// in lower-case hex without padding (Util.makeLogName).
func Name(zxid int64) string { return Prefix + "." + strconv.FormatInt(zxid, 16) }

// ParseName returns the zxid in a file name "<prefix>.<hex>[.<suffix>]", as
// Util.getZxidFromName; ok is false when name is not of that form.
func ParseName(name, prefix string) (zxid int64, ok bool) {
	parts := strings.Split(name, ".")
	if len(parts) < 2 || parts[0] != prefix {
		return -1, false
	}
	z, err := strconv.ParseInt(parts[1], 16, 64)
	if err != nil {
		return -1, false
	}
	return z, true
}

// Options configure a Writer.
type Options struct {
	FS  vfs.FS
	Dir string // the version-2 directory of dataLogDir
	// PreAllocSize is the preallocation step in bytes; 0 means
	// DefaultPreAllocSize and a negative value turns preallocation off.
	PreAllocSize int64
	// SizeLimit rolls to a new file after a Sync that leaves the current
	// file's data larger than this many bytes (zookeeper.txnLogSizeLimitInKb
	// × 1024); 0 means no limit.
	SizeLimit int64
	// NoSync writes without fsync (zookeeper.forceSync=no).
	NoSync bool
	// Logger receives file creation and slow-fsync messages; nil discards.
	Logger *slog.Logger
}

// Writer appends transactions to log files. It is not safe for concurrent
// use: one goroutine (the sync stage) owns it.
type Writer struct {
	opts    Options
	log     *slog.Logger
	f       vfs.File // current file, nil before the first Append after a roll
	name    string   // current file's name
	off     int64    // bytes of the current file written so far
	size    int64    // current file's size including preallocation
	buf     []byte   // encoded entries not yet written
	enc     jute.Encoder
	old     []vfs.File // rolled files written but not yet synced
	dirSync bool       // a file was created since the last directory sync
	last    int64      // last zxid appended
	err     error      // sticky failure
	closed  bool
}

// NewWriter returns a writer that creates its first file at the first
// Append, named after that txn's zxid. Like ZooKeeper, a writer never
// appends to an existing file.
func NewWriter(opts Options) *Writer {
	if opts.PreAllocSize == 0 {
		opts.PreAllocSize = DefaultPreAllocSize
	}
	l := opts.Logger
	if l == nil {
		l = slog.New(slog.DiscardHandler)
	}
	return &Writer{opts: opts, log: l}
}

func (w *Writer) fail(what string, err error) error {
	w.err = fmt.Errorf("%w: %s %s: %w", ErrFailed, what, w.name, err)
	w.log.Error("txn log failed", "file", w.name, "op", what, "err", err)
	return w.err
}

func (w *Writer) usable() error {
	if w.closed {
		return ErrClosed
	}
	return w.err
}

// Append encodes one transaction into the write buffer: nothing is durable
// until Sync returns. rec may be nil (a txn without a body) and digest is
// written only when not nil.
func (w *Writer) Append(hdr *proto.TxnHeader, rec jute.Record, digest *proto.TxnDigest) error {
	if err := w.usable(); err != nil {
		return err
	}
	if hdr.Zxid <= w.last {
		return fmt.Errorf("%w: 0x%x after 0x%x", ErrZxidOrder, hdr.Zxid, w.last)
	}
	if w.f == nil {
		if err := w.create(hdr.Zxid); err != nil {
			return err
		}
	}
	w.enc.Reset()
	proto.EncodeTxnEntry(&w.enc, hdr, rec, digest)
	w.buf = appendEntry(w.buf, w.enc.Bytes())
	w.last = hdr.Zxid
	if len(w.buf) >= flushThreshold {
		return w.flush()
	}
	return nil
}

// AppendRaw appends an already encoded entry (TxnHeader + record + optional
// digest, as a proposal carries it); zxid must be the entry's zxid.
func (w *Writer) AppendRaw(zxid int64, entry []byte) error {
	if err := w.usable(); err != nil {
		return err
	}
	if zxid <= w.last {
		return fmt.Errorf("%w: 0x%x after 0x%x", ErrZxidOrder, zxid, w.last)
	}
	if w.f == nil {
		if err := w.create(zxid); err != nil {
			return err
		}
	}
	w.buf = appendEntry(w.buf, entry)
	w.last = zxid
	if len(w.buf) >= flushThreshold {
		return w.flush()
	}
	return nil
}

// appendEntry appends checksum | length | entry | 'B'. The Adler-32 covers
// the entry bytes only.
func appendEntry(buf, entry []byte) []byte {
	e := jute.NewEncoder(buf)
	e.Long(int64(adler32.Checksum(entry)))
	e.Buffer(entry)
	e.Byte(eor)
	return e.Bytes()
}

func (w *Writer) create(zxid int64) error {
	name := Name(zxid)
	f, err := w.opts.FS.Create(filepath.Join(w.opts.Dir, name))
	if err != nil {
		w.name = name
		return w.fail("create", err)
	}
	w.log.Info("creating new log file", "file", name)
	w.f, w.name, w.off, w.size = f, name, 0, 0
	w.dirSync = true
	// The header goes to the file before anything grows it, as ZooKeeper
	// flushes it at creation: a process killed between the preallocation
	// and the first write must not leave a file of zeros, which reads as a
	// bad magic number rather than as an empty log.
	hdr := proto.FileHeader{Magic: proto.TxnLogMagic, Version: Version, DBID: 0}
	e := jute.NewEncoder(nil)
	hdr.Encode(e)
	if _, err := f.WriteAt(e.Bytes(), 0); err != nil {
		return w.fail("write header", err)
	}
	w.off = int64(len(e.Bytes()))
	return nil
}

// paddedSize is FilePadding.calculateFileSizeWithPadding: grow by one
// preallocation step when pos comes within padSlack of size.
func paddedSize(pos, size, prealloc int64) int64 {
	if prealloc > 0 && pos+padSlack >= size {
		if pos > size {
			size = pos + prealloc
			size -= size % prealloc
		} else {
			size += prealloc
		}
	}
	return size
}

// flush writes the buffer to the current file, growing the file first so
// the data never reaches its end (the zero tail reads as end of log).
func (w *Writer) flush() error {
	if w.f == nil || len(w.buf) == 0 {
		return nil
	}
	end := w.off + int64(len(w.buf))
	if ns := paddedSize(end, w.size, w.opts.PreAllocSize); ns != w.size {
		if _, err := w.f.WriteAt([]byte{0}, ns-1); err != nil {
			return w.fail("preallocate", err)
		}
		w.size = ns
	}
	if _, err := w.f.WriteAt(w.buf, w.off); err != nil {
		return w.fail("write", err)
	}
	w.off = end
	w.buf = w.buf[:0]
	return nil
}

// Sync writes everything appended so far and fsyncs it (unless NoSync):
// when it returns nil every appended txn is durable. One Sync covers any
// number of Appends (group commit). Afterwards, if the current file is over
// SizeLimit, the next Append starts a new file.
func (w *Writer) Sync() error {
	if err := w.usable(); err != nil {
		return err
	}
	if err := w.flush(); err != nil {
		return err
	}
	if !w.opts.NoSync {
		for _, f := range w.old {
			if err := f.Sync(); err != nil {
				return w.fail("fsync", err)
			}
		}
		if w.f != nil {
			if err := w.f.Sync(); err != nil {
				return w.fail("fsync", err)
			}
		}
		if w.dirSync {
			if err := w.opts.FS.SyncDir(w.opts.Dir); err != nil {
				return w.fail("fsync dir", err)
			}
		}
	}
	w.dirSync = false
	for _, f := range w.old {
		if err := f.Close(); err != nil {
			return w.fail("close", err)
		}
	}
	w.old = w.old[:0]
	if w.opts.SizeLimit > 0 && w.f != nil && w.off > w.opts.SizeLimit {
		w.log.Debug("log size limit reached", "file", w.name, "size", w.off)
		return w.Roll()
	}
	return nil
}

// Roll ends the current file: it writes (without fsync) what is buffered,
// and the next Append starts a new file. The next Sync also fsyncs the
// rolled file. ZooKeeper rolls after each snapshot is started.
func (w *Writer) Roll() error {
	if err := w.usable(); err != nil {
		return err
	}
	if w.f == nil {
		return nil
	}
	if err := w.flush(); err != nil {
		return err
	}
	w.old = append(w.old, w.f)
	w.f = nil
	return nil
}

// LastZxid returns the zxid of the last Append (0 before any).
func (w *Writer) LastZxid() int64 { return w.last }

// CurrentFile returns the current file's name, "" when the next Append
// starts a new one.
func (w *Writer) CurrentFile() string {
	if w.f == nil {
		return ""
	}
	return w.name
}

// Size returns the bytes of data (without preallocation) in the current
// file, counting buffered ones.
func (w *Writer) Size() int64 {
	if w.f == nil {
		return 0
	}
	return w.off + int64(len(w.buf))
}

// Err returns the writer's sticky failure, or nil.
func (w *Writer) Err() error { return w.err }

// Close syncs what is buffered and closes the files. After a failure it
// only closes them and returns the failure.
func (w *Writer) Close() error {
	if w.closed {
		return nil
	}
	var err error
	if w.err == nil {
		err = w.Sync()
	} else {
		err = w.err
	}
	w.closed = true
	for _, f := range w.old {
		_ = f.Close()
	}
	w.old = nil
	if w.f != nil {
		if cerr := w.f.Close(); err == nil {
			err = cerr
		}
		w.f = nil
	}
	return err
}
