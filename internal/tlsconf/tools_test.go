package tlsconf_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/tlsconf"
)

func run(t *testing.T, name string, args ...string) {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	require.NoError(t, err, "%s %v: %s", name, args, out)
}

// TestStoresMadeByKeytool loads JKS and PKCS12 stores keytool makes: a
// self-signed key pair, and a trust store holding its exported
// certificate, then handshakes with them.
func TestStoresMadeByKeytool(t *testing.T) {
	if _, err := exec.LookPath("keytool"); err != nil {
		t.Skip("keytool is not installed")
	}
	dir := t.TempDir()
	for _, typ := range []struct{ name, ext string }{{"JKS", ".jks"}, {"PKCS12", ".p12"}} {
		t.Run(typ.name, func(t *testing.T) {
			ks := filepath.Join(dir, "server"+typ.ext)
			ts := filepath.Join(dir, "trust"+typ.ext)
			crt := filepath.Join(dir, "server-"+typ.name+".crt")
			run(t, "keytool", "-genkeypair", "-keystore", ks, "-storetype", typ.name, "-storepass", password,
				"-keypass", password, "-alias", "server", "-keyalg", "EC", "-groupname", "secp256r1",
				"-dname", "CN=alice, OU=clients, O=example", "-ext", "SAN=ip:127.0.0.1", "-validity", "2")
			run(t, "keytool", "-exportcert", "-keystore", ks, "-storetype", typ.name, "-storepass", password,
				"-alias", "server", "-file", crt)
			run(t, "keytool", "-importcert", "-noprompt", "-keystore", ts, "-storetype", typ.name,
				"-storepass", password, "-alias", "ca", "-file", crt)
			stores := map[string]string{
				"keyStore.location": ks, "keyStore.password": password,
				"trustStore.location": ts, "trustStore.password": password,
			}
			srv, err := settings(t, tlsconf.ClientPrefix, stores).ServerConfig()
			require.NoError(t, err)
			state, serr, cerr := handshake(t, srv, clientFor(t, settings(t, tlsconf.ClientPrefix, stores), "127.0.0.1"))
			require.NoError(t, serr)
			require.NoError(t, cerr)
			assert.Equal(t, "CN=alice,OU=clients,O=example", tlsconf.X509ID(state.PeerCertificates[0]))

			wrong := map[string]string{"keyStore.location": ks, "keyStore.password": "wrong-pw"}
			_, err = settings(t, tlsconf.ClientPrefix, wrong).ServerConfig()
			require.ErrorIs(t, err, tlsconf.ErrStore)
			assert.Contains(t, err.Error(), "wrong password")
		})
	}
}

// TestPEMMadeByOpenSSL loads PEM key stores openssl makes: a traditional
// EC key, an unencrypted PKCS#8 key and an encrypted PKCS#8 key.
func TestPEMMadeByOpenSSL(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl is not installed")
	}
	dir := t.TempDir()
	key := filepath.Join(dir, "key.pem")
	crt := filepath.Join(dir, "crt.pem")
	run(t, "openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", key)
	run(t, "openssl", "req", "-new", "-x509", "-key", key, "-out", crt, "-days", "2",
		"-subj", "/O=example/OU=clients/CN=alice", "-addext", "subjectAltName=IP:127.0.0.1")
	p8 := filepath.Join(dir, "key.p8")
	run(t, "openssl", "pkcs8", "-topk8", "-nocrypt", "-in", key, "-out", p8)
	enc := filepath.Join(dir, "key.enc")
	run(t, "openssl", "pkcs8", "-topk8", "-v2", "aes-256-cbc", "-passout", "pass:"+password, "-in", key, "-out", enc)

	cat := func(name string, parts ...string) string {
		var b []byte
		for _, p := range parts {
			d, err := os.ReadFile(p)
			require.NoError(t, err)
			b = append(b, d...)
		}
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, b, 0o600))
		return path
	}
	for _, c := range []struct {
		name, file, password string
		ok                   bool
	}{
		{"sec1", cat("sec1.pem", crt, key), "", true},
		{"pkcs8", cat("pkcs8.pem", key, crt), "", true},
		{"pkcs8 encrypted", cat("enc.pem", crt, enc), password, true},
		{"pkcs8 encrypted, wrong password", cat("enc2.pem", crt, enc), "nope", false},
		{"pkcs8 encrypted, no password", cat("enc3.pem", crt, enc), "", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			stores := map[string]string{"keyStore.location": c.file, "keyStore.password": c.password, "trustStore.location": crt}
			srv, err := settings(t, tlsconf.ClientPrefix, stores).ServerConfig()
			if !c.ok {
				require.ErrorIs(t, err, tlsconf.ErrStore)
				assert.Contains(t, err.Error(), c.file)
				return
			}
			require.NoError(t, err)
			_, serr, cerr := handshake(t, srv, clientFor(t, settings(t, tlsconf.ClientPrefix, stores), "127.0.0.1"))
			require.NoError(t, serr)
			require.NoError(t, cerr)
		})
	}
}
