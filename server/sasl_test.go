package server_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/client"
	"github.com/zkit-go/zkit/internal/proto"
	"github.com/zkit-go/zkit/server"
	zktesting "github.com/zkit-go/zkit/testing"
)

const saslJAAS = `
Server {
       org.apache.zookeeper.server.auth.DigestLoginModule required
       user_super="adminsecret"
       user_bob="bobsecret"
       user_alice="alicesecret";
};
Client {
       org.apache.zookeeper.server.auth.DigestLoginModule required
       username="bob"
       password="bobsecret";
};
`

const saslProvider = "org.apache.zookeeper.server.auth.SASLAuthenticationProvider"

func writeJAAS(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "jaas.conf")
	require.NoError(t, os.WriteFile(p, []byte(text), 0o600))
	return p
}

// saslServer starts zkit with the JAAS file and the SASL provider plus
// extra properties.
func saslServer(t *testing.T, props map[string]string) *zktesting.Server {
	t.Helper()
	jaasPath := writeJAAS(t, saslJAAS)
	return zktesting.StartServer(t, zktesting.WithConfig(func(c *server.Config) {
		c.Properties["java.security.auth.login.config"] = jaasPath
		c.Properties["authProvider.1"] = saslProvider
		for k, v := range props {
			c.Properties[k] = v
		}
	}))
}

func saslCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), zktesting.Scale(20*time.Second))
	t.Cleanup(cancel)
	return ctx
}

func dialSASL(t *testing.T, srv *zktesting.Server, user, password string) (*client.Conn, error) {
	t.Helper()
	opts := []client.Option{}
	if user != "" {
		opts = append(opts, client.WithSASL(client.SASLCredentials{User: user, Password: password}))
	}
	c, err := client.Dial(saslCtx(t), srv.Addr(), opts...)
	if err == nil {
		t.Cleanup(func() { _ = c.Close() })
	}
	return c, err
}

func TestSASLLoginACLAndWhoAmI(t *testing.T) {
	srv := saslServer(t, nil)
	ctx := saslCtx(t)
	bob, err := dialSASL(t, srv, "bob", "bobsecret")
	require.NoError(t, err)
	who, err := bob.WhoAmI(ctx)
	require.NoError(t, err)
	assert.Contains(t, who, proto.ClientInfo{AuthScheme: "sasl", User: "bob"})

	bobOnly := []proto.ACL{{Perms: proto.PermAll, ID: proto.ID{Scheme: "sasl", ID: "bob"}}}
	_, err = bob.Create(ctx, "/bob", []byte("b"), 0, bobOnly)
	require.NoError(t, err)
	_, err = bob.Create(ctx, "/creator", nil, 0, []proto.ACL{{Perms: proto.PermAll, ID: proto.ID{Scheme: "auth"}}})
	require.NoError(t, err)
	acl, _, err := bob.GetACL(ctx, "/creator")
	require.NoError(t, err)
	assert.Equal(t, bobOnly, acl, "auth expands to the sasl id")

	alice, err := dialSASL(t, srv, "alice", "alicesecret")
	require.NoError(t, err)
	_, _, err = alice.GetData(ctx, "/bob", false)
	require.ErrorIs(t, err, proto.ErrNoAuth)
	anon, err := dialSASL(t, srv, "", "")
	require.NoError(t, err)
	_, _, err = anon.GetData(ctx, "/bob", false)
	require.ErrorIs(t, err, proto.ErrNoAuth)
	data, _, err := bob.GetData(ctx, "/bob", false)
	require.NoError(t, err)
	assert.Equal(t, []byte("b"), data)

	// The sasl id "super" matches every sasl ACL (SASLAuthenticationProvider).
	super, err := dialSASL(t, srv, "super", "adminsecret")
	require.NoError(t, err)
	_, _, err = super.GetData(ctx, "/bob", false)
	require.NoError(t, err)
}

func TestSASLWrongPasswordIsAuthFailedAndCloses(t *testing.T) {
	srv := saslServer(t, nil)
	_, err := dialSASL(t, srv, "bob", "wrong")
	require.ErrorIs(t, err, client.ErrSASL)
	require.ErrorIs(t, err, proto.ErrAuthFailed)
	_, err = dialSASL(t, srv, "mallory", "bobsecret")
	require.ErrorIs(t, err, proto.ErrAuthFailed)

	// By hand, to see the connection close after the answer.
	c, err := dialSASL(t, srv, "", "")
	require.NoError(t, err)
	err = c.SASLLogin(saslCtx(t), client.SASLCredentials{User: "bob", Password: "wrong"})
	require.ErrorIs(t, err, proto.ErrAuthFailed)
	select {
	case <-c.Done():
	case <-time.After(zktesting.Scale(10 * time.Second)):
		t.Fatal("connection still open after a failed SASL login")
	}
}

func TestSASLSuperUser(t *testing.T) {
	srv := saslServer(t, map[string]string{"zookeeper.superUser": "alice"})
	ctx := saslCtx(t)
	bob, err := dialSASL(t, srv, "bob", "bobsecret")
	require.NoError(t, err)
	_, err = bob.Create(ctx, "/private", nil, 0, []proto.ACL{{Perms: proto.PermAll, ID: proto.ID{Scheme: "sasl", ID: "bob"}}})
	require.NoError(t, err)
	alice, err := dialSASL(t, srv, "alice", "alicesecret")
	require.NoError(t, err)
	require.NoError(t, alice.Delete(ctx, "/private", -1), "zookeeper.superUser gets super")
	who, err := alice.WhoAmI(ctx)
	require.NoError(t, err)
	assert.Contains(t, who, proto.ClientInfo{AuthScheme: "super", User: ""})
}

func TestSASLSuperPassword(t *testing.T) {
	srv := saslServer(t, map[string]string{"zookeeper.SASLAuthenticationProvider.superPassword": "override"})
	_, err := dialSASL(t, srv, "super", "adminsecret")
	require.ErrorIs(t, err, proto.ErrAuthFailed)
	_, err = dialSASL(t, srv, "super", "override")
	require.NoError(t, err)
}

func TestSessionRequireClientSASLAuth(t *testing.T) {
	srv := saslServer(t, map[string]string{"sessionRequireClientSASLAuth": "true"})
	ctx := saslCtx(t)
	anon, err := dialSASL(t, srv, "", "")
	require.NoError(t, err)
	_, _, err = anon.GetData(ctx, "/", false)
	require.ErrorIs(t, err, proto.ErrSessionClosedRequireSASL)
	select {
	case <-anon.Done():
	case <-time.After(zktesting.Scale(10 * time.Second)):
		t.Fatal("connection still open")
	}
	_, err = dialSASL(t, srv, "bob", "wrong")
	require.ErrorIs(t, err, proto.ErrSessionClosedRequireSASL, "a failed login under required SASL")
	bob, err := dialSASL(t, srv, "bob", "bobsecret")
	require.NoError(t, err)
	_, _, err = bob.GetData(ctx, "/", false)
	require.NoError(t, err)
}

func TestEnforceAuthSchemes(t *testing.T) {
	srv := saslServer(t, map[string]string{"enforce.auth.enabled": "true", "enforce.auth.schemes": "sasl, digest"})
	ctx := saslCtx(t)
	c, err := dialSASL(t, srv, "", "")
	require.NoError(t, err)
	require.NoError(t, c.AddAuth(ctx, "digest", []byte("u:p")), "auth packets pass before authentication")
	_, _, err = c.GetData(ctx, "/", false)
	require.NoError(t, err, "a digest id satisfies enforce.auth.schemes=sasl,digest")

	anon, err := dialSASL(t, srv, "", "")
	require.NoError(t, err)
	_, err = anon.Exists(ctx, "/", false)
	require.ErrorIs(t, err, proto.ErrSessionClosedRequireSASL)
	_, err = dialSASL(t, srv, "bob", "wrong")
	require.ErrorIs(t, err, proto.ErrSessionClosedRequireSASL)
}

func TestSASLWithoutServerSection(t *testing.T) {
	// A JAAS file with only a client section and no SASL settings: the
	// server starts (as Java) and answers op 102 OK with a null token.
	p := writeJAAS(t, "Client { org.apache.zookeeper.server.auth.DigestLoginModule required username=\"a\" password=\"b\"; };")
	srv := zktesting.StartServer(t, zktesting.WithConfig(func(c *server.Config) {
		c.Properties["java.security.auth.login.config"] = p
	}))
	c, err := dialSASL(t, srv, "", "")
	require.NoError(t, err)
	var resp proto.SetSASLResponse
	_, err = c.Do(saslCtx(t), proto.OpSASL, &proto.GetSASLRequest{Token: []byte{}}, &resp)
	require.NoError(t, err)
	assert.Nil(t, resp.Token)
}

func TestBadSASLConfigRefusesToStart(t *testing.T) {
	good := writeJAAS(t, saslJAAS)
	kerberos := writeJAAS(t, `Server { com.sun.security.auth.module.Krb5LoginModule required useKeyTab=true keyTab="/etc/zk.keytab" storeKey=true principal="zookeeper/host@EXAMPLE.COM"; };`)
	ticketCache := writeJAAS(t, `Server { com.sun.security.auth.module.Krb5LoginModule required useTicketCache=true principal="zookeeper/host@EXAMPLE.COM"; };`)
	syntax := writeJAAS(t, "Server {\n org.apache.zookeeper.server.auth.DigestLoginModule required\n user_bob=\"x\"\n};")
	quorumOnly := writeJAAS(t, `QuorumServer { org.apache.zookeeper.server.auth.DigestLoginModule required user_test="t"; };`)
	for _, tc := range []struct {
		name  string
		props map[string]string
		want  string
	}{
		{"missing file", map[string]string{"java.security.auth.login.config": filepath.Join(t.TempDir(), "nope.conf")}, "nope.conf"},
		{"syntax", map[string]string{"java.security.auth.login.config": syntax}, "jaas.conf:4: expected an option name or ';', found '}'"},
		{"kerberos keytab missing", map[string]string{"java.security.auth.login.config": kerberos}, "keyTab /etc/zk.keytab"},
		{"kerberos ticket cache", map[string]string{"java.security.auth.login.config": ticketCache}, "zkit accepts Kerberos only with useKeyTab=true"},
		{"no server section with provider", map[string]string{"java.security.auth.login.config": quorumOnly, "authProvider.1": saslProvider}, `no JAAS configuration section named "Server"`},
		{"renamed section missing", map[string]string{"java.security.auth.login.config": good, "zookeeper.sasl.serverconfig": "ZkServer"}, `no JAAS configuration section named "ZkServer"`},
		{"section name without file", map[string]string{"zookeeper.sasl.serverconfig": "Server"}, "no JAAS file is configured"},
		{"enforce without schemes", map[string]string{"enforce.auth.enabled": "true"}, "enforce.auth.schemes must be configured"},
		{"enforce unknown scheme", map[string]string{"enforce.auth.enabled": "true", "enforce.auth.schemes": "sasl"}, `scheme "sasl" is not available`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := server.DefaultConfig()
			cfg.DataDir = t.TempDir()
			cfg.ClientPortAddress = "127.0.0.1"
			for k, v := range tc.props {
				cfg.Properties[k] = v
			}
			s, err := server.New(cfg)
			if err == nil {
				s.Close()
			}
			require.Error(t, err)
			assert.True(t, errors.Is(err, server.ErrSASLConfig), "%v", err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

// TestSASLOnEnsembleMembers: every member, leader and followers, runs
// the login on its own connections, and the sasl id passes through the
// leader's ACL checks for writes a follower forwards.
func TestSASLOnEnsembleMembers(t *testing.T) {
	jaasPath := writeJAAS(t, saslJAAS)
	ens := zktesting.StartEnsemble(t, 3, zktesting.WithMemberConfig(func(_ int64, c *server.Config) {
		c.Properties["java.security.auth.login.config"] = jaasPath
		c.Properties["authProvider.1"] = saslProvider
		c.Properties["sessionRequireClientSASLAuth"] = "true"
	}))
	ens.WaitLeader(zktesting.Scale(60 * time.Second))
	ens.WaitServing(zktesting.Scale(60 * time.Second))
	ctx := saslCtx(t)
	bobOnly := []proto.ACL{{Perms: proto.PermAll, ID: proto.ID{Scheme: "sasl", ID: "bob"}}}
	for i, addr := range ens.Servers() {
		c, err := client.Dial(ctx, addr, client.WithSASL(client.SASLCredentials{User: "bob", Password: "bobsecret"}))
		require.NoError(t, err, "member %d", i)
		path := fmt.Sprintf("/bob%d", i)
		_, err = c.Create(ctx, path, nil, 0, bobOnly)
		require.NoError(t, err, "member %d", i)
		require.NoError(t, c.Close())

		alice, err := client.Dial(ctx, addr, client.WithSASL(client.SASLCredentials{User: "alice", Password: "alicesecret"}))
		require.NoError(t, err)
		_, err = alice.SetData(ctx, path, []byte("x"), -1)
		require.ErrorIs(t, err, proto.ErrNoAuth, "member %d", i)
		require.NoError(t, alice.Close())

		_, err = client.Dial(ctx, addr, client.WithSASL(client.SASLCredentials{User: "bob", Password: "wrong"}))
		require.ErrorIs(t, err, proto.ErrSessionClosedRequireSASL, "member %d", i)
	}
}
