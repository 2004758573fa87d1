package quorumauth

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// initialScripted is a scripted mechanism that speaks first, as GSSAPI.
type initialScripted struct{ scripted }

func (*initialScripted) HasInitialResponse() bool { return true }

// The GSSAPI shape (RFC 4752 through QuorumAuthPackets, as Java's
// SaslQuorumAuthLearner and SaslQuorumAuthServer exchange it): the
// learner's first packet carries the AP-REQ, the learner completes when it
// sends its layer choice, and the server's SUCCESS then ends the exchange
// without the learner's mechanism reading the (null) token.
func TestExchangeWithInitialResponse(t *testing.T) {
	lm := &initialScripted{scripted{t: t, steps: []step{
		{in: "", out: []byte("ap-req")},
		{in: "ap-rep", out: []byte{}},
		{in: "offer", out: []byte("choice"), done: true},
	}}}
	sm := &scripted{t: t, steps: []step{
		{in: "ap-req", out: []byte("ap-rep")},
		{in: "", out: []byte("offer")},
		{in: "choice", done: true},
	}}
	lo, so, lerr, serr := run(t, NewLearner(lm), NewServer(sm, true))
	require.NoError(t, lerr)
	require.NoError(t, serr)
	assert.Equal(t, Authenticated, lo)
	assert.Equal(t, Authenticated, so)
	assert.Empty(t, lm.steps)
	assert.Empty(t, sm.steps)
}

func TestLearnerAfterCompletion(t *testing.T) {
	start := func(t *testing.T) *Learner {
		l := NewLearner(&initialScripted{scripted{t: t, steps: []step{
			{in: "", out: []byte("ap-req")},
			{in: "offer", out: []byte("choice"), done: true},
		}}})
		p, err := l.Start()
		require.NoError(t, err)
		assert.Equal(t, []byte("ap-req"), p.Token)
		reply, out, err := l.Step(NewPacket(InProgress, []byte("offer")))
		require.NoError(t, err)
		require.Equal(t, Continue, out)
		assert.Equal(t, []byte("choice"), reply.Token)
		return l
	}
	_, out, err := start(t).Step(NewPacket(Success, nil))
	require.NoError(t, err, "a Java server's SUCCESS carries a null token")
	assert.Equal(t, Authenticated, out)

	_, out, err = start(t).Step(NewPacket(Error, []byte{}))
	assert.Equal(t, Rejected, out)
	assert.ErrorIs(t, err, ErrRejected)

	_, out, err = start(t).Step(NewPacket(InProgress, []byte("more")))
	assert.Equal(t, Rejected, out)
	assert.ErrorIs(t, err, ErrProtocol)
}

func TestStartInitialResponseError(t *testing.T) {
	boom := errors.New("no ticket")
	l := NewLearner(&initialScripted{scripted{t: t, steps: []step{{in: "", err: boom}}}})
	_, err := l.Start()
	assert.ErrorIs(t, err, boom)
	_, out, err := l.Step(NewPacket(InProgress, []byte{}))
	assert.Equal(t, Rejected, out)
	assert.ErrorIs(t, err, ErrProtocol)
}

// Cases from SecurityUtils.getServerPrincipal: only "service/_HOST" is
// substituted, lower-cased.
func TestServicePrincipal(t *testing.T) {
	for _, c := range []struct{ config, host, want string }{
		{"zkquorum/_HOST", "ZK1.Example.COM", "zkquorum/zk1.example.com"},
		{"zkquorum/_HOST", "127.0.0.1", "zkquorum/127.0.0.1"},
		{"zkquorum/_HOST@EXAMPLE.COM", "zk1", "zkquorum/_HOST@EXAMPLE.COM"},
		{"zkquorum/localhost", "zk1", "zkquorum/localhost"},
		{"zkquorum", "zk1", "zkquorum"},
		{"a/_HOST/b", "zk1", "a/_HOST/b"},
		{"_HOST", "zk1", "_HOST"},
	} {
		assert.Equal(t, c.want, ServicePrincipal(c.config, c.host), "%s with %s", c.config, c.host)
	}
}

// Cases from SaslQuorumServerCallbackHandler.handleAuthorizeCallback for a
// Kerberos QuorumServer section.
func TestHostAuthorizer(t *testing.T) {
	authz := HostAuthorizer([]string{"zk1.example.com", "127.0.0.1"})
	for _, id := range []string{"zkquorum/zk1.example.com@EXAMPLE.COM", "zkquorum/127.0.0.1@EXAMPLE.COM", "/127.0.0.1@R"} {
		got, err := authz(id, id)
		require.NoError(t, err, id)
		assert.Equal(t, id, got)
	}
	for _, c := range []struct{ authcid, requested string }{
		{"zkquorum/zk9.example.com@EXAMPLE.COM", "zkquorum/zk9.example.com@EXAMPLE.COM"}, // host not in the ensemble
		{"zkquorum/zk1.example.com@EXAMPLE.COM", "zkquorum/127.0.0.1@EXAMPLE.COM"},       // acting as another
		{"bob@EXAMPLE.COM", "bob@EXAMPLE.COM"},                                           // no host
		{"a/zk1.example.com/x@EXAMPLE.COM", "a/zk1.example.com/x@EXAMPLE.COM"},           // four parts
		{"zkquorum/zk1.example.com@", "zkquorum/zk1.example.com@"},                       // trailing empty part dropped
		{"zkquorum/ZK1.EXAMPLE.COM@EXAMPLE.COM", "zkquorum/ZK1.EXAMPLE.COM@EXAMPLE.COM"}, // case matters, as in Java
	} {
		_, err := authz(c.authcid, c.requested)
		assert.ErrorIs(t, err, ErrUnauthorizedHost, "%s as %s", c.authcid, c.requested)
	}
}
