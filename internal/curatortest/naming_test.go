package curatortest_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zkit-go/zkit/naming"
	rt "github.com/zkit-go/zkit/recipes/recipestest"
)

// javaInstance is what the driver's "instances" verb lists.
type javaInstance struct {
	ID           string          `json:"id"`
	Address      string          `json:"address"`
	Port         int             `json:"port"`
	PayloadClass string          `json:"payloadClass"`
	Payload      json.RawMessage `json:"payload"`
}

func javaInstances(t *testing.T, raw string) map[string]javaInstance {
	t.Helper()
	var list []javaInstance
	require.NoError(t, json.Unmarshal([]byte(raw), &list), raw)
	out := map[string]javaInstance{}
	for _, in := range list {
		out[in.ID] = in
	}
	return out
}

// details is the Go side of the driver's zkit.interop.Details.
type details struct {
	Zone   string `json:"zone"`
	Weight int    `json:"weight"`
}

const detailsClass = "zkit.interop.Details"

// Untyped service discovery (Curator's ServiceDiscovery<Object>): each
// side lists the other's instances, also after either side's session
// expired and its instances were registered again.
func TestDiscoveryInterop(t *testing.T) {
	t.Parallel()
	env, d, javaSID, c := setup(t)
	const base = "/interop/services"
	d.Do(t, "discovery", "du", "c", base, "untyped")
	d.Do(t, "start", "du")
	gd := naming.NewDiscovery(c, base)
	t.Cleanup(func() { _ = gd.Close(context.Background()) })

	d.Do(t, "register", "du", "api", "java-1", "10.0.0.1", 8080, `{"k":"v"}`)
	in := naming.NewInstance("10.0.0.2", 9090)
	in.ID, in.Payload = "go-1", json.RawMessage(`{"x":1}`)
	in.Metadata = map[string]string{"zone": "a"}
	_, err := gd.Register(ctx(t), "api", in)
	require.NoError(t, err)

	got, err := gd.Instances(ctx(t), "api")
	require.NoError(t, err)
	require.Len(t, got, 2)
	j := got[1]
	require.Equal(t, "java-1", j.ID)
	assert.Equal(t, "10.0.0.1", j.Address)
	assert.Equal(t, 8080, j.Port)
	assert.True(t, j.Enabled)
	var payload map[string]any
	require.NoError(t, j.DecodePayload(&payload))
	assert.Equal(t, "v", payload["k"])

	ji := javaInstances(t, d.Do(t, "instances", "du", "api"))
	require.Len(t, ji, 2)
	assert.Equal(t, "10.0.0.2", ji["go-1"].Address)
	assert.Equal(t, 9090, ji["go-1"].Port)
	assert.JSONEq(t, `{"x":1}`, string(ji["go-1"].Payload))

	// A Go provider picks Java's instance too.
	p, err := gd.Provider("api", naming.RoundRobin(),
		naming.WithInstanceFilter(func(in naming.Instance) bool { return in.Metadata["zone"] != "a" }))
	require.NoError(t, err)
	t.Cleanup(func() { _ = p.Close(context.Background()) })
	rt.Eventually(t, 10*time.Second, func() bool { return len(p.AllInstances()) == 2 }, "provider loaded")
	pick, err := p.Instance()
	require.NoError(t, err)
	assert.Equal(t, "java-1", pick.ID, "the filter leaves only Java's instance")

	// Go's session expires: its instance is registered again and Curator
	// sees it again.
	env.ExpireSession(c.Session().ID)
	rt.Eventually(t, 30*time.Second, func() bool {
		r, err := d.Try(t, "instances", "du", "api")
		if err != nil {
			return false
		}
		_, ok := javaInstances(t, r)["go-1"]
		return ok && c.State().IsConnected()
	}, "Curator sees Go's instance after Go's session expired")

	// Java's session expires: Curator registers again; Go sees it.
	env.ExpireSession(javaSID)
	d.WaitEvent(t, "c", "state LOST")
	rt.Eventually(t, 30*time.Second, func() bool {
		got, err := gd.Instances(ctx(t), "api")
		return err == nil && len(got) == 2
	}, "Go sees Java's instance after Java's session expired")

	// Unregister on either side is seen on the other.
	d.Do(t, "unregister", "du", "api", "java-1")
	require.NoError(t, gd.Unregister(ctx(t), "go-1"))
	got, err = gd.Instances(ctx(t), "api")
	require.NoError(t, err)
	assert.Empty(t, got)
	assert.Empty(t, javaInstances(t, d.Do(t, "instances", "du", "api")))
}

// Typed discovery (Curator's ServiceDiscovery<Details> with
// JsonInstanceSerializer<Details>): Curator reads a Go instance whose
// PayloadClass names Details, and Go reads Curator's class and fields.
// Without the class, Curator cannot list the service at all.
func TestTypedDiscoveryInterop(t *testing.T) {
	t.Parallel()
	_, d, _, c := setup(t)
	const base = "/interop/typed"
	d.Do(t, "discovery", "dt", "c", base, "typed")
	d.Do(t, "start", "dt")
	gd := naming.NewDiscovery(c, base)
	t.Cleanup(func() { _ = gd.Close(context.Background()) })

	d.Do(t, "register", "dt", "api", "java-1", "10.0.0.1", 8080, `{"zone":"eu","weight":5}`)
	got, err := gd.Instances(ctx(t), "api")
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, detailsClass, got[0].PayloadClass)
	var dj details
	require.NoError(t, got[0].DecodePayload(&dj))
	assert.Equal(t, details{"eu", 5}, dj)

	// Registered without its class, a Go instance breaks Curator's listing
	// (the gap this package's PayloadClass closes).
	in := naming.NewInstance("10.0.0.2", 9090)
	in.ID = "go-1"
	in.Payload = json.RawMessage(`{"zone":"us","weight":7}`)
	_, err = gd.Register(ctx(t), "api", in)
	require.NoError(t, err)
	_, err = d.Try(t, "instances", "dt", "api")
	require.ErrorContains(t, err, "ClassCastException")

	// With PayloadClass Curator reads it as a Details.
	require.NoError(t, in.SetPayload(detailsClass, details{"us", 7}))
	require.NoError(t, gd.Update(ctx(t), in))
	ji := javaInstances(t, d.Do(t, "instances", "dt", "api"))
	require.Len(t, ji, 2)
	assert.Equal(t, detailsClass, ji["go-1"].PayloadClass)
	var dg details
	require.NoError(t, json.Unmarshal(ji["go-1"].Payload, &dg))
	assert.Equal(t, details{"us", 7}, dg)
	assert.Equal(t, detailsClass, ji["java-1"].PayloadClass)
}
