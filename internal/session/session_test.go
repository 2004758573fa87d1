package session

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/proto"
)

// Vectors printed by Java 17:
//
//	new java.util.Random(id ^ 0xB3415C00L).nextBytes(new byte[16])
var passwdVectors = []struct {
	id   uint64
	want string
}{
	{0x0, "f22acd4a97e69d6d20a49bb638eadb38"},
	{0x1, "054cc74a37327db215e702e20c73f005"},
	{0xffffffffffffffff, "20f62cb5648dc2d771471c8a2486a9ee"},
	{0x1000000000000, "f22acd4a97e69d6d20a49bb638eadb38"},
	{0x100017a2b3c0000, "065cbb0e1bc49070548db8d85ced9fcc"},
	{0x8000000000000001, "054cc74a37327db215e702e20c73f005"},
	{0x100000000000000, "f22acd4a97e69d6d20a49bb638eadb38"},
	{0xb3415c00, "60b420bb3851d9d47acb933dbe70399b"},
}

func TestGeneratePasswdVectors(t *testing.T) {
	for _, v := range passwdVectors {
		got := GeneratePasswd(int64(v.id))
		assert.Equal(t, v.want, hex.EncodeToString(got), "id %#x", v.id)
		if v.id != 0 {
			assert.True(t, CheckPasswd(int64(v.id), got), "id %#x", v.id)
		}
	}
}

func TestJavaRandomOddLength(t *testing.T) {
	// Java: new java.util.Random(42).nextBytes(new byte[7]).
	r := newJavaRandom(42)
	b := make([]byte, 7)
	r.nextBytes(b)
	assert.Equal(t, "359d41baf78afe", hex.EncodeToString(b))
}

func TestCheckPasswd(t *testing.T) {
	id := int64(0x100017a2b3c0000)
	p := GeneratePasswd(id)
	assert.True(t, CheckPasswd(id, p))
	assert.False(t, CheckPasswd(0, GeneratePasswd(0)), "id 0 never matches")
	assert.False(t, CheckPasswd(id, p[:15]))
	assert.False(t, CheckPasswd(id, make([]byte, 16)))
	assert.False(t, CheckPasswd(id, nil))
	bad := bytes.Clone(p)
	bad[15] ^= 1
	assert.False(t, CheckPasswd(id, bad))
}

func TestInitialID(t *testing.T) {
	// Values of ((ms << 24) >>> 8) | (serverId << 56) printed by Java.
	cases := []struct {
		ms, server int64
		want       uint64
	}{
		{1700000000000, 1, 0x18bcfe568000000},
		{1700000000000, 255, 0xff8bcfe568000000},
		{123456789, 1, 0x100075bcd150000},
		{0x7fffffffffff, 128, 0x80ffffffffff0000},
		{-1, 0, 0xffffffffff0000},
		{1 << 40, 3, 0x300000000000000},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, uint64(InitialID(tc.server, tc.ms)), "ms=%d server=%d", tc.ms, tc.server)
	}
	// The container marker is skipped.
	assert.Equal(t, int64(math.MinInt64+1), InitialID(128, 0))
}

func TestTimeoutBounds(t *testing.T) {
	cases := []struct {
		tick, min, max int32
		lo, hi         int32
		err            bool
	}{
		{2000, -1, -1, 4000, 40000, false},
		{2000, 1000, -1, 1000, 40000, false},
		{2000, -1, 100000, 4000, 100000, false},
		{2000, 5000, 5000, 5000, 5000, false},
		{2000, 50000, -1, 0, 0, true},
		{2000, 3000, 2000, 0, 0, true},
		{2000, -5, -1, -5, 40000, false},
	}
	for _, tc := range cases {
		lo, hi, err := TimeoutBounds(tc.tick, tc.min, tc.max)
		if tc.err {
			assert.ErrorIs(t, err, ErrTimeoutBounds)
			continue
		}
		require.NoError(t, err)
		assert.Equal(t, tc.lo, lo)
		assert.Equal(t, tc.hi, hi)
	}
}

func TestNegotiateTimeout(t *testing.T) {
	cases := []struct{ req, want int32 }{
		{0, 4000}, {-1, 4000}, {3999, 4000}, {4000, 4000}, {10000, 10000},
		{40000, 40000}, {40001, 40000}, {math.MaxInt32, 40000},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, NegotiateTimeout(tc.req, 4000, 40000), "req %d", tc.req)
	}
}

func newTracker(t *testing.T, now int64) *Tracker {
	t.Helper()
	tr, err := New(Config{TickTime: 2000, ServerID: 1, IDTimeMs: 1700000000000, Now: now})
	require.NoError(t, err)
	return tr
}

func TestNewRejectsBadTick(t *testing.T) {
	_, err := New(Config{TickTime: 0})
	require.ErrorIs(t, err, ErrBadTickTime)
}

func TestCreateIDs(t *testing.T) {
	tr := newTracker(t, 0)
	a := tr.Create(4000, 0)
	b := tr.Create(4000, 0)
	assert.Equal(t, int64(0x18bcfe568000000), a)
	assert.Equal(t, a+1, b)
	assert.Equal(t, 2, tr.Len())
	to, ok := tr.Timeout(a)
	assert.True(t, ok)
	assert.Equal(t, int32(4000), to)
}

func TestExpiryBuckets(t *testing.T) {
	tr := newTracker(t, 1000)
	assert.Equal(t, int64(2000), tr.NextExpiry(), "first bucket boundary after start")

	id := tr.Create(4000, 1000) // (1000+4000)/2000*2000+2000 = 6000
	assert.Equal(t, []Bucket{{ExpireAt: 6000, IDs: []int64{id}}}, tr.Dump().Buckets)

	assert.Nil(t, tr.Expired(1999))
	assert.Empty(t, tr.Expired(2000))
	assert.Equal(t, int64(4000), tr.NextExpiry())
	assert.Empty(t, tr.Expired(5999))
	assert.Equal(t, int64(6000), tr.NextExpiry())

	// A touch at 3000 moves it to (3000+4000)/2000*2000+2000 = 8000.
	require.True(t, tr.Touch(id, 3000))
	d := tr.Dump()
	assert.Equal(t, []Bucket{{ExpireAt: 6000, IDs: []int64{}}, {ExpireAt: 8000, IDs: []int64{id}}}, d.Buckets,
		"the emptied bucket stays until it expires, as in Java")

	assert.Empty(t, tr.Expired(6000))
	got := tr.Expired(8000)
	assert.Equal(t, []Session{{ID: id, Timeout: 4000}}, got)
	assert.Empty(t, tr.Expired(8000), "returned once")
	assert.Empty(t, tr.Expired(20000), "returned once")

	// Expired sessions are closing: touches fail, checks say expired.
	assert.False(t, tr.Touch(id, 8001))
	assert.ErrorIs(t, tr.CheckSession(id, "c1"), proto.ErrSessionExpired)
	assert.True(t, tr.Contains(id))
	tr.Remove(id)
	assert.False(t, tr.Contains(id))
	assert.ErrorIs(t, tr.CheckSession(id, "c1"), proto.ErrUnknownSession)
}

func TestExpiredCatchesUp(t *testing.T) {
	tr := newTracker(t, 0)
	a := tr.Create(2000, 0)  // 4000
	b := tr.Create(10000, 0) // 12000
	c := tr.Create(40000, 0) // 42000
	got := tr.Expired(13000)
	assert.Equal(t, []Session{{ID: a, Timeout: 2000}, {ID: b, Timeout: 10000}}, got, "ordered by bucket")
	assert.Equal(t, int64(14000), tr.NextExpiry())
	assert.Nil(t, tr.Expired(13999))
	assert.Equal(t, []Session{{ID: c, Timeout: 40000}}, tr.Expired(42000))
}

func TestTouchSameBucketIsNoop(t *testing.T) {
	tr := newTracker(t, 0)
	id := tr.Create(4000, 0) // 6000
	require.True(t, tr.Touch(id, 1999))
	assert.Equal(t, []Bucket{{ExpireAt: 6000, IDs: []int64{id}}}, tr.Dump().Buckets)
}

func TestTouchTimeoutAndUnknown(t *testing.T) {
	tr := newTracker(t, 0)
	assert.False(t, tr.Touch(42, 0))
	assert.False(t, tr.TouchTimeout(42, 1000, 0))
	id := tr.Create(4000, 0)
	require.True(t, tr.TouchTimeout(id, 20000, 0))
	assert.Equal(t, []Bucket{{ExpireAt: 6000, IDs: []int64{}}, {ExpireAt: 22000, IDs: []int64{id}}}, tr.Dump().Buckets)
	to, _ := tr.Timeout(id)
	assert.Equal(t, int32(4000), to, "the session keeps its own timeout")
}

func TestSetClosing(t *testing.T) {
	tr := newTracker(t, 0)
	id := tr.Create(4000, 0)
	tr.SetClosing(id)
	tr.SetClosing(999) // unknown: ignored
	assert.False(t, tr.Touch(id, 1))
	assert.ErrorIs(t, tr.SetOwner(id, "x"), proto.ErrSessionExpired)
	// Like Java, a closing session still in a bucket is handed out again.
	assert.Equal(t, []Session{{ID: id, Timeout: 4000}}, tr.Expired(6000))
}

func TestAddExisting(t *testing.T) {
	tr := newTracker(t, 0)
	assert.True(t, tr.Add(7, 4000, 0))
	assert.False(t, tr.Add(7, 10000, 0), "already tracked")
	to, _ := tr.Timeout(7)
	assert.Equal(t, int32(4000), to, "keeps its timeout")
	assert.Equal(t, []Bucket{{ExpireAt: 6000, IDs: []int64{}}, {ExpireAt: 12000, IDs: []int64{7}}}, tr.Dump().Buckets,
		"moved to the bucket of the new timeout")
	assert.Equal(t, map[int64]int32{7: 4000}, tr.Sessions())
}

func TestOwners(t *testing.T) {
	tr := newTracker(t, 0)
	id := tr.Create(4000, 0)
	require.NoError(t, tr.CheckSession(id, "conn1"))
	require.NoError(t, tr.CheckSession(id, "conn1"))
	assert.ErrorIs(t, tr.CheckSession(id, "conn2"), proto.ErrSessionMoved)
	require.NoError(t, tr.SetOwner(id, "conn2"))
	require.NoError(t, tr.CheckSession(id, "conn2"))
	assert.ErrorIs(t, tr.SetOwner(12345, "conn2"), proto.ErrSessionExpired)
}

func TestDumpText(t *testing.T) {
	tr := newTracker(t, 0)
	a := tr.Create(4000, 0)
	b := tr.Create(4000, 0)
	tr.Add(-2, 10000, 0)
	var sb strings.Builder
	base := time.Date(2024, 3, 5, 10, 0, 0, 0, time.UTC)
	_, err := tr.Dump().WriteTo(&sb, func(ms int64) time.Time { return base.Add(time.Duration(ms) * time.Millisecond) })
	require.NoError(t, err)
	want := "Session Sets (2)/(3):\n" +
		"2 expire at Tue Mar 05 10:00:06 UTC 2024:\n" +
		fmt.Sprintf("\t0x%x\n\t0x%x\n", a, b) +
		"1 expire at Tue Mar 05 10:00:12 UTC 2024:\n" +
		"\t0xfffffffffffffffe\n"
	assert.Equal(t, want, sb.String())
}

func TestConcurrentUse(t *testing.T) {
	tr := newTracker(t, 0)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				now := int64(g*1000 + i)
				id := tr.Create(4000, now)
				tr.Touch(id, now+1)
				_ = tr.Expired(now)
				if i%3 == 0 {
					tr.Remove(id)
				}
			}
		}()
	}
	wg.Wait()
	assert.LessOrEqual(t, tr.Len(), 800)
	ids := map[int64]bool{}
	for id := range tr.Sessions() {
		assert.False(t, ids[id])
		ids[id] = true
	}
}

func BenchmarkTouch(b *testing.B) {
	tr, err := New(Config{TickTime: 2000, ServerID: 1, IDTimeMs: 1, Now: 0})
	require.NoError(b, err)
	id := tr.Create(10000, 0)
	b.ReportAllocs()
	now := int64(0)
	for b.Loop() {
		now += 7
		tr.Touch(id, now)
	}
}

func BenchmarkGeneratePasswd(b *testing.B) {
	b.ReportAllocs()
	for i := range b.N {
		_ = GeneratePasswd(int64(i))
	}
}
