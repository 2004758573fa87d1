package zkdb_test

import (
	"io"
	"log/slog"
	"os"
	"runtime"
	"testing"

	"github.com/zkit-go/zkit/internal/datatree"
	"github.com/zkit-go/zkit/internal/zkdb"
)

// BenchmarkRestore restores the data directory named by ZKIT_BENCH_DATADIR
// (such as one scripts/bench-durable.sh populates with KEEP=1) and reports
// the live heap after the restore, for profiling restart time and memory:
//
//	ZKIT_BENCH_DATADIR=/tmp/bdwork/pop/data go test -run - -bench Restore \
//	  -benchtime 1x -cpuprofile cpu.out -memprofile mem.out ./internal/zkdb
func BenchmarkRestore(b *testing.B) {
	dir := os.Getenv("ZKIT_BENCH_DATADIR")
	if dir == "" {
		b.Skip("set ZKIT_BENCH_DATADIR to a ZooKeeper data directory to restore")
	}
	for i := 0; i < b.N; i++ {
		db, err := zkdb.Open(zkdb.Config{
			DataDir:     dir,
			Logger:      slog.New(slog.NewTextHandler(io.Discard, nil)),
			TreeOptions: []datatree.Option{datatree.WithDigest(true)},
		})
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "heapMiB")
		b.ReportMetric(float64(ms.HeapAlloc)/float64(max(db.Tree.NodeCount(), 1)), "B/znode")
		runtime.KeepAlive(db)
		if err := db.Close(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}
