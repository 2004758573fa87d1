package vfs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Op names a filesystem operation for error injection.
type Op int

// Operations seen by an InjectFunc.
const (
	OpCreate Op = iota
	OpOpen
	OpRead
	OpWrite
	OpSync
	OpSyncDir
	OpRemove
	OpRename
	OpMkdir
	OpTruncate
	OpStat
	OpReadDir
)

var opNames = [...]string{"create", "open", "read", "write", "sync", "syncdir",
	"remove", "rename", "mkdir", "truncate", "stat", "readdir"}

func (o Op) String() string {
	if int(o) < len(opNames) {
		return opNames[o]
	}
	return fmt.Sprintf("op(%d)", int(o))
}

// InjectFunc is consulted before every operation on a Mem; a non-nil error
// fails the operation without doing it. It runs without Mem's lock held, so
// it may call CrashClone.
type InjectFunc func(op Op, name string) error

// ErrInjected is the error FailOn and friends inject.
var ErrInjected = errors.New("vfs: injected error")

// FailOn returns an InjectFunc failing every operation of kind op (on any
// file whose name contains substr) with ErrInjected.
func FailOn(op Op, substr string) InjectFunc {
	return func(o Op, name string) error {
		if o == op && strings.Contains(name, substr) {
			return fmt.Errorf("%w: %s %s", ErrInjected, o, name)
		}
		return nil
	}
}

// Mem is an in-memory filesystem that can simulate a crash.
//
// Crash model (CrashClone):
//   - A file's data survives a crash as it was at the file's last Sync;
//     bytes written after it are lost (a file never synced is empty).
//   - A directory entry made by Create, Rename or Remove survives only once
//     SyncDir has been called on its directory; until then a crash undoes
//     it (a created file vanishes, a renamed file has its old name, a
//     removed file comes back with its synced data).
//   - Directories made by MkdirAll are durable at once, and Truncate of a
//     file is durable at the file's next Sync (it changes the data).
//
// This is the strict model of pebble's MemFS; real filesystems are often
// kinder (ext4 orders data before a rename), so code correct on Mem is
// correct there.
type Mem struct {
	// mu guards root, every node below it, used and limit.
	mu     sync.Mutex
	root   *memNode
	used   int64
	limit  int64 // -1: no limit
	inject InjectFunc
}

type memNode struct {
	isDir bool
	// file
	data   []byte
	synced []byte
	// directory
	children       map[string]*memNode
	syncedChildren map[string]*memNode
	modTime        time.Time
}

func newDir() *memNode {
	return &memNode{isDir: true, children: map[string]*memNode{}, syncedChildren: map[string]*memNode{}}
}

var _ FS = (*Mem)(nil)

// NewMem returns an empty in-memory filesystem.
func NewMem() *Mem { return &Mem{root: newDir(), limit: -1} }

// SetInjector installs f (nil removes it). Call it before handing the Mem to
// concurrent users.
func (m *Mem) SetInjector(f InjectFunc) {
	m.mu.Lock()
	m.inject = f
	m.mu.Unlock()
}

// SetSpaceLimit makes writes fail with ENOSPC once the files' total size
// would pass n bytes; the write stores what fits. n < 0 removes the limit.
func (m *Mem) SetSpaceLimit(n int64) {
	m.mu.Lock()
	m.limit = n
	m.mu.Unlock()
}

// CrashClone returns a new filesystem holding only what would survive a
// crash now (see the crash model on Mem). The clone has no injector.
func (m *Mem) CrashClone() *Mem {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := &Mem{limit: -1}
	c.root = c.crashCopy(m.root)
	return c
}

func (c *Mem) crashCopy(n *memNode) *memNode {
	if !n.isDir {
		d := slices.Clone(n.synced)
		c.used += int64(len(d))
		return &memNode{data: d, synced: slices.Clone(d), modTime: n.modTime}
	}
	d := newDir()
	d.modTime = n.modTime
	for name, ch := range n.syncedChildren {
		cc := c.crashCopy(ch)
		d.children[name] = cc
		d.syncedChildren[name] = cc
	}
	return d
}

func (m *Mem) check(op Op, name string) error {
	m.mu.Lock()
	f := m.inject
	m.mu.Unlock()
	if f == nil {
		return nil
	}
	return f(op, name)
}

func split(name string) []string {
	name = path.Clean("/" + strings.ReplaceAll(name, "\\", "/"))
	if name == "/" {
		return nil
	}
	return strings.Split(name[1:], "/")
}

// lookup walks to name; the caller holds mu.
func (m *Mem) lookup(name string) (*memNode, error) {
	n := m.root
	for _, p := range split(name) {
		if !n.isDir {
			return nil, syscall.ENOTDIR
		}
		ch, ok := n.children[p]
		if !ok {
			return nil, fs.ErrNotExist
		}
		n = ch
	}
	return n, nil
}

// parent returns name's directory node and base name; the caller holds mu.
func (m *Mem) parent(name string) (*memNode, string, error) {
	parts := split(name)
	if len(parts) == 0 {
		return nil, "", fs.ErrInvalid
	}
	dir, err := m.lookup("/" + strings.Join(parts[:len(parts)-1], "/"))
	if err != nil {
		return nil, "", err
	}
	if !dir.isDir {
		return nil, "", syscall.ENOTDIR
	}
	return dir, parts[len(parts)-1], nil
}

func pathErr(op, name string, err error) error {
	return &os.PathError{Op: op, Path: name, Err: err}
}

// Create implements FS.
func (m *Mem) Create(name string) (File, error) {
	if err := m.check(OpCreate, name); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	dir, base, err := m.parent(name)
	if err != nil {
		return nil, pathErr("create", name, err)
	}
	if ch, ok := dir.children[base]; ok {
		if ch.isDir {
			return nil, pathErr("create", name, syscall.EISDIR)
		}
		// Truncating an existing file changes its data, not its entry.
		m.used -= int64(len(ch.data))
		ch.data = nil
		return &memFile{m: m, n: ch, name: name}, nil
	}
	n := &memNode{}
	dir.children[base] = n
	return &memFile{m: m, n: n, name: name}, nil
}

func (m *Mem) open(name string, write bool) (File, error) {
	if err := m.check(OpOpen, name); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	n, err := m.lookup(name)
	if err != nil {
		return nil, pathErr("open", name, err)
	}
	if n.isDir && write {
		return nil, pathErr("open", name, syscall.EISDIR)
	}
	return &memFile{m: m, n: n, name: name, readOnly: !write}, nil
}

// Open implements FS.
func (m *Mem) Open(name string) (File, error) { return m.open(name, false) }

// OpenFile implements FS.
func (m *Mem) OpenFile(name string) (File, error) { return m.open(name, true) }

// ReadDir implements FS.
func (m *Mem) ReadDir(dir string) ([]string, error) {
	if err := m.check(OpReadDir, dir); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	n, err := m.lookup(dir)
	if err != nil {
		return nil, pathErr("readdir", dir, err)
	}
	if !n.isDir {
		return nil, pathErr("readdir", dir, syscall.ENOTDIR)
	}
	names := make([]string, 0, len(n.children))
	for k := range n.children {
		names = append(names, k)
	}
	slices.Sort(names)
	return names, nil
}

// Remove implements FS.
func (m *Mem) Remove(name string) error {
	if err := m.check(OpRemove, name); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	dir, base, err := m.parent(name)
	if err != nil {
		return pathErr("remove", name, err)
	}
	n, ok := dir.children[base]
	if !ok {
		return pathErr("remove", name, fs.ErrNotExist)
	}
	if n.isDir && len(n.children) > 0 {
		return pathErr("remove", name, syscall.ENOTEMPTY)
	}
	delete(dir.children, base)
	m.used -= int64(len(n.data))
	return nil
}

// Rename implements FS.
func (m *Mem) Rename(oldname, newname string) error {
	if err := m.check(OpRename, oldname); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	od, ob, err := m.parent(oldname)
	if err != nil {
		return pathErr("rename", oldname, err)
	}
	n, ok := od.children[ob]
	if !ok {
		return pathErr("rename", oldname, fs.ErrNotExist)
	}
	nd, nb, err := m.parent(newname)
	if err != nil {
		return pathErr("rename", newname, err)
	}
	if old, ok := nd.children[nb]; ok {
		if old.isDir {
			return pathErr("rename", newname, syscall.EISDIR)
		}
		m.used -= int64(len(old.data))
	}
	delete(od.children, ob)
	nd.children[nb] = n
	return nil
}

// MkdirAll implements FS. New directories are durable at once.
func (m *Mem) MkdirAll(dir string) error {
	if err := m.check(OpMkdir, dir); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	n := m.root
	for _, p := range split(dir) {
		ch, ok := n.children[p]
		if !ok {
			ch = newDir()
			n.children[p] = ch
			n.syncedChildren[p] = ch
		} else if !ch.isDir {
			return pathErr("mkdir", dir, syscall.ENOTDIR)
		}
		n = ch
	}
	return nil
}

// Stat implements FS.
func (m *Mem) Stat(name string) (os.FileInfo, error) {
	if err := m.check(OpStat, name); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	n, err := m.lookup(name)
	if err != nil {
		return nil, pathErr("stat", name, err)
	}
	return n.info(path.Base("/" + name)), nil
}

// Truncate implements FS.
func (m *Mem) Truncate(name string, size int64) error {
	if err := m.check(OpTruncate, name); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	n, err := m.lookup(name)
	if err != nil {
		return pathErr("truncate", name, err)
	}
	return m.truncate(n, name, size)
}

func (m *Mem) truncate(n *memNode, name string, size int64) error {
	if n.isDir {
		return pathErr("truncate", name, syscall.EISDIR)
	}
	if size < 0 {
		return pathErr("truncate", name, fs.ErrInvalid)
	}
	if size <= int64(len(n.data)) {
		m.used -= int64(len(n.data)) - size
		n.data = n.data[:size:size]
		return nil
	}
	_, err := m.writeAt(n, name, nil, size)
	return err
}

// SyncDir implements FS.
func (m *Mem) SyncDir(dir string) error {
	if err := m.check(OpSyncDir, dir); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	n, err := m.lookup(dir)
	if err != nil {
		return pathErr("syncdir", dir, err)
	}
	if !n.isDir {
		return pathErr("syncdir", dir, syscall.ENOTDIR)
	}
	n.syncedChildren = make(map[string]*memNode, len(n.children))
	for k, v := range n.children {
		n.syncedChildren[k] = v
	}
	return nil
}

// writeAt writes p at off, growing the file with zeros as needed and
// honouring the space limit; the caller holds mu.
func (m *Mem) writeAt(n *memNode, name string, p []byte, off int64) (int, error) {
	end := off + int64(len(p))
	grow := end - int64(len(n.data))
	var err error
	if grow > 0 && m.limit >= 0 && m.used+grow > m.limit {
		fit := max(m.limit-m.used, 0)
		if off > int64(len(n.data))+fit {
			return 0, pathErr("write", name, syscall.ENOSPC)
		}
		end = int64(len(n.data)) + fit
		p = p[:max(end-off, 0)]
		grow = fit
		err = pathErr("write", name, syscall.ENOSPC)
	}
	if grow > 0 {
		n.data = append(n.data, make([]byte, grow)...)
		m.used += grow
	}
	copy(n.data[off:], p)
	n.modTime = time.Now()
	return len(p), err
}

func (n *memNode) info(name string) os.FileInfo {
	return memInfo{name: name, size: int64(len(n.data)), dir: n.isDir, mod: n.modTime}
}

type memInfo struct {
	name string
	size int64
	dir  bool
	mod  time.Time
}

func (i memInfo) Name() string { return i.name }
func (i memInfo) Size() int64  { return i.size }
func (i memInfo) Mode() fs.FileMode {
	if i.dir {
		return fs.ModeDir | 0o755
	}
	return 0o644
}
func (i memInfo) ModTime() time.Time { return i.mod }
func (i memInfo) IsDir() bool        { return i.dir }
func (i memInfo) Sys() any           { return nil }

// memFile is an open Mem file. Its offset is its own (one user each).
type memFile struct {
	m        *Mem
	n        *memNode
	name     string
	off      int64
	readOnly bool
	closed   bool
}

var errClosed = errors.New("vfs: file already closed")

func (f *memFile) Read(p []byte) (int, error) {
	n, err := f.ReadAt(p, f.off)
	f.off += int64(n)
	return n, err
}

func (f *memFile) ReadAt(p []byte, off int64) (int, error) {
	if err := f.m.check(OpRead, f.name); err != nil {
		return 0, err
	}
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	if f.closed {
		return 0, pathErr("read", f.name, errClosed)
	}
	if f.n.isDir {
		return 0, pathErr("read", f.name, syscall.EISDIR)
	}
	if off >= int64(len(f.n.data)) {
		return 0, io.EOF
	}
	n := copy(p, f.n.data[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (f *memFile) Write(p []byte) (int, error) {
	n, err := f.WriteAt(p, f.off)
	f.off += int64(n)
	return n, err
}

func (f *memFile) WriteAt(p []byte, off int64) (int, error) {
	if err := f.m.check(OpWrite, f.name); err != nil {
		return 0, err
	}
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	if f.closed {
		return 0, pathErr("write", f.name, errClosed)
	}
	if f.readOnly {
		return 0, pathErr("write", f.name, syscall.EBADF)
	}
	return f.m.writeAt(f.n, f.name, p, off)
}

func (f *memFile) Seek(offset int64, whence int) (int64, error) {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	var abs int64
	switch whence {
	case io.SeekStart:
		abs = offset
	case io.SeekCurrent:
		abs = f.off + offset
	case io.SeekEnd:
		abs = int64(len(f.n.data)) + offset
	default:
		return 0, pathErr("seek", f.name, fs.ErrInvalid)
	}
	if abs < 0 {
		return 0, pathErr("seek", f.name, fs.ErrInvalid)
	}
	f.off = abs
	return abs, nil
}

func (f *memFile) Sync() error {
	if err := f.m.check(OpSync, f.name); err != nil {
		return err
	}
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	if f.closed {
		return pathErr("sync", f.name, errClosed)
	}
	f.n.synced = slices.Clone(f.n.data)
	return nil
}

func (f *memFile) Truncate(size int64) error {
	if err := f.m.check(OpTruncate, f.name); err != nil {
		return err
	}
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	if f.readOnly {
		return pathErr("truncate", f.name, syscall.EBADF)
	}
	return f.m.truncate(f.n, f.name, size)
}

func (f *memFile) Stat() (os.FileInfo, error) {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	return f.n.info(path.Base("/" + f.name)), nil
}

func (f *memFile) Close() error {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	if f.closed {
		return pathErr("close", f.name, errClosed)
	}
	f.closed = true
	return nil
}
