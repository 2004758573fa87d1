package cli

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/client/clienttest"
	"github.com/zkit-go/zkit/internal/javatest"
	"github.com/zkit-go/zkit/server"
	zktesting "github.com/zkit-go/zkit/testing"
)

// quotaScript exercises setquota, listquota and delquota (their errors
// included) and the server's enforcement of hard limits.
const quotaScript = `create /q
create /q/a data
setquota -n 3 /q
listquota /q
create /q/b 12345
listquota /q
setquota -B 12 /q
listquota /q
get /zookeeper/quota/q/zookeeper_limits
get /zookeeper/quota/q/zookeeper_stats
create /q/c 123456789
set /q/a 12345678
set /q/a d
listquota /q
setquota -N 5 /q/a
create /r
create /r/s
create /r/s/t
setquota -b 1 /r/s/t
setquota -n 5 /r
setquota -n 2 /zookeeper/quota/x
setquota /q
setquota -n 1 -b 2 /q
setquota -n x /q
setquota -n 0 /q
setquota -b -1 /q
setquota -n 3 /nope
setquota -n 3 q
setquota -n
listquota /nope
listquota q
delquota -n -b /q
delquota -B /q
listquota /q
delquota /q
listquota /q
ls /zookeeper/quota
delquota /q
delquota /r/s/t
ls /zookeeper/quota
create /q/d 1234567890123
setquota -n 1 /q
listquota /q
create /q/e
`

// runJavaCli pipes script into Java's zkCli against addr.
func runJavaCli(t *testing.T, addr, script string) (string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), zktesting.Scale(120*time.Second))
	defer cancel()
	res, err := javatest.CLI(ctx, addr, script, utc)
	require.NoError(t, err)
	return res.Stdout, res.Stderr
}

func startQuotaServer(t *testing.T) *zktesting.Server {
	return zktesting.StartServer(t, zktesting.WithConfig(func(c *server.Config) { c.EnforceQuota = true }))
}

// TestQuotaVersusJava runs the quota script three ways: Java's zkCli.sh
// against Java ZooKeeper 3.8 (enforceQuota=true), Java's zkCli.sh against
// zkit, and zkit cli against zkit; all three transcripts must agree.
func TestQuotaVersusJava(t *testing.T) {
	skipWithoutJavaCli(t)
	if testing.Short() {
		t.Skip("starts JVMs; skipped in -short")
	}
	t.Setenv("TZ", "UTC")
	js, err := clienttest.StartJavaServer(t.TempDir(), "enforceQuota=true")
	if errors.Is(err, clienttest.ErrNoJava) {
		t.Skip(err)
	}
	require.NoError(t, err)
	defer js.Stop()
	zs1 := startQuotaServer(t)
	zs2 := startQuotaServer(t)

	norm := func(s, addr string) string { return strings.ReplaceAll(normalize(s), addr, "ADDR") }
	jjOut, jjErr := runJavaCli(t, js.Addr, quotaScript)
	jzOut, jzErr := runJavaCli(t, zs1.Addr(), quotaScript)
	var zOut, zErr bytes.Buffer
	Main([]string{"-server", zs2.Addr()}, strings.NewReader(quotaScript), &zOut, &zErr)

	assert.Equal(t, norm(jjOut, js.Addr), norm(jzOut, zs1.Addr()), "Java cli: Java server vs zkit server (stdout)")
	assert.Equal(t, norm(jjErr, js.Addr), norm(jzErr, zs1.Addr()), "Java cli: Java server vs zkit server (stderr)")
	assert.Equal(t, norm(jzOut, zs1.Addr()), norm(zOut.String(), zs2.Addr()), "zkit server: Java cli vs zkit cli (stdout)")
	assert.Equal(t, norm(jzErr, zs1.Addr()), norm(zErr.String(), zs2.Addr()), "zkit server: Java cli vs zkit cli (stderr)")
	if t.Failed() || os.Getenv("ZKIT_QUOTA_DUMP") != "" {
		t.Logf("java/java stdout:\n%s\nstderr:\n%s", jjOut, jjErr)
		t.Logf("zkit/zkit stdout:\n%s\nstderr:\n%s", zOut.String(), zErr.String())
	}
}

func TestStatsTrack(t *testing.T) {
	for _, tc := range []struct{ in, out string }{
		{"", "count=-1,bytes=-1"},
		{"count=3,bytes=9", "count=3,bytes=9"},
		{"count=3,bytes=-1=;byteHardLimit=12;countHardLimit=-1", "count=3,bytes=-1=;byteHardLimit=12;countHardLimit=-1"},
		{"bytes=5;count=1,zzz=2", "count=1,bytes=5=;zzz=2"},
		{"count=x,bytes=2", "count=-1,bytes=2"},
	} {
		assert.Equal(t, tc.out, parseStatsTrack([]byte(tc.in)).String(), tc.in)
	}
}

func TestCheckQuotaGroup(t *testing.T) {
	for _, tc := range []struct {
		tokens   []string
		required bool
		err      string
	}{
		{[]string{"setquota", "-n", "1", "/a"}, true, ""},
		{[]string{"setquota", "-n", "1", "-n", "2", "/a"}, true, ""},
		{[]string{"setquota", "/a"}, true, "MissingOptionException"},
		{[]string{"delquota", "/a"}, false, ""},
		{[]string{"setquota", "-B", "1", "-N", "2", "/a"}, true, "has already been selected: 'B'"},
	} {
		p, err := parseOpts(optSpec{'n': true, 'b': true, 'N': true, 'B': true}, tc.tokens)
		require.NoError(t, err)
		err = checkQuotaGroup(p, tc.required)
		if tc.err == "" {
			assert.NoError(t, err, "%v", tc.tokens)
		} else {
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.err)
		}
	}
}
