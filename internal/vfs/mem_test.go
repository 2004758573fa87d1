package vfs

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func writeFile(t *testing.T, fs FS, name, data string, sync bool) {
	t.Helper()
	f, err := fs.Create(name)
	require.NoError(t, err)
	_, err = f.Write([]byte(data))
	require.NoError(t, err)
	if sync {
		require.NoError(t, f.Sync())
	}
	require.NoError(t, f.Close())
}

func readAll(t *testing.T, fs FS, name string) string {
	t.Helper()
	b, err := ReadFile(fs, name)
	require.NoError(t, err)
	return string(b)
}

// The same behaviour on both implementations.
func TestFSBasics(t *testing.T) {
	for _, tc := range []struct {
		name string
		fs   FS
		dir  string
	}{
		{"mem", NewMem(), "/d"},
		{"os", OS{}, t.TempDir()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs, dir := tc.fs, filepath.Join(tc.dir, "sub")
			require.NoError(t, fs.MkdirAll(dir))
			a := filepath.Join(dir, "a")
			writeFile(t, fs, a, "hello world", true)
			assert.Equal(t, "hello world", readAll(t, fs, a))

			f, err := fs.OpenFile(a)
			require.NoError(t, err)
			_, err = f.Seek(0, io.SeekEnd)
			require.NoError(t, err)
			_, err = f.Write([]byte("!"))
			require.NoError(t, err)
			_, err = f.WriteAt([]byte{0}, 19)
			require.NoError(t, err)
			st, err := f.Stat()
			require.NoError(t, err)
			assert.EqualValues(t, 20, st.Size())
			buf := make([]byte, 5)
			_, err = f.ReadAt(buf, 6)
			require.NoError(t, err)
			assert.Equal(t, "world", string(buf))
			require.NoError(t, f.Truncate(5))
			require.NoError(t, f.Close())
			assert.Equal(t, "hello", readAll(t, fs, a))

			require.NoError(t, fs.Truncate(a, 2))
			assert.Equal(t, "he", readAll(t, fs, a))

			b := filepath.Join(dir, "b")
			require.NoError(t, fs.Rename(a, b))
			names, err := fs.ReadDir(dir)
			require.NoError(t, err)
			assert.Equal(t, []string{"b"}, names)
			ok, err := Exists(fs, a)
			require.NoError(t, err)
			assert.False(t, ok)

			require.NoError(t, WriteFileAtomic(fs, filepath.Join(dir, "e"), []byte("12")))
			assert.Equal(t, "12", readAll(t, fs, filepath.Join(dir, "e")))
			require.NoError(t, fs.Remove(b))
			_, err = fs.Stat(b)
			assert.ErrorIs(t, err, os.ErrNotExist)
			_, err = fs.Open(b)
			assert.ErrorIs(t, err, os.ErrNotExist)

			ro, err := fs.Open(filepath.Join(dir, "e"))
			require.NoError(t, err)
			_, err = ro.Write([]byte("x"))
			assert.Error(t, err)
			require.NoError(t, ro.Close())
		})
	}
}

func TestMemCrashCloneDropsUnsynced(t *testing.T) {
	m := NewMem()
	require.NoError(t, m.MkdirAll("/d"))
	writeFile(t, m, "/d/synced", "abc", true)
	writeFile(t, m, "/d/unsynced", "xyz", false)
	require.NoError(t, m.SyncDir("/d"))

	f, err := m.OpenFile("/d/synced")
	require.NoError(t, err)
	_, err = f.Seek(0, io.SeekEnd)
	require.NoError(t, err)
	_, err = f.Write([]byte("def"))
	require.NoError(t, err)

	writeFile(t, m, "/d/new", "n", true) // data synced, entry not
	require.NoError(t, m.Rename("/d/unsynced", "/d/renamed"))

	c := m.CrashClone()
	names, err := c.ReadDir("/d")
	require.NoError(t, err)
	assert.Equal(t, []string{"synced", "unsynced"}, names)
	assert.Equal(t, "abc", readAll(t, c, "/d/synced"))
	assert.Equal(t, "", readAll(t, c, "/d/unsynced"))

	require.NoError(t, f.Sync())
	require.NoError(t, m.SyncDir("/d"))
	require.NoError(t, m.Remove("/d/new")) // not yet durable
	c = m.CrashClone()
	names, err = c.ReadDir("/d")
	require.NoError(t, err)
	assert.Equal(t, []string{"new", "renamed", "synced"}, names)
	assert.Equal(t, "abcdef", readAll(t, c, "/d/synced"))
	assert.Equal(t, "n", readAll(t, c, "/d/new"))
}

func TestMemInjection(t *testing.T) {
	m := NewMem()
	require.NoError(t, m.MkdirAll("/d"))
	m.SetInjector(FailOn(OpSync, "log"))
	f, err := m.Create("/d/log.1")
	require.NoError(t, err)
	_, err = f.Write([]byte("x"))
	require.NoError(t, err)
	assert.ErrorIs(t, f.Sync(), ErrInjected)
	writeFile(t, m, "/d/other", "ok", true)

	m.SetInjector(nil)
	m.SetSpaceLimit(4) // "x" + "ok" used 3
	g, err := m.Create("/d/full")
	require.NoError(t, err)
	n, err := g.Write([]byte("abc"))
	assert.Equal(t, 1, n)
	assert.True(t, errors.Is(err, syscall.ENOSPC))
	assert.Equal(t, "a", readAll(t, m, "/d/full"))
	m.SetSpaceLimit(-1)
	_, err = g.Write([]byte("bc"))
	require.NoError(t, err)
}
