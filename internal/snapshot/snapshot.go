package snapshot

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/adler32"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/zkit-go/zkit/internal/jute"
	"github.com/zkit-go/zkit/internal/proto"
	"github.com/zkit-go/zkit/internal/vfs"
)

// Format constants.
const (
	// Prefix starts every snapshot file name: snapshot.<hex zxid>[.gz|.snappy].
	Prefix = "snapshot"
	// Version is the snapshot format version in the file header.
	Version = 2
	// DBID is the dbid every snapshot header carries.
	DBID = -1
	// DigestVersion is the ZxidDigest version written (digestVersion 2:
	// the digest is a long).
	DigestVersion = 2
	// MaxCandidates is how many valid snapshots Load tries, newest first.
	MaxCandidates = 100
	// statPersistedSize is the encoded size of a StatPersisted.
	statPersistedSize = 60
	// maxLen bounds a string or buffer read from a snapshot.
	maxLen = 256 << 20
	// progressEvery is how many nodes pass between progress log lines.
	progressEvery = 1 << 17
)

// Errors.
var (
	// ErrCorrupt reports a snapshot that does not parse or whose seal does
	// not match its contents.
	ErrCorrupt = errors.New("snapshot: corrupt snapshot")
	// ErrNoValidSnapshot reports snapshot files none of which could be
	// read (FileSnap's "Not able to find valid snapshots").
	ErrNoValidSnapshot = errors.New("snapshot: no valid snapshot")
)

// Compression is zookeeper.snapshot.compression.method.
type Compression string

// Compression methods.
const (
	Plain  Compression = ""
	Gzip   Compression = "gz"
	Snappy Compression = "snappy"
)

// ParseCompression reads a zookeeper.snapshot.compression.method value;
// like ZooKeeper it ignores case and treats anything unknown as Plain.
func ParseCompression(s string) Compression {
	switch strings.ToLower(s) {
	case "gz":
		return Gzip
	case "snappy":
		return Snappy
	}
	return Plain
}

// Ext returns the file-name suffix: "", ".gz" or ".snappy".
func (c Compression) Ext() string {
	if c == Plain {
		return ""
	}
	return "." + string(c)
}

// Name returns the file name of a snapshot taken at zxid.
func Name(zxid int64, c Compression) string {
	return Prefix + "." + strconv.FormatInt(zxid, 16) + c.Ext()
}

// ZxidDigest is the tree digest recorded at a zxid (DataTree.ZxidDigest).
// A zero Zxid means "no digest".
type ZxidDigest struct {
	Zxid    int64
	Version int32
	Digest  int64
}

// Tree is what a snapshot is written from; the data tree implements it.
type Tree interface {
	// ACLs returns the ACL cache: every reference in use and its list.
	// Reference -1 (OPEN_ACL_UNSAFE) is implicit and must not be in it.
	ACLs() map[int64][]proto.ACL
	// Walk calls fn for every node in pre-order (a parent before its
	// children), starting with the root, whose path is "/" (or "").
	Walk(fn func(path string, data []byte, aclRef int64, stat proto.StatPersisted) error) error
}

// Source is everything a snapshot holds.
type Source struct {
	Tree     Tree
	Sessions map[int64]int32 // session id → timeout (ms)
	// Digest, when not nil, is written after the first seal followed by a
	// second seal (zookeeper.digest.enabled, the default). A zero value
	// means "digest enabled, none computed yet".
	Digest *ZxidDigest
}

// Sink receives a snapshot as it is read; the data tree implements it.
type Sink interface {
	// Reset discards everything added so far: Load calls it before each
	// attempt, since a corrupt snapshot is found only after part of it was
	// added.
	Reset()
	AddSession(id int64, timeout int32) error
	SetACL(ref int64, acl []proto.ACL) error
	// AddNode adds a node; the root comes first with path "/", and every
	// other node after its parent. data is the sink's to keep.
	AddNode(path string, data []byte, aclRef int64, stat proto.StatPersisted) error
}

// Write writes a snapshot of src to w, compressed by c. The checksums cover
// the uncompressed bytes.
func Write(w io.Writer, c Compression, src *Source) error {
	var zw io.WriteCloser
	switch c {
	case Gzip:
		zw = gzip.NewWriter(w)
	case Snappy:
		zw = newSnappyWriter(w)
	default:
		zw = nopCloser{w}
	}
	sw := &swriter{w: zw, h: adler32.New()}
	sw.write(src)
	if sw.err != nil {
		return sw.err
	}
	return zw.Close()
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// swriter encodes records into a buffer and passes full chunks to the
// checksum and the (compressing) writer.
type swriter struct {
	w   io.Writer
	h   hash.Hash32
	e   jute.Encoder
	err error
}

func (s *swriter) maybeFlush(force bool) {
	if s.err != nil || (!force && s.e.Len() < 64<<10) {
		return
	}
	b := s.e.Bytes()
	if s.h != nil {
		s.h.Write(b)
	}
	if _, err := s.w.Write(b); err != nil {
		s.err = err
	}
	s.e.Reset()
}

// seal writes the checksum of everything so far, then "/" (sealStream).
func (s *swriter) seal() {
	s.maybeFlush(true)
	s.e.Long(int64(s.h.Sum32()))
	s.e.String("/")
}

func (s *swriter) write(src *Source) {
	hdr := proto.FileHeader{Magic: proto.SnapshotMagic, Version: Version, DBID: DBID}
	hdr.Encode(&s.e)
	if !s.writeBody(src) {
		return
	}
	s.seal()
	if src.Digest != nil {
		d := *src.Digest
		if d.Version == 0 {
			d.Version = DigestVersion
		}
		s.e.Long(d.Zxid)
		s.e.Int(d.Version)
		s.e.Long(d.Digest)
		s.seal()
	}
	s.maybeFlush(true)
}

// writeBody encodes the body shared by snapshot files and the learner
// stream (SerializeUtils.serializeSnapshot): sessions, ACL cache, nodes and
// the "/" end marker. It reports false when writing failed (s.err is set).
func (s *swriter) writeBody(src *Source) bool {
	// sessions, sorted for reproducible files
	ids := make([]int64, 0, len(src.Sessions))
	for id := range src.Sessions {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	s.e.Int(int32(len(ids)))
	for _, id := range ids {
		s.e.Long(id)
		s.e.Int(src.Sessions[id])
	}
	// ACL cache
	acls := src.Tree.ACLs()
	refs := make([]int64, 0, len(acls))
	for r := range acls {
		refs = append(refs, r)
	}
	slices.Sort(refs)
	s.e.Int(int32(len(refs)))
	for _, r := range refs {
		s.e.Long(r)
		proto.EncodeACLs(&s.e, acls[r])
	}
	// nodes
	err := src.Tree.Walk(func(path string, data []byte, aclRef int64, stat proto.StatPersisted) error {
		if path == "/" {
			path = "" // ZooKeeper writes the root as ""
		}
		s.e.String(path)
		s.e.Buffer(data)
		s.e.Long(aclRef)
		stat.Encode(&s.e)
		s.maybeFlush(false)
		return s.err
	})
	if err != nil {
		if s.err == nil {
			s.err = err
		}
		return false
	}
	s.e.String("/")
	return true
}

// ReadOptions tune Read.
type ReadOptions struct {
	// Logger receives progress lines while a large snapshot loads.
	Logger *slog.Logger
	// Name labels log lines.
	Name string
}

// Read reads a snapshot from r (compressed by c) into sink, checking the
// header and the seals. It returns the digest section, nil when the
// snapshot has none (EOF after the first seal is fine: older snapshots have
// no digest) or when its zxid is 0.
func Read(r io.Reader, c Compression, sink Sink, opts ReadOptions) (*ZxidDigest, error) {
	var zr io.Reader
	switch c {
	case Gzip:
		gz, err := gzip.NewReader(r)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
		}
		defer gz.Close()
		zr = gz
	case Snappy:
		zr = newSnappyReader(r)
	default:
		zr = r
	}
	sr := &sreader{r: bufio.NewReaderSize(zr, 64<<10), h: adler32.New()}
	d, err := sr.read(sink, opts)
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, errSnappy) || errors.Is(err, jute.ErrMalformed) {
			return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
		}
		return nil, err
	}
	return d, nil
}

// sreader decodes jute values from a stream while checksumming them.
type sreader struct {
	r      io.Reader
	h      hash.Hash32 // nil: no checksum (learner stream)
	buf    []byte
	n      int64 // bytes consumed
	maxLen int32 // bound on a string or buffer length; 0 means maxLen
}

func (s *sreader) take(n int) ([]byte, error) {
	if cap(s.buf) < n {
		s.buf = make([]byte, n)
	}
	b := s.buf[:n]
	if _, err := io.ReadFull(s.r, b); err != nil {
		if errors.Is(err, io.EOF) && n > 0 {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	if s.h != nil {
		s.h.Write(b)
	}
	s.n += int64(n)
	return b, nil
}

func (s *sreader) limit() int32 {
	if s.maxLen > 0 {
		return s.maxLen
	}
	return maxLen
}

func (s *sreader) int32() (int32, error) {
	b, err := s.take(4)
	if err != nil {
		return 0, err
	}
	return int32(binary.BigEndian.Uint32(b)), nil
}

func (s *sreader) int64() (int64, error) {
	b, err := s.take(8)
	if err != nil {
		return 0, err
	}
	return int64(binary.BigEndian.Uint64(b)), nil
}

// bytes reads a length-prefixed string or buffer; null reads as nil. The
// result is a fresh slice.
func (s *sreader) bytes() ([]byte, error) {
	l, err := s.int32()
	if err != nil {
		return nil, err
	}
	if l == -1 {
		return nil, nil
	}
	if l < 0 || l > s.limit() {
		return nil, fmt.Errorf("%w: length %d at offset %d", ErrCorrupt, l, s.n-4)
	}
	b, err := s.take(int(l))
	if err != nil {
		return nil, err
	}
	return slices.Clone(b), nil
}

func (s *sreader) str() (string, error) {
	l, err := s.int32()
	if err != nil {
		return "", err
	}
	if l == -1 {
		return "", nil
	}
	if l < 0 || l > s.limit() {
		return "", fmt.Errorf("%w: length %d at offset %d", ErrCorrupt, l, s.n-4)
	}
	b, err := s.take(int(l))
	return string(b), err
}

// checkSeal reads a seal and compares it with the checksum so far.
func (s *sreader) checkSeal() error {
	want := int64(s.h.Sum32())
	got, err := s.int64()
	if err != nil {
		return err
	}
	if _, err := s.str(); err != nil {
		return err
	}
	if got != want {
		return fmt.Errorf("%w: seal 0x%x, content checksums to 0x%x", ErrCorrupt, got, want)
	}
	return nil
}

func (s *sreader) acl() (proto.ACL, error) {
	var a proto.ACL
	var err error
	if a.Perms, err = s.int32(); err != nil {
		return a, err
	}
	if a.ID.Scheme, err = s.str(); err != nil {
		return a, err
	}
	a.ID.ID, err = s.str()
	return a, err
}

func (s *sreader) read(sink Sink, opts ReadOptions) (*ZxidDigest, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	b, err := s.take(16)
	if err != nil {
		return nil, err
	}
	var fh proto.FileHeader
	if err := jute.Unmarshal(b, &fh); err != nil {
		return nil, err
	}
	if fh.Magic != proto.SnapshotMagic {
		return nil, fmt.Errorf("%w: mismatching magic header 0x%x", ErrCorrupt, uint32(fh.Magic))
	}
	nodes, err := s.readBody(sink, log, opts.Name)
	if err != nil {
		return nil, err
	}
	if err := s.checkSeal(); err != nil {
		return nil, err
	}
	// Digest section: absent in older snapshots; any EOF inside it means
	// "no digest", as DataTree.deserializeZxidDigest treats it.
	var d ZxidDigest
	if d.Zxid, err = s.int64(); err != nil {
		return nil, eofIsNil(err)
	}
	if d.Version, err = s.int32(); err != nil {
		return nil, eofIsNil(err)
	}
	if d.Version < 2 {
		hex, err := s.str()
		if err != nil {
			return nil, eofIsNil(err)
		}
		if hex != "" {
			u, perr := strconv.ParseUint(hex, 16, 64)
			if perr != nil {
				return nil, fmt.Errorf("%w: digest %q", ErrCorrupt, hex)
			}
			d.Digest = int64(u)
		}
	} else if d.Digest, err = s.int64(); err != nil {
		return nil, eofIsNil(err)
	}
	if err := s.checkSeal(); err != nil {
		return nil, err
	}
	if nodes >= progressEvery {
		log.Info("loaded snapshot", "file", opts.Name, "nodes", nodes, "bytes", s.n)
	}
	if d.Zxid == 0 {
		return nil, nil
	}
	return &d, nil
}

// readBody decodes the body shared by snapshot files and the learner stream
// (SerializeUtils.deserializeSnapshot): sessions, ACL cache, nodes up to
// and including the "/" end marker. It returns the number of nodes read.
func (s *sreader) readBody(sink Sink, log *slog.Logger, name string) (nodes int, err error) {
	n, err := s.int32()
	if err != nil {
		return nodes, err
	}
	for ; n > 0; n-- {
		id, err := s.int64()
		if err != nil {
			return nodes, err
		}
		to, err := s.int32()
		if err != nil {
			return nodes, err
		}
		if err := sink.AddSession(id, to); err != nil {
			return nodes, err
		}
	}
	if n, err = s.int32(); err != nil {
		return nodes, err
	}
	for ; n > 0; n-- {
		ref, err := s.int64()
		if err != nil {
			return nodes, err
		}
		k, err := s.int32()
		if err != nil {
			return nodes, err
		}
		if k < -1 {
			return nodes, fmt.Errorf("%w: ACL count %d", ErrCorrupt, k)
		}
		list := make([]proto.ACL, 0, min(max(k, 0), 64))
		for ; k > 0; k-- {
			a, err := s.acl()
			if err != nil {
				return nodes, err
			}
			list = append(list, a)
		}
		if err := sink.SetACL(ref, list); err != nil {
			return nodes, err
		}
	}
	for {
		path, err := s.str()
		if err != nil {
			return nodes, err
		}
		if path == "/" {
			break
		}
		data, err := s.bytes()
		if err != nil {
			return nodes, err
		}
		ref, err := s.int64()
		if err != nil {
			return nodes, err
		}
		sb, err := s.take(statPersistedSize)
		if err != nil {
			return nodes, err
		}
		var st proto.StatPersisted
		st.Decode(jute.NewDecoder(sb))
		if path == "" {
			path = "/"
		}
		if err := sink.AddNode(path, data, ref, st); err != nil {
			return nodes, err
		}
		nodes++
		if nodes%progressEvery == 0 {
			log.Info("loading snapshot", "file", name, "nodes", nodes, "bytes", s.n)
		}
	}
	return nodes, nil
}

func eofIsNil(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return nil
	}
	return err
}

// FileInfo names one snapshot file.
type FileInfo struct {
	Name        string
	Zxid        int64
	Compression Compression
}

// List returns the snapshot files in dir, newest first. Names with a
// suffix other than .gz or .snappy (such as a .tmp left by a crash) are
// skipped; ZooKeeper would read those as plain snapshots.
func List(fs vfs.FS, dir string) ([]FileInfo, error) {
	names, err := fs.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []FileInfo
	for _, n := range names {
		parts := strings.Split(n, ".")
		if len(parts) < 2 || len(parts) > 3 || parts[0] != Prefix {
			continue
		}
		z, err := strconv.ParseInt(parts[1], 16, 64)
		if err != nil {
			continue
		}
		c := Plain
		if len(parts) == 3 {
			switch parts[2] {
			case "gz":
				c = Gzip
			case "snappy":
				c = Snappy
			default:
				continue
			}
		}
		out = append(out, FileInfo{Name: n, Zxid: z, Compression: c})
	}
	slices.SortStableFunc(out, func(a, b FileInfo) int {
		switch {
		case a.Zxid > b.Zxid:
			return -1
		case a.Zxid < b.Zxid:
			return 1
		}
		return 0
	})
	return out, nil
}

// Valid is SnapStream.isValidSnapshot, a cheap check without reading the
// whole file: a plain snapshot is at least 10 bytes and ends with the "/"
// of a seal (00 00 00 01 2F); a gzip one starts with 1F 8B; a snappy one
// with snappy-java's magic.
func Valid(fs vfs.FS, dir string, fi FileInfo) (bool, error) {
	f, err := fs.Open(filepath.Join(dir, fi.Name))
	if err != nil {
		return false, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return false, err
	}
	size := st.Size()
	switch fi.Compression {
	case Gzip:
		var b [2]byte
		if _, err := f.ReadAt(b[:], 0); err != nil {
			return false, nil
		}
		return b[0] == 0x1f && b[1] == 0x8b, nil
	case Snappy:
		var b [8]byte
		if _, err := f.ReadAt(b[:], 0); err != nil {
			return false, nil
		}
		return string(b[:]) == string(snappyMagic), nil
	}
	if size < 10 {
		return false, nil
	}
	var b [5]byte
	if _, err := f.ReadAt(b[:], size-5); err != nil {
		return false, nil
	}
	return b == [5]byte{0, 0, 0, 1, '/'}, nil
}

// ReadFile reads one snapshot file into sink.
func ReadFile(fs vfs.FS, dir string, fi FileInfo, sink Sink, opts ReadOptions) (*ZxidDigest, error) {
	f, err := fs.Open(filepath.Join(dir, fi.Name))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if opts.Name == "" {
		opts.Name = fi.Name
	}
	return Read(f, fi.Compression, sink, opts)
}

// LoadResult says which snapshot Load read.
type LoadResult struct {
	Zxid int64 // from the file name; -1 when there is no snapshot
	Name string
	// Digest is the snapshot's digest, nil if none or if it is older than
	// the snapshot's zxid (then it cannot be checked during replay).
	Digest *ZxidDigest
}

// Load reads the newest valid snapshot in dir into sink (FileSnap
// .deserialize): it tries up to MaxCandidates files that pass Valid,
// newest first, resetting sink and falling back to the next on any error.
// With no snapshot files it returns Zxid -1 and no error; when none can be
// read, ErrNoValidSnapshot.
func Load(fs vfs.FS, dir string, sink Sink, log *slog.Logger) (LoadResult, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	files, err := List(fs, dir)
	if err != nil {
		return LoadResult{Zxid: -1}, err
	}
	tried := 0
	for _, fi := range files {
		if tried == MaxCandidates {
			break
		}
		ok, err := Valid(fs, dir, fi)
		if err != nil || !ok {
			log.Warn("invalid snapshot", "file", fi.Name, "err", err)
			continue
		}
		tried++
		log.Info("reading snapshot", "file", fi.Name)
		sink.Reset()
		d, err := ReadFile(fs, dir, fi, sink, ReadOptions{Logger: log})
		if err != nil {
			log.Warn("problem reading snapshot", "file", fi.Name, "err", err)
			continue
		}
		if d != nil && d.Zxid < fi.Zxid {
			d = nil
		}
		return LoadResult{Zxid: fi.Zxid, Name: fi.Name, Digest: d}, nil
	}
	if tried == 0 {
		return LoadResult{Zxid: -1}, nil
	}
	sink.Reset()
	return LoadResult{Zxid: -1}, fmt.Errorf("%w in %s", ErrNoValidSnapshot, dir)
}

// WriteOptions tune WriteFile.
type WriteOptions struct {
	Compression Compression
	// NoSync skips fsync (tests); by default the file is fsynced before
	// it is renamed into place and the directory is fsynced after.
	NoSync bool
}

// WriteFile writes a snapshot of src taken at zxid into dir: to a .tmp
// file first, then renamed into place, so a crash never leaves a partial
// snapshot under a valid name (AtomicFileOutputStream). It returns the
// file name.
func WriteFile(fs vfs.FS, dir string, zxid int64, src *Source, opts WriteOptions) (string, error) {
	name := Name(zxid, opts.Compression)
	path := filepath.Join(dir, name)
	tmp := path + ".tmp"
	f, err := fs.Create(tmp)
	if err != nil {
		return "", err
	}
	bw := bufio.NewWriterSize(f, 256<<10)
	err = Write(bw, opts.Compression, src)
	if err == nil {
		err = bw.Flush()
	}
	if err == nil && !opts.NoSync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = fs.Rename(tmp, path)
	}
	if err == nil && !opts.NoSync {
		err = fs.SyncDir(dir)
	}
	if err != nil {
		_ = fs.Remove(tmp)
		return "", fmt.Errorf("snapshot: write %s: %w", name, err)
	}
	return name, nil
}
