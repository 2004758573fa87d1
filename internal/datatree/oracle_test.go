package datatree

import (
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/jute"
	"github.com/zkit-go/zkit/internal/proto"
)

const zookeeperJar = "/usr/share/java/zookeeper.jar"

// javaOracle compiles testdata/Oracle.java once per test and returns a
// function that runs txns through Java's DataTree and returns its dump.
func javaOracle(t *testing.T) func(t *testing.T, txns []txn, extended bool) []string {
	t.Helper()
	if _, err := os.Stat(zookeeperJar); err != nil {
		t.Skipf("Java ZooKeeper not installed (%s missing; apt-get install zookeeper)", zookeeperJar)
	}
	javac, err := exec.LookPath("javac")
	if err != nil {
		t.Skip("javac not found; the Java oracle needs a JDK")
	}
	dir := t.TempDir()
	src, err := filepath.Abs("testdata/Oracle.java")
	require.NoError(t, err)
	out, err := exec.Command(javac, "-nowarn", "-cp", zookeeperJar, "-d", dir, src).CombinedOutput()
	require.NoError(t, err, "javac: %s", out)
	return func(t *testing.T, txns []txn, extended bool) []string {
		in := filepath.Join(dir, "txns.bin")
		res := filepath.Join(dir, "out.txt")
		var b []byte
		b = binary.BigEndian.AppendUint32(b, uint32(len(txns)))
		for _, tx := range txns {
			var e jute.Encoder
			proto.EncodeTxnEntry(&e, &tx.hdr, tx.rec, nil)
			b = binary.BigEndian.AppendUint32(b, uint32(e.Len()))
			b = append(b, e.Bytes()...)
		}
		require.NoError(t, os.WriteFile(in, b, 0o644))
		// ORACLE_JOPT and ORACLE_CP help debugging, e.g.
		// ORACLE_JOPT=-Dorg.slf4j.simpleLogger.defaultLogLevel=debug
		// ORACLE_CP=:/usr/share/java/slf4j-simple.jar shows Java's log.
		var args []string
		if o := os.Getenv("ORACLE_JOPT"); o != "" {
			args = append(args, o)
		}
		args = append(args, "-XX:TieredStopAtLevel=1",
			fmt.Sprintf("-Dzookeeper.extendedTypesEnabled=%v", extended),
			"-cp", zookeeperJar+":"+dir+os.Getenv("ORACLE_CP"), "Oracle", in, res)
		out, err := exec.Command("java", args...).CombinedOutput()
		if os.Getenv("ORACLE_CP") != "" {
			t.Logf("%s", out)
		}
		require.NoError(t, err, "java: %s", out)
		got, err := os.ReadFile(res)
		require.NoError(t, err)
		return strings.Split(strings.TrimRight(string(got), "\n"), "\n")
	}
}

// goDump applies txns to a fresh tree and renders it as the oracle does.
func goDump(t *testing.T, txns []txn, opts ...Option) []string {
	tr := New(opts...)
	var lines []string
	for i := range txns {
		// Round-trip through the log encoding, as replay would.
		var e jute.Encoder
		proto.EncodeTxnEntry(&e, &txns[i].hdr, txns[i].rec, nil)
		hdr, rec, _, err := proto.DecodeTxnEntry(e.Bytes())
		require.NoError(t, err)
		r := tr.ProcessTxn(&hdr, rec)
		lines = append(lines, fmt.Sprintf("txn %s digest %d", resultString(r), tr.Digest()))
	}
	return append(lines, dump(t, tr)...)
}

func TestJavaOracleDataTree(t *testing.T) {
	oracle := javaOracle(t)
	for _, extended := range []bool{true, false} {
		for _, seed := range []uint64{1, 2, 3} {
			t.Run(fmt.Sprintf("extended=%v/seed=%d", extended, seed), func(t *testing.T) {
				txns, _ := genTxns(t, seed, 400, WithExtendedTypes(extended))
				want := oracle(t, txns, extended)
				got := goDump(t, txns, WithExtendedTypes(extended))
				for i := range min(len(want), len(got)) {
					if !assert.Equal(t, want[i], got[i], "line %d", i) {
						return
					}
				}
				assert.Equal(t, len(want), len(got))
			})
		}
	}
}

func TestJavaOracleFreshTree(t *testing.T) {
	oracle := javaOracle(t)
	assert.Equal(t, oracle(t, nil, false), goDump(t, nil))
}
