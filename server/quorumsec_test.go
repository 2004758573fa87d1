package server_test

import (
	"crypto/tls"
	"crypto/x509/pkix"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/tlsconf/tlstest"
	"github.com/zkit-go/zkit/server"
	zktesting "github.com/zkit-go/zkit/testing"
)

// quorumPKI makes a CA and, per member, PKCS#12 key and trust stores for
// 127.0.0.1 (the quorum hostname verification checks the address).
type quorumPKI struct {
	ca  *tlstest.CA
	dir string
}

func newQuorumPKI(t *testing.T) *quorumPKI {
	ca, err := tlstest.NewCA("quorum CA")
	require.NoError(t, err)
	return &quorumPKI{ca: ca, dir: t.TempDir()}
}

// stores writes member name's stores and returns their paths.
func (p *quorumPKI) stores(t testing.TB, name string) (keyStore, trustStore string) {
	cert, err := p.ca.Issue(tlstest.Options{Subject: pkix.Name{CommonName: name, OrganizationalUnit: []string{"quorum"}},
		Hosts: []string{"127.0.0.1", "localhost"}})
	require.NoError(t, err)
	keyStore = filepath.Join(p.dir, name+".p12")
	trustStore = filepath.Join(p.dir, name+"-trust.p12")
	ks, err := cert.PKCS12("kspass")
	require.NoError(t, tlstest.WriteFile(keyStore, ks, err))
	ts, err := p.ca.PKCS12TrustStore("tspass")
	require.NoError(t, tlstest.WriteFile(trustStore, ts, err))
	return keyStore, trustStore
}

// sslQuorumProps are the zoo.cfg lines of a member with sslQuorum.
func sslQuorumProps(keyStore, trustStore string) map[string]string {
	return map[string]string{
		"sslQuorum":                       "true",
		"ssl.quorum.keyStore.location":    keyStore,
		"ssl.quorum.keyStore.password":    "kspass",
		"ssl.quorum.keyStore.type":        "PKCS12",
		"ssl.quorum.trustStore.location":  trustStore,
		"ssl.quorum.trustStore.password":  "tspass",
		"ssl.quorum.trustStore.type":      "PKCS12",
		"ssl.quorum.hostnameVerification": "true",
	}
}

// withProps adds zoo.cfg properties to each member. The map props returns
// becomes the member's Properties, so a test may change it between a
// Stop and a Restart (the server reads it in New).
func withProps(props func(id int64) map[string]string) zktesting.EnsembleOption {
	return zktesting.WithMemberConfig(func(id int64, c *server.Config) {
		p := props(id)
		for k, v := range c.Properties {
			if _, ok := p[k]; !ok {
				p[k] = v
			}
		}
		c.Properties = p
	})
}

// replicates writes through the ensemble and reads the node back on every
// member after a sync.
func replicates(t *testing.T, ens *zktesting.Ensemble, path string) {
	t.Helper()
	c, _ := connectTo(t, ens.Servers())
	_, err := c.Create(path, []byte("secured"), 0, openACL)
	require.NoError(t, err)
	for _, m := range ens.Members {
		if m.Server() == nil {
			continue
		}
		kids := syncedChildren(t, m, "/")
		assert.Contains(t, kids, path[1:], "member %d", m.ID)
	}
}

// quorumPorts returns member m's quorum and election addresses.
func quorumPorts(t *testing.T, m *zktesting.Member) (quorum, election string) {
	spec := m.ServerSpec() // server.N=host:quorum:election:role;client
	var id int64
	var host string
	var qp, ep int
	_, err := fmt.Sscanf(spec, "server.%d=%s", &id, &host)
	require.NoError(t, err)
	parts := splitSpec(host)
	qp, _ = strconv.Atoi(parts[1])
	ep, _ = strconv.Atoi(parts[2])
	return net.JoinHostPort(parts[0], strconv.Itoa(qp)), net.JoinHostPort(parts[0], strconv.Itoa(ep))
}

func splitSpec(s string) []string {
	var out []string
	cur := ""
	for _, r := range s {
		if r == ':' || r == ';' {
			out = append(out, cur)
			cur = ""
			continue
		}
		cur += string(r)
	}
	return append(out, cur)
}

func TestEnsembleSSLQuorum(t *testing.T) {
	pki := newQuorumPKI(t)
	ens := zktesting.StartEnsemble(t, 3, withProps(func(id int64) map[string]string {
		return sslQuorumProps(pki.stores(t, fmt.Sprintf("member%d", id)))
	}))
	ens.WaitLeader(timeout(30 * time.Second))
	replicates(t, ens, "/over-tls")

	// Both ports speak TLS with mutual authentication: a peer with a
	// certificate from the CA completes a handshake, one without none.
	cert, err := pki.ca.Issue(tlstest.Options{Subject: pkix.Name{CommonName: "probe"}, Hosts: []string{"127.0.0.1"}})
	require.NoError(t, err)
	quorum, election := quorumPorts(t, ens.Leader())
	for _, addr := range []string{quorum, election} {
		d := &net.Dialer{Timeout: timeout(5 * time.Second)}
		good, err := tls.DialWithDialer(d, "tcp", addr, &tls.Config{RootCAs: pki.ca.Pool(), Certificates: []tls.Certificate{cert.TLSCertificate()}, ServerName: "127.0.0.1"})
		require.NoError(t, err, addr)
		good.Close()
		bad, err := tls.DialWithDialer(d, "tcp", addr, &tls.Config{RootCAs: pki.ca.Pool(), ServerName: "127.0.0.1"})
		if err == nil {
			// TLS 1.3 reports the missing certificate on the first read.
			_ = bad.SetReadDeadline(time.Now().Add(timeout(5 * time.Second)))
			_, err = bad.Read(make([]byte, 1))
			bad.Close()
		}
		require.Error(t, err, "no client certificate on %s", addr)
	}
}

// TestEnsemblePortUnificationRollingSwitch is Java's documented rolling
// upgrade to TLS: every member on portUnification, then sslQuorum one by
// one, then portUnification off.
func TestEnsemblePortUnificationRollingSwitch(t *testing.T) {
	pki := newQuorumPKI(t)
	phase := map[int64]map[string]string{}
	ens := zktesting.StartEnsemble(t, 3, withProps(func(id int64) map[string]string {
		ks, ts := pki.stores(t, fmt.Sprintf("member%d", id))
		p := sslQuorumProps(ks, ts)
		p["sslQuorum"] = "false"
		p["portUnification"] = "true"
		phase[id] = p
		return p
	}))
	replicates(t, ens, "/phase1")
	for _, step := range []map[string]string{{"sslQuorum": "true"}, {"portUnification": "false"}} {
		for _, m := range ens.Members {
			m.Stop()
			for k, v := range step {
				phase[m.ID][k] = v
			}
			m.Restart()
			ens.WaitServing(timeout(60 * time.Second))
		}
	}
	replicates(t, ens, "/phase3")
}
