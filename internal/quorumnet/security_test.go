package quorumnet

import (
	"bytes"
	"crypto/tls"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/proto"
	"github.com/zkit-go/zkit/internal/quorumauth"
	"github.com/zkit-go/zkit/internal/tlsconf"
	"github.com/zkit-go/zkit/internal/tlsconf/tlstest"
)

// testCA issues certificates for the tests, generated at run time.
type testCA struct {
	ca  *tlstest.CA
	dir string
}

func newTestCA(t *testing.T) *testCA {
	ca, err := tlstest.NewCA("quorum test CA")
	require.NoError(t, err)
	return &testCA{ca: ca, dir: t.TempDir()}
}

var storeSeq atomic.Int32

// settings returns ssl.quorum.* settings for a PEM key store holding a
// certificate named cn for hosts, trusting trust's CA (nil: this CA), with
// the rest from extra (full property names).
func (c *testCA) settings(t *testing.T, cn string, hosts []string, trust *testCA, extra ...string) tlsconf.Settings {
	if trust == nil {
		trust = c
	}
	cert, err := c.ca.Issue(tlstest.Options{Subject: pkix.Name{CommonName: cn}, Hosts: hosts})
	require.NoError(t, err)
	n := storeSeq.Add(1)
	ks := filepath.Join(c.dir, fmt.Sprintf("key%d.pem", n))
	ts := filepath.Join(c.dir, fmt.Sprintf("trust%d.pem", n))
	pemKey, err := cert.PEM()
	require.NoError(t, tlstest.WriteFile(ks, pemKey, err))
	require.NoError(t, tlstest.WriteFile(ts, trust.ca.PEM(), nil))
	props := map[string]string{
		"zookeeper.ssl.quorum.keyStore.location":   ks,
		"zookeeper.ssl.quorum.keyStore.type":       "PEM",
		"zookeeper.ssl.quorum.trustStore.location": ts,
		"zookeeper.ssl.quorum.trustStore.type":     "PEM",
	}
	for i := 0; i+1 < len(extra); i += 2 {
		props[extra[i]] = extra[i+1]
	}
	st, err := tlsconf.FromProperties(func(k string) (string, bool) { v, ok := props[k]; return v, ok }, tlsconf.QuorumPrefix)
	require.NoError(t, err)
	return st
}

type brokenTLS struct{}

var errNoStore = errors.New("ssl.quorum.keyStore.location: /nowhere.p12: no such file")

func (brokenTLS) ServerConfig() (*tls.Config, error) { return nil, errNoStore }
func (brokenTLS) ClientConfig() (*tls.Config, error) { return nil, errNoStore }

// secureNets starts an ElectionNet per id, each with its own Security.
func secureNets(t *testing.T, secs map[int64]*Security) map[int64]*ElectionNet {
	return secureNetsLogged(t, secs, nil)
}

// secureNetsLogged is secureNets with each member's log in logs[id]
// where logs has one.
func secureNetsLogged(t *testing.T, secs map[int64]*Security, logs map[int64]*logBuffer) map[int64]*ElectionNet {
	addrs := map[int64]string{}
	lns := map[int64]net.Listener{}
	for id := range secs {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		addrs[id], lns[id] = ln.Addr().String(), ln
	}
	nets := map[int64]*ElectionNet{}
	for id, sec := range secs {
		peers := map[int64]string{}
		for pid, a := range addrs {
			if pid != id {
				peers[pid] = a
			}
		}
		ln := lns[id]
		logger := testLogger().With("net", id)
		if b := logs[id]; b != nil {
			logger = slog.New(slog.NewTextHandler(b, nil))
		}
		n := NewElectionNet(ElectionConfig{
			MyID: id, ListenAddr: addrs[id], Peers: peers,
			Listen:         func(string, string) (net.Listener, error) { return ln, nil },
			ConnectTimeout: scale(2 * time.Second),
			Logger:         logger,
			Security:       sec,
		})
		require.NoError(t, n.Start())
		nets[id] = n
		t.Cleanup(func() { n.Close() })
	}
	return nets
}

func tlsSec(ca *testCA, t *testing.T, unify bool) *Security {
	return &Security{SSLQuorum: true, PortUnification: unify,
		TLS: ca.settings(t, "server", []string{"127.0.0.1", "localhost"}, nil), Logger: testLogger()}
}

func exchange(t *testing.T, nets map[int64]*ElectionNet, a, b int64) {
	t.Helper()
	nets[a].Send(b, []byte("hello"))
	recvUntil(t, nets[b], a, "hello")
	nets[b].Send(a, []byte("back"))
	recvUntil(t, nets[a], b, "back")
}

func TestElectionTLS(t *testing.T) {
	ca := newTestCA(t)
	nets := secureNets(t, map[int64]*Security{1: tlsSec(ca, t, false), 2: tlsSec(ca, t, false), 3: tlsSec(ca, t, false)})
	exchange(t, nets, 1, 2)
	exchange(t, nets, 3, 1)
	exchange(t, nets, 2, 3)
}

// TestElectionPortUnification is the rolling switch to TLS: a member with
// portUnification and sslQuorum=false still dials plaintext and accepts
// both; members that already dial TLS reach it.
func TestElectionPortUnification(t *testing.T) {
	ca := newTestCA(t)
	unifiedPlain := tlsSec(ca, t, true)
	unifiedPlain.SSLQuorum = false
	nets := secureNets(t, map[int64]*Security{1: nil, 2: unifiedPlain, 3: tlsSec(ca, t, true)})
	exchange(t, nets, 1, 2) // plaintext both ways
	exchange(t, nets, 3, 2) // 3 dials TLS to 2; 2 dials plaintext to 3
}

func TestElectionTLSRefusals(t *testing.T) {
	ca, other := newTestCA(t), newTestCA(t)
	cases := map[string]*Security{
		"plaintext peer":    nil,
		"untrusted peer":    {SSLQuorum: true, TLS: other.settings(t, "x", []string{"127.0.0.1"}, ca)},
		"wrong address":     {SSLQuorum: true, TLS: ca.settings(t, "x", []string{"10.9.9.9", "elsewhere.invalid"}, nil)},
		"no CN and no SANs": {SSLQuorum: true, TLS: ca.settings(t, "", nil, nil)},
	}
	for name, bad := range cases {
		t.Run(name, func(t *testing.T) {
			nets := secureNets(t, map[int64]*Security{1: tlsSec(ca, t, false), 2: tlsSec(ca, t, false), 3: bad})
			exchange(t, nets, 1, 2)
			nets[3].Send(1, []byte("let me in"))
			nets[3].Send(2, []byte("let me in"))
			nets[1].Send(3, []byte("hi"))
			nets[2].Send(3, []byte("hi"))
			exchange(t, nets, 2, 1) // a later message that must come first
			select {
			case m := <-nets[3].Recv():
				t.Fatalf("refused peer got %q", m.Msg)
			case m := <-nets[1].Recv():
				t.Fatalf("member got %q from %d", m.Msg, m.From)
			case <-time.After(scale(300 * time.Millisecond)):
			}
			assert.False(t, nets[1].Connected(3))
			assert.False(t, nets[2].Connected(3))
		})
	}
}

func TestElectionTLSNoHostnameVerification(t *testing.T) {
	ca := newTestCA(t)
	off := []string{"zookeeper.ssl.quorum.hostnameVerification", "false"}
	far := &Security{SSLQuorum: true, TLS: ca.settings(t, "x", []string{"10.9.9.9"}, nil, off...)}
	lax := func() *Security {
		return &Security{SSLQuorum: true, TLS: ca.settings(t, "y", []string{"127.0.0.1"}, nil, off...)}
	}
	nets := secureNets(t, map[int64]*Security{1: lax(), 2: far})
	exchange(t, nets, 1, 2)
}

func TestSecurityCheck(t *testing.T) {
	assert.NoError(t, (*Security)(nil).Check())
	assert.ErrorIs(t, (&Security{SSLQuorum: true}).Check(), ErrTLS)
	err := (&Security{SSLQuorum: true, TLS: brokenTLS{}}).Check()
	assert.ErrorIs(t, err, errNoStore)
	assert.ErrorContains(t, err, "ssl.quorum.keyStore.location")
}

// passwordServer and passwordLearner are a toy mechanism: one challenge,
// the password as the response. The DIGEST-MD5 runs are in package server.
type passwordServer struct{ want string }

func (p passwordServer) Step(resp []byte) ([]byte, bool, error) {
	switch {
	case len(resp) == 0:
		return []byte("password?"), false, nil
	case string(resp) == p.want:
		return []byte("welcome"), true, nil
	}
	return nil, false, errors.New("wrong password")
}

type passwordLearner struct{ pw string }

func (p passwordLearner) Step(ch []byte) ([]byte, bool, error) {
	if string(ch) == "welcome" {
		return nil, true, nil
	}
	return []byte(p.pw), false, nil
}

func saslSec(pw string, learnerRequired, serverRequired bool) *Security {
	return &Security{Logger: testLogger(), Auth: &Auth{
		LearnerRequired: learnerRequired,
		ServerRequired:  serverRequired,
		NewLearner:      func(string) (quorumauth.LearnerMechanism, error) { return passwordLearner{pw}, nil },
		NewServer:       func() (quorumauth.ServerMechanism, error) { return passwordServer{"secret"}, nil },
	}}
}

func TestElectionSASL(t *testing.T) {
	nets := secureNets(t, map[int64]*Security{1: saslSec("secret", true, true), 2: saslSec("secret", true, true), 3: saslSec("wrong", true, true)})
	exchange(t, nets, 1, 2)
	nets[3].Send(1, []byte("let me in"))
	nets[3].Send(2, []byte("let me in"))
	exchange(t, nets, 2, 1)
	select {
	case m := <-nets[1].Recv():
		t.Fatalf("member got %q from %d", m.Msg, m.From)
	case m := <-nets[2].Recv():
		t.Fatalf("member got %q from %d", m.Msg, m.From)
	case <-time.After(scale(300 * time.Millisecond)):
	}
	assert.False(t, nets[1].Connected(3))
	assert.False(t, nets[2].Connected(3))
}

// TestElectionSASLUpgrade is the rolling path: servers that do not require
// SASL accept a member that does not authenticate (learnerRequireSasl
// false) as well as one that does.
func TestElectionSASLUpgrade(t *testing.T) {
	nets := secureNets(t, map[int64]*Security{1: saslSec("secret", false, false), 2: saslSec("secret", true, false), 3: saslSec("secret", false, false)})
	exchange(t, nets, 1, 2)
	exchange(t, nets, 1, 3)
	exchange(t, nets, 3, 2)
}

// recordingServer is passwordServer that keeps the peer address and
// whether it was closed, as a GSSAPI acceptor would be given them.
type recordingServer struct {
	passwordServer
	peer   chan net.IP
	closed chan struct{}
	once   sync.Once
}

func (r *recordingServer) SetPeer(ip net.IP) {
	select {
	case r.peer <- ip:
	default: // a reconnection: the first is enough
	}
}
func (r *recordingServer) Close() error {
	r.once.Do(func() { close(r.closed) })
	return nil
}

// TestElectionSASLPeerNames: the learner's mechanism is made for the host
// it dials (Kerberos' _HOST), the server's is told the learner's address
// and closed after the exchange.
func TestElectionSASLPeerNames(t *testing.T) {
	hosts := make(chan string, 64)
	srv := &recordingServer{passwordServer: passwordServer{"secret"}, peer: make(chan net.IP, 16), closed: make(chan struct{})}
	learner := saslSec("secret", true, true)
	learner.Auth.NewLearner = func(host string) (quorumauth.LearnerMechanism, error) {
		select {
		case hosts <- host:
		default:
		}
		return passwordLearner{"secret"}, nil
	}
	server := saslSec("secret", true, true)
	server.Auth.NewServer = func() (quorumauth.ServerMechanism, error) { return srv, nil }
	nets := secureNets(t, map[int64]*Security{1: server, 2: learner})
	exchange(t, nets, 2, 1)
	assert.Equal(t, "127.0.0.1", <-hosts)
	assert.Equal(t, "127.0.0.1", (<-srv.peer).String())
	select {
	case <-srv.closed:
	case <-time.After(scale(5 * time.Second)):
		t.Fatal("the server mechanism was not closed")
	}
}

func TestElectionSASLOverTLS(t *testing.T) {
	ca := newTestCA(t)
	both := func(pw string) *Security {
		s := tlsSec(ca, t, false)
		s.Auth = saslSec(pw, true, true).Auth
		return s
	}
	nets := secureNets(t, map[int64]*Security{1: both("secret"), 2: both("secret")})
	exchange(t, nets, 1, 2)
}

// learnerPair connects a learner to a leader's secure quorum port and
// checks a packet goes each way.
func learnerPair(t *testing.T, leaderSec, learnerSec *Security) error {
	ln, err := ListenLearnersSecure("127.0.0.1:0", nil, leaderSec, scale(2*time.Second))
	require.NoError(t, err)
	defer ln.Close()
	c, err := DialLeaderSecure(ln.Addr().String(), nil, scale(2*time.Second), learnerSec)
	if err != nil {
		return err
	}
	defer c.Close()
	// The learner speaks first (FOLLOWERINFO), as a unified port needs.
	require.NoError(t, c.Send(proto.QuorumPacket{Type: 11, Zxid: 7, Data: []byte("info")}))
	l, err := ln.Accept()
	require.NoError(t, err)
	defer l.Close()
	l.SetReadTimeout(scale(2 * time.Second))
	c.SetReadTimeout(scale(2 * time.Second))
	got, err := l.Recv()
	if err != nil {
		return err
	}
	assert.Equal(t, int32(11), got.Type)
	assert.Equal(t, []byte("info"), got.Data)
	require.NoError(t, l.Send(proto.QuorumPacket{Type: 17, Zxid: 8}))
	got, err = c.Recv()
	if err != nil {
		return err
	}
	assert.Equal(t, int32(17), got.Type)
	return nil
}

func TestLearnerPortSecurity(t *testing.T) {
	ca := newTestCA(t)
	both := func(pw string, lreq, sreq bool) *Security {
		s := tlsSec(ca, t, false)
		s.Auth = saslSec(pw, lreq, sreq).Auth
		return s
	}
	require.NoError(t, learnerPair(t, tlsSec(ca, t, false), tlsSec(ca, t, false)))
	require.NoError(t, learnerPair(t, tlsSec(ca, t, true), nil), "unified port, plaintext learner")
	require.NoError(t, learnerPair(t, saslSec("secret", true, true), saslSec("secret", true, true)))
	require.NoError(t, learnerPair(t, both("secret", true, true), both("secret", true, true)))
	require.NoError(t, learnerPair(t, saslSec("secret", false, false), nil), "not required: a learner without SASL")
	require.NoError(t, learnerPair(t, saslSec("secret", false, false), saslSec("secret", true, false)))

	err := learnerPair(t, saslSec("secret", true, true), saslSec("wrong", true, true))
	assert.ErrorIs(t, err, ErrAuth)
	assert.ErrorIs(t, err, quorumauth.ErrRejected)
	err = learnerPair(t, saslSec("secret", true, false), saslSec("wrong", true, false))
	assert.ErrorIs(t, err, quorumauth.ErrRejected, "the learner gives up even when the server would keep it")
}

// TestLearnerPortRefusals: a learner without SASL (or without TLS) is
// refused by a leader that requires it, and a silent connection does not
// hold up the next learner.
func TestLearnerPortRefusals(t *testing.T) {
	ca := newTestCA(t)
	for name, secs := range map[string][2]*Security{
		"sasl required": {saslSec("secret", true, true), nil},
		"tls only":      {tlsSec(ca, t, false), nil},
	} {
		t.Run(name, func(t *testing.T) {
			ln, err := ListenLearnersSecure("127.0.0.1:0", nil, secs[0], scale(2*time.Second))
			require.NoError(t, err)
			defer ln.Close()
			silent, err := net.Dial("tcp", ln.Addr().String())
			require.NoError(t, err)
			defer silent.Close()
			good := secs[0]
			if good.Auth != nil {
				good = saslSec("secret", true, true)
			}
			c, err := DialLeaderSecure(ln.Addr().String(), nil, scale(2*time.Second), good)
			require.NoError(t, err)
			defer c.Close()
			l, err := ln.Accept()
			require.NoError(t, err, "the silent connection holds nothing up")
			l.Close()

			bad, err := DialLeaderSecure(ln.Addr().String(), nil, scale(2*time.Second), secs[1])
			require.NoError(t, err)
			defer bad.Close()
			require.NoError(t, bad.Send(proto.QuorumPacket{Type: 11, Data: bytes.Repeat([]byte("x"), 8)}))
			bad.SetReadTimeout(scale(2 * time.Second))
			_, err = bad.Recv()
			require.Error(t, err, "the refused learner's connection is closed")
			var ne net.Error
			assert.False(t, errors.As(err, &ne) && ne.Timeout(), "closed, not left hanging: %v", err)
		})
	}
}

// TestLearnerPortCertReload: with sslQuorumReloadCertFiles a changed key
// store is used by the next connection; without it the one read at start
// stays in use (StaticTLS reads the stores once).
func TestLearnerPortCertReload(t *testing.T) {
	for _, reload := range []bool{false, true} {
		t.Run(fmt.Sprintf("reload=%v", reload), func(t *testing.T) {
			ca, other := newTestCA(t), newTestCA(t)
			st := ca.settings(t, "leader", []string{"127.0.0.1"}, nil)
			st.ReloadCertFiles = reload
			st.ReloadCheckInterval = time.Nanosecond
			src, err := StaticTLS(st)
			require.NoError(t, err)
			ln, err := ListenLearnersSecure("127.0.0.1:0", nil, &Security{SSLQuorum: true, TLS: src}, scale(2*time.Second))
			require.NoError(t, err)
			defer ln.Close()
			learner := tlsSec(ca, t, false)
			dial := func() error {
				c, err := DialLeaderSecure(ln.Addr().String(), nil, scale(2*time.Second), learner)
				if err != nil {
					return err
				}
				defer c.Close()
				l, err := ln.Accept()
				require.NoError(t, err)
				return l.Close()
			}
			require.NoError(t, dial())

			// The leader's key store now holds a certificate the learner
			// does not trust.
			cert, err := other.ca.Issue(tlstest.Options{Subject: pkix.Name{CommonName: "rogue"}, Hosts: []string{"127.0.0.1"}})
			require.NoError(t, err)
			pemKey, err := cert.PEM()
			require.NoError(t, tlstest.WriteFile(st.KeyStore.Location, pemKey, err))
			later := time.Now().Add(time.Minute)
			require.NoError(t, os.Chtimes(st.KeyStore.Location, later, later))
			if reload {
				assert.ErrorIs(t, dial(), ErrTLS, "the reloaded certificate is used")
			} else {
				assert.NoError(t, dial(), "the certificate read at start is kept")
			}
		})
	}
}

// TestElectionSASLGarbage: a peer that starts an auth packet with an
// absurd token length, or stops in the middle of one, is dropped without
// harm to the others.
func TestElectionSASLGarbage(t *testing.T) {
	nets := secureNets(t, map[int64]*Security{1: saslSec("secret", true, true), 2: saslSec("secret", true, true)})
	exchange(t, nets, 1, 2)
	addr := nets[2].Addr().String()
	for name, tail := range map[string][]byte{
		"huge token":      quorumauth.AppendPacket(nil, quorumauth.NewPacket(quorumauth.InProgress, nil))[:12],
		"truncated token": quorumauth.AppendPacket(nil, quorumauth.NewPacket(quorumauth.InProgress, []byte("abcdef")))[:18],
	} {
		t.Run(name, func(t *testing.T) {
			c, err := net.Dial("tcp", addr)
			require.NoError(t, err)
			defer c.Close()
			msg := append(handshake(9, "127.0.0.1:1"), tail...)
			if name == "huge token" {
				msg = append(msg, 0x7f, 0xff, 0xff, 0xff)
			}
			_, err = c.Write(msg)
			require.NoError(t, err)
			if name == "truncated token" {
				c.(*net.TCPConn).CloseWrite()
			}
			_ = c.SetReadDeadline(time.Now().Add(scale(5 * time.Second)))
			b := make([]byte, 64)
			for {
				if _, err = c.Read(b); err != nil {
					break
				}
			}
			var ne net.Error
			assert.False(t, errors.As(err, &ne) && ne.Timeout(), "closed, not left hanging")
			assert.False(t, nets[2].Connected(9))
		})
	}
	exchange(t, nets, 2, 1)
}

// TestElectionTLSPeerNames: a quorum server's certificate may match the
// address connected to, the host of its server line, or a name the
// address resolves back to, as ZKTrustManager allows on the quorum.
func TestElectionTLSPeerNames(t *testing.T) {
	if names, _ := net.LookupAddr("127.0.0.1"); len(names) == 0 {
		t.Skip("127.0.0.1 has no reverse name here")
	}
	ca := newTestCA(t)
	cases := []struct {
		name  string
		hosts []string // the server's certificate
		dial  string   // the host the client dials
	}{
		{"address, dialled by name", []string{"127.0.0.1"}, "localhost"},
		{"name, dialled by name", []string{"localhost"}, "localhost"},
		{"name, dialled by address (reverse lookup)", []string{"localhost"}, "127.0.0.1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			server := &Security{SSLQuorum: true, TLS: ca.settings(t, "server", tc.hosts, nil,
				"zookeeper.ssl.quorum.clientAuth", "none")}
			ln, err := ListenLearnersSecure("127.0.0.1:0", nil, server, scale(2*time.Second))
			require.NoError(t, err)
			defer ln.Close()
			_, port, _ := net.SplitHostPort(ln.Addr().String())
			client := tlsSec(ca, t, false)
			c, err := DialLeaderSecure(net.JoinHostPort(tc.dial, port), nil, scale(2*time.Second), client)
			require.NoError(t, err)
			c.Close()
		})
	}
	server := &Security{SSLQuorum: true, TLS: ca.settings(t, "server", []string{"elsewhere.invalid"}, nil,
		"zookeeper.ssl.quorum.clientAuth", "none")}
	ln, err := ListenLearnersSecure("127.0.0.1:0", nil, server, scale(2*time.Second))
	require.NoError(t, err)
	defer ln.Close()
	_, err = DialLeaderSecure(ln.Addr().String(), nil, scale(2*time.Second), tlsSec(ca, t, false))
	assert.ErrorIs(t, err, ErrTLS, "no name matches")
}

// logBuffer is a log destination safe for the nets' goroutines.
type logBuffer struct {
	mu sync.Mutex // guards b
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestElectionTLSMismatchHint: with sslQuorum=true on one member only,
// both sides say in the log that the other side's TLS setting differs,
// not just "first record does not look like a TLS handshake" or "EOF".
func TestElectionTLSMismatchHint(t *testing.T) {
	ca := newTestCA(t)
	logs := map[int64]*logBuffer{1: {}, 3: {}}
	nets := secureNetsLogged(t, map[int64]*Security{1: tlsSec(ca, t, false), 2: tlsSec(ca, t, false), 3: nil}, logs)
	exchange(t, nets, 1, 2)
	deadline := time.Now().Add(scale(10 * time.Second))
	for {
		nets[3].Send(1, []byte("plaintext")) // 3 dials 1 in plaintext
		nets[1].Send(3, []byte("tls"))       // 1 dials 3 in TLS
		l1 := logs[1].String()
		if strings.Contains(l1, hintPlaintextPeer) && strings.Contains(l1, hintTLSPeer) {
			break
		}
		require.True(t, time.Now().Before(deadline), "member 1's log has no mismatch hint:\n%s", l1)
		time.Sleep(50 * time.Millisecond) // polling the log while the nets retry
	}
	assert.Contains(t, logs[1].String(), `msg="bad election handshake"`)
	assert.Contains(t, logs[1].String(), `msg="cannot open election connection"`)
	assert.False(t, nets[1].Connected(3))
}

func TestMismatchHint(t *testing.T) {
	assert.Empty(t, mismatchHint(nil, true))
	assert.Equal(t, hintPlaintextPeer, mismatchHint(fmt.Errorf("read: %w", tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}), false))
	assert.Equal(t, hintTLSPeer, mismatchHint(fmt.Errorf("%w: handshake with x: %w", ErrTLS, io.EOF), true))
	assert.Equal(t, hintMaybeTLSPeer, mismatchHint(fmt.Errorf("%w: read packet: %w", ErrAuth, io.EOF), false))
	assert.Empty(t, mismatchHint(fmt.Errorf("%w: wrong password", ErrAuth), false), "a SASL failure is not a TLS mismatch")
	assert.Empty(t, mismatchHint(fmt.Errorf("%w: bad certificate", ErrTLS), true))
}
