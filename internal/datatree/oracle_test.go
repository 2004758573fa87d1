package datatree

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/javatest"
	"github.com/zkit-go/zkit/internal/jute"
	"github.com/zkit-go/zkit/internal/proto"
)

// javaOracle compiles testdata/Oracle.java once per test and returns a
// function that runs txns through Java's DataTree and returns its dump.
func javaOracle(t *testing.T) func(t *testing.T, txns []txn, extended bool) []string {
	t.Helper()
	d := javatest.Compile(t, javatest.QuietClasspath, "testdata/Oracle.java")
	dir := d.Dir()
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
		// ORACLE_JOPT adds a JVM flag when debugging; the output is then logged.
		flags := []string{fmt.Sprintf("-Dzookeeper.extendedTypesEnabled=%v", extended)}
		if o := os.Getenv("ORACLE_JOPT"); o != "" {
			flags = append(flags, o)
		}
		out, err := d.Command(context.Background(), flags, "Oracle", in, res).CombinedOutput()
		if os.Getenv("ORACLE_JOPT") != "" {
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
