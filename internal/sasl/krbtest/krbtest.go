// Package krbtest runs a throwaway MIT Kerberos KDC (Debian's krb5-kdc)
// on loopback for tests: a fresh database in a temp dir, principals with
// random keys exported to keytabs, and a krb5.conf pointing at it.
package krbtest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zkit-go/zkit/internal/testport"
)

// Realm is the test realm.
const Realm = "EXAMPLE.COM"

// KDC is a running test KDC.
type KDC struct {
	Dir      string
	KRB5Conf string // krb5.conf for clients (Java: -Djava.security.krb5.conf)
	Addr     string
	env      []string
	t        testing.TB
}

// Start starts a KDC, skipping the test when krb5-kdc is not installed.
// It is stopped when the test ends.
func Start(t testing.TB) *KDC {
	t.Helper()
	for _, b := range []string{"krb5kdc", "kdb5_util", "kadmin.local"} {
		if _, err := exec.LookPath(b); err != nil {
			if _, err := os.Stat("/usr/sbin/" + b); err != nil {
				t.Skipf("%s not installed: apt-get install -y krb5-kdc krb5-admin-server", b)
			}
		}
	}
	dir := t.TempDir()
	port, err := testport.Free()
	if err != nil {
		t.Fatalf("krbtest: %v", err)
	}
	k := &KDC{Dir: dir, KRB5Conf: filepath.Join(dir, "krb5.conf"), Addr: fmt.Sprintf("127.0.0.1:%d", port), t: t}
	kdcConf := fmt.Sprintf(`[kdcdefaults]
 kdc_ports = %[1]s
 kdc_tcp_ports = %[1]s
[realms]
 %[2]s = {
  database_name = %[3]s/principal
  key_stash_file = %[3]s/stash
  acl_file = %[3]s/kadm5.acl
  supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal
  max_life = 1h
 }
[logging]
 kdc = FILE:%[3]s/kdc.log
`, k.Addr, Realm, dir)
	krb5Conf := fmt.Sprintf(`[libdefaults]
 default_realm = %[2]s
 dns_lookup_kdc = false
 dns_lookup_realm = false
 rdns = false
 udp_preference_limit = 1
 default_tkt_enctypes = aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha1-96
 default_tgs_enctypes = aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha1-96
 permitted_enctypes = aes256-cts-hmac-sha1-96 aes128-cts-hmac-sha1-96
[realms]
 %[2]s = {
  kdc = %[1]s
 }
`, k.Addr, Realm)
	for name, text := range map[string]string{"kdc.conf": kdcConf, "krb5.conf": krb5Conf, "kadm5.acl": ""} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatalf("krbtest: %v", err)
		}
	}
	k.env = append(os.Environ(), "KRB5_CONFIG="+k.KRB5Conf, "KRB5_KDC_PROFILE="+filepath.Join(dir, "kdc.conf"))
	k.run("kdb5_util", "create", "-s", "-r", Realm, "-P", "test-master-"+filepath.Base(dir))
	cmd := exec.Command(sbin("krb5kdc"), "-n", "-r", Realm)
	cmd.Env = k.env
	logf, err := os.Create(filepath.Join(dir, "krb5kdc.out"))
	if err != nil {
		t.Fatalf("krbtest: %v", err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatalf("krbtest: krb5kdc: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		logf.Close()
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", k.Addr, time.Second)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("krbtest: KDC not listening on %s; see %s", k.Addr, dir)
		}
		time.Sleep(50 * time.Millisecond) // polling the KDC's port
	}
	return k
}

func sbin(name string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	return "/usr/sbin/" + name
}

func (k *KDC) run(name string, args ...string) {
	k.t.Helper()
	cmd := exec.Command(sbin(name), args...)
	cmd.Env = k.env
	if out, err := cmd.CombinedOutput(); err != nil {
		k.t.Fatalf("krbtest: %s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// AddPrincipal creates principal (without realm) with a random key and
// returns a keytab holding its keys.
func (k *KDC) AddPrincipal(principal string) string {
	k.t.Helper()
	kt := filepath.Join(k.Dir, strings.ReplaceAll(principal, "/", "_")+".keytab")
	k.run("kadmin.local", "-r", Realm, "-q", "addprinc -randkey "+principal)
	k.run("kadmin.local", "-r", Realm, "-q", "ktadd -k "+kt+" "+principal)
	return kt
}

// Rekey gives principal new random keys (and a new kvno) without updating
// any keytab, so keytabs exported before hold stale keys.
func (k *KDC) Rekey(principal string) {
	k.t.Helper()
	k.run("kadmin.local", "-r", Realm, "-q", "cpw -randkey "+principal)
}
