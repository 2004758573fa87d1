package recipes_test

import (
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/recipes"
	rt "github.com/zkit-go/zkit/recipes/recipestest"
	zktesting "github.com/zkit-go/zkit/testing"
)

// TestTLS runs go-zookeeper/zk over TLS through recipes.WithTLS against a
// WithTLS server: the client certificate authenticates as x509, an x509
// ACL grants that identity and refuses the plaintext client.
func TestTLS(t *testing.T) {
	s := zktesting.StartServer(t, zktesting.WithTLS())
	ctx := rt.Ctx(t, 30*time.Second)
	c := rt.Connect(t, s.SecureServers(), recipes.WithTLS(s.TLSConfig()))
	acl := []zk.ACL{{Perms: zk.PermAll, Scheme: "x509", ID: zktesting.TLSClientID}}
	_, err := c.Create(ctx, "/secure", []byte("s"), zk.FlagPersistent, acl)
	require.NoError(t, err)
	data, _, err := c.Get(ctx, "/secure")
	require.NoError(t, err)
	assert.Equal(t, []byte("s"), data)
	got, _, err := c.GetACL(ctx, "/secure")
	require.NoError(t, err)
	assert.Equal(t, acl, got)

	plain := rt.Connect(t, s.Servers())
	_, _, err = plain.Get(ctx, "/secure")
	assert.ErrorIs(t, err, zk.ErrNoAuth)

	// A client without a certificate cannot complete the handshake
	// (ssl.clientAuth=need), so it never connects.
	noCert := s.TLSConfig()
	noCert.Certificates = nil
	_, err = recipes.Connect(rt.Ctx(t, 3*time.Second), s.SecureServers(), recipes.WithTLS(noCert),
		recipes.WithRetry(recipes.NoRetry()))
	assert.Error(t, err)

	// A client that does not trust the server's CA refuses it.
	untrusting := s.TLSConfig()
	untrusting.RootCAs = nil
	_, err = recipes.Connect(rt.Ctx(t, 3*time.Second), s.SecureServers(), recipes.WithTLS(untrusting),
		recipes.WithRetry(recipes.NoRetry()))
	assert.Error(t, err)
}

// TestTLSEnsemble serves TLS on every member of an ensemble; a client
// given every member's TLS address writes through one and reads the
// write back from another.
func TestTLSEnsemble(t *testing.T) {
	e := zktesting.StartEnsemble(t, 3, zktesting.WithEnsembleTLS())
	ctx := rt.Ctx(t, 30*time.Second)
	c := rt.Connect(t, e.SecureServers(), recipes.WithTLS(e.TLSConfig()))
	_, err := c.Create(ctx, "/ens", []byte("v"), zk.FlagPersistent,
		[]zk.ACL{{Perms: zk.PermAll, Scheme: "x509", ID: zktesting.TLSClientID}})
	require.NoError(t, err)
	for _, m := range e.Members {
		one := rt.Connect(t, []string{m.SecureAddr()}, recipes.WithTLS(e.TLSConfig()))
		_, err := one.Sync(ctx, "/ens")
		require.NoError(t, err)
		data, _, err := one.Get(ctx, "/ens")
		require.NoError(t, err, "member %d", m.ID)
		assert.Equal(t, []byte("v"), data)
	}
}
