package naming

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkit-go/zkit/recipes/recipestest"
)

func TestPayloadClass(t *testing.T) {
	type details struct {
		Zone   string `json:"zone"`
		Weight int    `json:"weight"`
	}
	in := Instance{Name: "api", ID: "x", Address: "h", ServiceType: Dynamic, Enabled: true}
	require.NoError(t, in.SetPayload("com.example.Details", details{"eu", 3}))
	b, err := json.Marshal(in)
	require.NoError(t, err)
	assert.Contains(t, string(b), `"payload":{"@class":"com.example.Details","zone":"eu","weight":3}`)

	var back Instance
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, "com.example.Details", back.PayloadClass)
	var d details
	require.NoError(t, back.DecodePayload(&d))
	assert.Equal(t, details{"eu", 3}, d)
	// Written again, the class is not doubled.
	b2, err := json.Marshal(back)
	require.NoError(t, err)
	assert.JSONEq(t, string(b), string(b2))

	for _, tt := range []struct {
		name, payload, class string
		want                 string // "" for ErrBadPayload
	}{
		{"empty object", `{}`, "C", `{"@class":"C"}`},
		{"same class", `{"@class":"C","a":1}`, "C", `{"@class":"C","a":1}`},
		{"other class", `{"@class":"D"}`, "C", ""},
		{"array", `[1]`, "C", ""},
		{"string", `"s"`, "C", ""},
		{"none", ``, "C", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := withClass(json.RawMessage(tt.payload), tt.class)
			if tt.want == "" {
				require.ErrorIs(t, err, ErrBadPayload)
				_, err := json.Marshal(Instance{Payload: json.RawMessage(orNull(tt.payload)), PayloadClass: tt.class})
				require.ErrorIs(t, err, ErrBadPayload)
				return
			}
			require.NoError(t, err)
			assert.JSONEq(t, tt.want, string(got))
		})
	}
	// Untyped payloads pass through unchanged and carry no class.
	b, err = json.Marshal(Instance{Payload: json.RawMessage(`[1,2]`)})
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Empty(t, back.PayloadClass)
	assert.JSONEq(t, `[1,2]`, string(back.Payload))
}

func orNull(s string) string {
	if s == "" {
		return "null"
	}
	return s
}

// fakeClock is a Provider clock moved by the test.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestProviderFiltersAndDownInstances(t *testing.T) {
	s := recipestest.StartServer(t)
	ctx := recipestest.Ctx(t, 30*time.Second)
	c := recipestest.Connect(t, s.Servers())
	d := NewDiscovery(c, "/svc")
	defer d.Close(context.Background())
	for _, id := range []string{"a1", "a2", "b1"} {
		in := NewInstance("h-"+id, 1)
		in.ID, in.Metadata = id, map[string]string{"zone": id[:1]}
		_, err := d.Register(ctx, "pool", in)
		require.NoError(t, err)
	}

	// A class on a payload that cannot carry it is refused, and nothing
	// is registered.
	bad := NewInstance("h-bad", 1)
	bad.ID, bad.Payload, bad.PayloadClass = "bad", json.RawMessage(`[1]`), "C"
	_, err := d.Register(ctx, "pool", bad)
	require.ErrorIs(t, err, ErrBadPayload)
	require.ErrorIs(t, d.Unregister(ctx, "bad"), ErrNotRegistered)

	p, err := d.Provider("pool", RoundRobin(),
		WithInstanceFilter(func(in Instance) bool { return in.Metadata["zone"] == "a" }),
		WithDownInstancePolicy(DownInstancePolicy{Timeout: time.Minute, ErrorThreshold: 2}))
	require.NoError(t, err)
	defer p.Close(context.Background())
	clock := &fakeClock{t: time.Unix(1000, 0)}
	p.now = clock.now
	recipestest.Eventually(t, 10*time.Second, func() bool { return len(p.AllInstances()) == 3 }, "loaded")
	assert.Equal(t, []string{"a1", "a2"}, ids(p.Instances()), "filter keeps zone a")

	a1 := p.Instances()[0]
	p.NoteError(a1)
	assert.Equal(t, []string{"a1", "a2"}, ids(p.Instances()), "one error is below the threshold")
	clock.add(30 * time.Second)
	p.NoteError(a1)
	assert.Equal(t, []string{"a2"}, ids(p.Instances()), "two errors: a1 is down")
	for range 4 {
		in, err := p.Instance()
		require.NoError(t, err)
		assert.Equal(t, "a2", in.ID)
	}
	// The timeout counts from the first report.
	clock.add(29 * time.Second)
	assert.Equal(t, []string{"a2"}, ids(p.Instances()))
	clock.add(time.Second)
	assert.Equal(t, []string{"a1", "a2"}, ids(p.Instances()), "a1 is back after the timeout")
	// The count starts again.
	p.NoteError(a1)
	assert.Equal(t, []string{"a1", "a2"}, ids(p.Instances()))

	// Every candidate down or filtered: no instance.
	for _, in := range p.Instances() {
		p.NoteError(in)
		p.NoteError(in)
	}
	_, err = p.Instance()
	require.ErrorIs(t, err, ErrNoInstances)
	assert.Len(t, p.AllInstances(), 3)
}
