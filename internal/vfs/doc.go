// Package vfs is the filesystem seam under zkit's storage: the txn log,
// snapshots and epoch files do all their I/O through an FS, so tests can
// run them on Mem, lose every unsynced byte with Mem.CrashClone, and inject
// write, fsync, create or disk-full errors.
//
// Two implementations:
//
//   - OS, the real filesystem (os.File).
//   - Mem, an in-memory filesystem with a strict crash model: file data is
//     durable only up to the file's last Sync; a created, renamed or removed
//     directory entry is durable only after SyncDir of its directory;
//     MkdirAll is durable at once. CrashClone returns what would survive a
//     crash at that moment. SetInjector fails chosen operations before they
//     happen (the InjectFunc runs without Mem's lock, so it may take a
//     CrashClone to model "the process died here"); SetSpaceLimit makes a
//     write that would pass the limit store what fits and fail with ENOSPC.
//
// Callers' duties, so that what they acknowledged survives a crash on any
// filesystem:
//
//  1. Sync a file before relying on its data.
//  2. SyncDir a directory after creating, renaming or removing an entry in
//     it, before relying on that entry (WriteFileAtomic does both for a
//     small file).
//  3. Treat any error from Write or Sync as fatal for that file: after a
//     failed fsync the kernel may have dropped the dirty pages, so a retry
//     can report success for data that is gone.
//
// Mem serialises every operation on one mutex; it is for tests, not speed.
// An open Mem file's offset belongs to that handle, as with os.File.
package vfs
