package group_test

import (
	"context"
	"encoding/json"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/zkit-go/zkit/internal/curatortest"
	"github.com/zkit-go/zkit/recipes"
	rt "github.com/zkit-go/zkit/recipes/recipestest"
)

// A Curator GroupMember and a zkit Member in one group see each other,
// each other's data changes, a zkit member coming back after its session
// expired, and a Curator member leaving.
func TestCuratorGroupMember(t *testing.T) {
	env := rt.StartServer(t)
	ns := rt.Namespace("curgroup")
	d := curatortest.Start(t, strings.Join(env.DirectServers(), ","))
	d.ClientIn(t, "c", ns, 10*time.Second)
	c := env.Connect(t, recipes.WithNamespace(ns))
	javaSees := func(want map[string]string) func() bool {
		return func() bool {
			var got map[string]string
			require.NoError(t, json.Unmarshal([]byte(d.Do(t, "members", "java")), &got))
			return maps.Equal(got, want)
		}
	}

	d.Do(t, "groupmember", "java", "c", "/g", "java", "j1")
	d.Do(t, "start", "java")
	m := join(t, c, "go", "g1")
	rt.Eventually(t, 20*time.Second, sees(m, map[string]string{"java": "j1", "go": "g1"}), "zkit sees the Curator member")
	rt.Eventually(t, 20*time.Second, javaSees(map[string]string{"go": "g1", "java": "j1"}), "Curator sees the zkit member")

	d.Do(t, "setmemberdata", "java", "j2")
	require.NoError(t, m.SetData(rt.Ctx(t, 10*time.Second), []byte("g2")))
	rt.Eventually(t, 20*time.Second, sees(m, map[string]string{"java": "j2", "go": "g2"}), "zkit sees Curator's new data")
	rt.Eventually(t, 20*time.Second, javaSees(map[string]string{"go": "g2", "java": "j2"}), "Curator sees zkit's new data")

	rt.ExpireAndWait(t, env, c)
	obs := env.ObserverConnect(t, recipes.WithNamespace(ns))
	rt.Eventually(t, 20*time.Second, func() bool {
		ok, st, err := obs.Exists(context.Background(), m.Path())
		return err == nil && ok && st.EphemeralOwner == c.Session().ID
	}, "zkit member back on its new session")
	rt.Eventually(t, 20*time.Second, javaSees(map[string]string{"go": "g2", "java": "j2"}), "Curator sees it")

	d.Do(t, "close", "java")
	rt.Eventually(t, 20*time.Second, sees(m, map[string]string{"go": "g2"}), "Curator member left")
}
