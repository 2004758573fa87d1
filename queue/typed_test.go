package queue

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkit-go/zkit/recipes/recipestest"
)

func TestCuratorItemFormat(t *testing.T) {
	// put("ab") and putMulti("", "xyz") as Curator's ItemSerializer writes them.
	one := []byte{0x00, 0x01, 0x00, 0x01, 0x01, 0, 0, 0, 2, 'a', 'b', 0x02}
	multi := []byte{0x00, 0x01, 0x00, 0x01, 0x01, 0, 0, 0, 0, 0x01, 0, 0, 0, 3, 'x', 'y', 'z', 0x02}
	assert.Equal(t, one, EncodeItems([][]byte{[]byte("ab")}))
	assert.Equal(t, multi, EncodeItems([][]byte{{}, []byte("xyz")}))
	assert.Equal(t, []byte{0x00, 0x01, 0x00, 0x01, 0x02}, EncodeItems(nil))

	got, err := DecodeItems(multi)
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.Empty(t, got[0])
	assert.Equal(t, "xyz", string(got[1]))
	got, err = DecodeItems(append(one, "trailing"...))
	require.NoError(t, err, "bytes after EOF are ignored, as by Curator")
	assert.Equal(t, [][]byte{[]byte("ab")}, got)

	for name, data := range map[string][]byte{
		"empty":        nil,
		"short":        {0, 1, 0},
		"version":      {0, 1, 0, 2, 0x02},
		"no eof":       {0, 1, 0, 1},
		"opcode":       {0, 1, 0, 1, 0x07},
		"cut length":   {0, 1, 0, 1, 0x01, 0, 0},
		"long item":    {0, 1, 0, 1, 0x01, 0, 0, 0, 9, 'a', 0x02},
		"negative len": {0, 1, 0, 1, 0x01, 0xff, 0xff, 0xff, 0xff, 0x02},
		"raw data":     []byte("hello world"),
	} {
		_, err := DecodeItems(data)
		assert.ErrorIs(t, err, ErrBadItem, name)
	}
}

func FuzzDecodeItems(f *testing.F) {
	f.Add(EncodeItems([][]byte{[]byte("a"), nil}))
	f.Add([]byte{0, 1, 0, 1, 0x01, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, data []byte) {
		items, err := DecodeItems(data)
		if err != nil {
			return
		}
		again, err := DecodeItems(EncodeItems(items))
		require.NoError(t, err)
		require.Equal(t, len(items), len(again))
	})
}

type job struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

func TestTypedQueue(t *testing.T) {
	s := recipestest.StartServer(t)
	c := recipestest.Connect(t, s.Servers())
	ctx := recipestest.Ctx(t, 30*time.Second)

	q := NewTyped(c, "/typed/jobs", JSON[job]())
	defer q.Close(context.Background())
	name, err := q.Put(ctx, job{1, "a"})
	require.NoError(t, err)
	assert.Regexp(t, `^queue-\d{10}$`, name, "Curator's plain item name")
	_, err = q.PutMulti(ctx, job{2, "b"}, job{3, "c"})
	require.NoError(t, err)
	data, _, err := c.Get(ctx, "/typed/jobs/"+name)
	require.NoError(t, err)
	assert.Equal(t, EncodeItems([][]byte{[]byte(`{"id":1,"name":"a"}`)}), data)
	n, err := q.Len(ctx)
	require.NoError(t, err)
	assert.Equal(t, 2, n)

	got, err := q.Take(ctx)
	require.NoError(t, err)
	assert.Equal(t, []job{{1, "a"}}, got)
	errNotNow := errors.New("not now")
	require.ErrorIs(t, q.Consume(ctx, func(context.Context, []job) error { return errNotNow }), errNotNow)
	n, err = q.Len(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, n, "a failed fn leaves the item")
	require.NoError(t, q.Consume(ctx, func(_ context.Context, js []job) error {
		assert.Equal(t, []job{{2, "b"}, {3, "c"}}, js)
		return nil
	}))

	// Data not in Curator's format is removed and reported.
	_, err = c.Create(ctx, "/typed/jobs/queue-", []byte("raw"), zk.FlagSequence, nil)
	require.NoError(t, err)
	_, err = q.Take(ctx)
	require.ErrorIs(t, err, ErrBadItem)
	_, err = c.Create(ctx, "/typed/jobs/queue-", EncodeItems([][]byte{[]byte("{")}), zk.FlagSequence, nil)
	require.NoError(t, err)
	err = q.Consume(ctx, func(context.Context, []job) error { t.Error("fn called for a bad item"); return nil })
	require.ErrorIs(t, err, ErrBadItem)
	n, err = q.Len(ctx)
	require.NoError(t, err)
	assert.Zero(t, n)

	// Strings and bytes pass through as Curator's String and byte[]
	// serializers write them.
	sq := NewTyped(c, "/typed/s", String())
	defer sq.Close(context.Background())
	_, err = sq.Put(ctx, "héllo")
	require.NoError(t, err)
	bq := NewTyped(c, "/typed/s", Bytes())
	defer bq.Close(context.Background())
	b, err := bq.Take(ctx)
	require.NoError(t, err)
	assert.Equal(t, [][]byte{[]byte("héllo")}, b)

	require.NoError(t, q.Close(context.Background()))
	_, err = q.Put(ctx, job{})
	require.ErrorIs(t, err, ErrClosed)
}

func TestTypedKinds(t *testing.T) {
	s := recipestest.StartServer(t)
	c := recipestest.Connect(t, s.Servers())
	ctx := recipestest.Ctx(t, 30*time.Second)

	t.Run("priority", func(t *testing.T) {
		q := NewTypedPriority(c, "/tk/prio", String())
		defer q.Close(context.Background())
		name, err := q.Put(ctx, "low", 9)
		require.NoError(t, err)
		assert.Regexp(t, `^queue-100000009\d{10}$`, name)
		_, err = q.PutMulti(ctx, -1, "neg1", "neg2")
		require.NoError(t, err)
		var got []string
		for range 2 {
			items, err := q.Take(ctx)
			require.NoError(t, err)
			got = append(got, items...)
		}
		assert.Equal(t, []string{"neg1", "neg2", "low"}, got)
	})
	t.Run("delay", func(t *testing.T) {
		q := NewTypedDelay(c, "/tk/delay", String())
		defer q.Close(context.Background())
		due := time.Now().Add(300 * time.Millisecond)
		_, err := q.Put(ctx, "later", due)
		require.NoError(t, err)
		_, err = q.PutMulti(ctx, time.Now().Add(-time.Hour), "now")
		require.NoError(t, err)
		items, err := q.Take(ctx)
		require.NoError(t, err)
		assert.Equal(t, []string{"now"}, items)
		items, err = q.Take(ctx)
		require.NoError(t, err)
		assert.Equal(t, []string{"later"}, items)
		assert.False(t, time.Now().Before(due.Truncate(time.Millisecond)))
	})
	t.Run("id", func(t *testing.T) {
		q := NewTypedID(c, "/tk/id", String())
		defer q.Close(context.Background())
		_, err := q.Put(ctx, "", "")
		require.ErrorIs(t, err, ErrBadID)
		for _, it := range [][2]string{{"1", "a/b"}, {"2", "c"}, {"3", "a|b"}} {
			_, err := q.Put(ctx, it[0], it[1])
			require.NoError(t, err)
		}
		n, err := q.Remove(ctx, "a_b")
		require.NoError(t, err)
		assert.Equal(t, 2, n)
		items, err := q.Take(ctx)
		require.NoError(t, err)
		assert.Equal(t, []string{"2"}, items)
		// Locks and claims live beside the queue node, not under it.
		kids, _, err := c.Children(ctx, "/tk/id")
		require.NoError(t, err)
		assert.Empty(t, kids)
	})
}
