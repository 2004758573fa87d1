package main

import (
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/zkit-go/zkit/internal/snapshot"
	"github.com/zkit-go/zkit/internal/txnlog"
	"github.com/zkit-go/zkit/internal/vfs"
)

// The on-disk tools: "zkit log dump" prints a txn log file as ZooKeeper's
// TxnLogToolkit (zkTxnLogToolkit.sh) does in its default dump mode, and
// "zkit snap dump" prints a snapshot as SnapshotFormatter
// (zkSnapShotToolkit.sh) does. Times are in the local time zone (TZ), as
// Java prints them.

func init() {
	register(command{
		name:    "log",
		summary: "log dump <file>    print a txn log as ZooKeeper's TxnLogToolkit does",
		run:     runLog,
	})
	register(command{
		name:    "snap",
		summary: "snap dump [-d] <file>\n                     print a snapshot as ZooKeeper's SnapshotFormatter does\n                     (-d: node data in base64 instead of its length)",
		run:     runSnap,
	})
}

func runLog(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	const use = "usage: zkit log dump <log file>\n"
	if len(args) == 0 || args[0] != "dump" {
		fmt.Fprint(stderr, use)
		return 2
	}
	fl := flag.NewFlagSet("log dump", flag.ContinueOnError)
	fl.SetOutput(stderr)
	fl.Usage = func() { fmt.Fprint(stderr, use) }
	if err := fl.Parse(args[1:]); err != nil {
		return 2
	}
	if fl.NArg() != 1 {
		fmt.Fprint(stderr, use)
		return 2
	}
	if err := txnlog.Dump(stdout, vfs.OS{}, fl.Arg(0), nil); err != nil {
		fmt.Fprintf(stderr, "zkit: %v\n", err)
		return 1
	}
	return 0
}

func runSnap(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	const use = "usage: zkit snap dump [-d] <snapshot file>\n"
	if len(args) == 0 || args[0] != "dump" {
		fmt.Fprint(stderr, use)
		return 2
	}
	fl := flag.NewFlagSet("snap dump", flag.ContinueOnError)
	fl.SetOutput(stderr)
	fl.Usage = func() { fmt.Fprint(stderr, use) }
	data := fl.Bool("d", false, "print node data (base64)")
	if err := fl.Parse(args[1:]); err != nil {
		return 2
	}
	if fl.NArg() != 1 {
		fmt.Fprint(stderr, use)
		return 2
	}
	path := fl.Arg(0)
	fi := snapshotInfo(filepath.Base(path))
	if err := snapshot.Dump(stdout, vfs.OS{}, filepath.Dir(path), fi, snapshot.DumpOptions{Data: *data}); err != nil {
		fmt.Fprintf(stderr, "zkit: %v\n", err)
		return 1
	}
	return 0
}

// snapshotInfo reads the zxid and compression from a snapshot's file name
// as SnapshotFormatter does: the compression from the extension, the zxid
// from "snapshot.<hex>", -1 when the name is not of that form (the last
// zxid printed then comes from the nodes alone).
func snapshotInfo(name string) snapshot.FileInfo {
	fi := snapshot.FileInfo{Name: name, Zxid: -1, Compression: snapshot.Plain}
	switch {
	case strings.HasSuffix(name, ".gz"):
		fi.Compression = snapshot.Gzip
	case strings.HasSuffix(name, ".snappy"):
		fi.Compression = snapshot.Snappy
	}
	if z, ok := txnlog.ParseName(name, snapshot.Prefix); ok {
		fi.Zxid = z
	}
	return fi
}
