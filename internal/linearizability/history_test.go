package linearizability

import (
	"math"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func op(client int, in Input, call int64, out Output, ret int64) porcupine.Operation {
	return porcupine.Operation{ClientId: client, Input: in, Call: call, Output: out, Return: ret}
}

func set(k, v string) Input    { return Input{Kind: Set, Key: k, Value: v} }
func create(k, v string) Input { return Input{Kind: Create, Key: k, Value: v} }
func read(k string) Input      { return Input{Kind: Read, Key: k} }

var (
	ok      = Output{OK: true}
	failed  = Output{}
	unknown = Output{Unknown: true}
)

func saw(v string) Output { return Output{OK: true, Value: v} }

const never = math.MaxInt64

func TestCheck(t *testing.T) {
	tests := []struct {
		name string
		h    []porcupine.Operation
		want porcupine.CheckResult
	}{
		{"read of a missing node", []porcupine.Operation{
			op(0, read("/a"), 0, failed, 1),
		}, porcupine.Ok},
		{"create then read", []porcupine.Operation{
			op(0, create("/a", "1"), 0, ok, 1),
			op(1, read("/a"), 2, saw("1"), 3),
		}, porcupine.Ok},
		{"stale read after an acknowledged set", []porcupine.Operation{
			op(0, create("/a", "1"), 0, ok, 1),
			op(0, set("/a", "2"), 2, ok, 3),
			op(1, read("/a"), 4, saw("1"), 5),
		}, porcupine.Illegal},
		{"concurrent set may be seen or not", []porcupine.Operation{
			op(0, create("/a", "1"), 0, ok, 1),
			op(0, set("/a", "2"), 2, ok, 10),
			op(1, read("/a"), 3, saw("1"), 4),
			op(2, read("/a"), 5, saw("2"), 6),
		}, porcupine.Ok},
		{"reads go back in time", []porcupine.Operation{
			op(0, create("/a", "1"), 0, ok, 1),
			op(0, set("/a", "2"), 2, ok, 10),
			op(1, read("/a"), 3, saw("2"), 4),
			op(2, read("/a"), 5, saw("1"), 6),
		}, porcupine.Illegal},
		{"two creates both succeed", []porcupine.Operation{
			op(0, create("/a", "1"), 0, ok, 2),
			op(1, create("/a", "2"), 1, ok, 3),
		}, porcupine.Illegal},
		{"one create wins", []porcupine.Operation{
			op(0, create("/a", "1"), 0, ok, 2),
			op(1, create("/a", "2"), 1, failed, 3),
			op(2, read("/a"), 4, saw("1"), 5),
		}, porcupine.Ok},
		{"set on a missing node fails", []porcupine.Operation{
			op(0, set("/a", "1"), 0, ok, 1),
		}, porcupine.Illegal},
		{"unknown set seen later", []porcupine.Operation{
			op(0, create("/a", "1"), 0, ok, 1),
			op(0, set("/a", "2"), 2, unknown, never),
			op(1, read("/a"), 5, saw("1"), 6),
			op(1, read("/a"), 7, saw("2"), 8),
		}, porcupine.Ok},
		{"unknown set never applied", []porcupine.Operation{
			op(0, create("/a", "1"), 0, ok, 1),
			op(0, set("/a", "2"), 2, unknown, never),
			op(1, read("/a"), 5, saw("1"), 6),
		}, porcupine.Ok},
		{"unknown set seen, then unseen", []porcupine.Operation{
			op(0, create("/a", "1"), 0, ok, 1),
			op(0, set("/a", "2"), 2, unknown, never),
			op(1, read("/a"), 5, saw("2"), 6),
			op(1, read("/a"), 7, saw("1"), 8),
		}, porcupine.Illegal},
		{"lost acknowledged create", []porcupine.Operation{
			op(0, create("/a", "1"), 0, ok, 1),
			op(1, read("/a"), 2, failed, 3),
		}, porcupine.Illegal},
		{"keys are independent", []porcupine.Operation{
			op(0, create("/a", "1"), 0, ok, 1),
			op(0, create("/b", "1"), 2, ok, 3),
			op(1, read("/b"), 4, saw("1"), 5),
			op(1, read("/a"), 6, saw("1"), 7),
		}, porcupine.Ok},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Check(tt.h, 10*time.Second).CheckResult)
		})
	}
}

func TestRecorderConcurrentAndVisualize(t *testing.T) {
	r := NewRecorder()
	r.Call(0, create("/k", "v")).Ok(ok)
	var wg sync.WaitGroup
	for c := 0; c < 4; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.Call(c, create("/k", "v2")).Ok(failed)
			r.Call(c, read("/k")).Ok(saw("v"))
			r.Call(c, read("/k")).Forget()
			r.Call(c, set("/k", "w")).Unknown()
		}()
	}
	wg.Wait()
	h := r.History()
	byKind, unk := Counts(h)
	assert.Equal(t, map[Kind]int{Create: 5, Read: 4, Set: 4}, byKind)
	assert.Equal(t, 4, unk)
	res := Check(h, 10*time.Second)
	require.Equal(t, porcupine.Ok, res.CheckResult)

	bad := append(h, op(9, read("/k"), h[len(h)-1].Call+1, failed, h[len(h)-1].Call+2))
	res = Check(bad, 10*time.Second)
	require.Equal(t, porcupine.Illegal, res.CheckResult)
	path, err := res.Visualize(t.TempDir(), "lin-*.html")
	require.NoError(t, err)
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.True(t, strings.Contains(string(b), "read(/k)"), "the visualization names the operations")
}

func BenchmarkCheck(b *testing.B) {
	var h []porcupine.Operation
	var ts int64
	for i := 0; i < 2000; i++ {
		k := []string{"/a", "/b", "/c", "/d"}[i%4]
		if i < 4 {
			h = append(h, op(0, create(k, "0"), ts, ok, ts+1))
		} else {
			v := string(rune('a' + i%26))
			h = append(h, op(i%3, set(k, v), ts, ok, ts+3))
			h = append(h, op(3+i%3, read(k), ts+1, saw(v), ts+4))
		}
		ts += 5
	}
	b.ResetTimer()
	for range b.N {
		if Check(h, 0).CheckResult != porcupine.Ok {
			b.Fatal("not linearizable")
		}
	}
}
