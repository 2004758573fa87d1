package server_test

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/server"
)

// writeCfg writes a zoo.cfg with dataDir in a temp dir plus lines.
func writeCfg(t *testing.T, lines ...string) string {
	t.Helper()
	dir := t.TempDir()
	body := "dataDir=" + filepath.Join(dir, "data") + "\nadmin.enableServer=false\n" + strings.Join(lines, "\n") + "\n"
	path := filepath.Join(dir, "zoo.cfg")
	require.NoError(t, os.WriteFile(path, []byte(body), 0o644))
	return path
}

func TestParseJVMFlags(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     map[string]string
	}{
		{"empty", "", map[string]string{}},
		{"other flags ignored", "-Xmx1g -XX:+UseG1GC -cp a:b -server", map[string]string{}},
		{"plain", "-Dzookeeper.snapCount=10 -Djute.maxbuffer=2000", map[string]string{"zookeeper.snapCount": "10", "jute.maxbuffer": "2000"}},
		{"no value", "-Dzookeeper.forceSync", map[string]string{"zookeeper.forceSync": ""}},
		{"empty value", "-Dk=", map[string]string{"k": ""}},
		{"value with =", "-Dk=a=b", map[string]string{"k": "a=b"}},
		{"last wins", "-Dk=1 -Dk=2", map[string]string{"k": "2"}},
		{"double quotes", `-Djava.security.auth.login.config="/etc/zk conf/jaas.conf" -Dx=1`,
			map[string]string{"java.security.auth.login.config": "/etc/zk conf/jaas.conf", "x": "1"}},
		{"quoted whole word", `"-Dk=a b"`, map[string]string{"k": "a b"}},
		{"single quotes keep backslashes", `-Dk='a\b "c"'`, map[string]string{"k": `a\b "c"`}},
		{"escapes in double quotes", `-Dk="a\"b\\c\$d\e"`, map[string]string{"k": `a"b\c$d\e`}},
		{"backslash space", `-Dk=a\ b`, map[string]string{"k": "a b"}},
		{"tabs and newlines", "\t-Da=1\n  -Db=2 \\\n -Dc=3\n", map[string]string{"a": "1", "b": "2", "c": "3"}},
		{"java.env style", `-Xmx512m -Dzookeeper.authProvider.1=org.apache.zookeeper.server.auth.SASLAuthenticationProvider -Djava.security.auth.login.config=/etc/zookeeper/jaas.conf`,
			map[string]string{"zookeeper.authProvider.1": "org.apache.zookeeper.server.auth.SASLAuthenticationProvider", "java.security.auth.login.config": "/etc/zookeeper/jaas.conf"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := server.ParseJVMFlags(tc.in)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
	for _, bad := range []string{`-Dk="open`, `-Dk='open`, `-D`, `-D=x`} {
		_, err := server.ParseJVMFlags(bad)
		require.ErrorIs(t, err, server.ErrJVMFlags, bad)
	}
}

// The precedence between -D system properties and zoo.cfg keys, as
// QuorumPeerConfig.parseProperties and the readers of each property give it.
func TestApplySystemPropertiesPrecedence(t *testing.T) {
	for _, tc := range []struct {
		name  string
		cfg   []string // zoo.cfg lines
		flags string
		check func(t *testing.T, c server.Config)
	}{
		{"zoo.cfg key beats -Dzookeeper.K", []string{"snapCount=5"}, "-Dzookeeper.snapCount=7",
			func(t *testing.T, c server.Config) {
				assert.Equal(t, 5, c.SnapCount)
				v, _ := c.Property("zookeeper.snapCount")
				assert.Equal(t, "5", v)
			}},
		{"-Dzookeeper.K alone applies", nil, "-Dzookeeper.snapCount=7 -Dzookeeper.skipACL=yes -Dzookeeper.4lw.commands.whitelist=ruok,srvr",
			func(t *testing.T, c server.Config) {
				assert.Equal(t, 7, c.SnapCount)
				assert.True(t, c.SkipACL)
				assert.Equal(t, []string{"ruok", "srvr"}, c.FourLetterWords)
			}},
		{"security property: zoo.cfg wins both ways", []string{"ssl.clientAuth=need"}, "-Dzookeeper.ssl.clientAuth=none -Dzookeeper.ssl.trustStore.type=PEM",
			func(t *testing.T, c server.Config) {
				for _, k := range []string{"ssl.clientAuth", "zookeeper.ssl.clientAuth"} {
					v, _ := c.Property(k)
					assert.Equal(t, "need", v, k)
				}
				v, _ := c.Property("ssl.trustStore.type")
				assert.Equal(t, "PEM", v)
			}},
		{"bare -Dssl.* is not read by Java", nil, "-Dssl.clientAuth=none",
			func(t *testing.T, c server.Config) {
				_, ok := c.Property("ssl.clientAuth")
				assert.False(t, ok)
			}},
		{"QuorumPeerConfig fields ignore -D", []string{"clientPort=2181", "tickTime=2000"}, "-Dzookeeper.clientPort=9999 -DtickTime=5",
			func(t *testing.T, c server.Config) {
				assert.Equal(t, 2181, c.ClientPort)
				assert.Equal(t, int64(2000), c.TickTime.Milliseconds())
				w, err := c.Check()
				require.NoError(t, err)
				assert.Contains(t, w, "unknown key zookeeper.clientPort (did you mean clientPort?); ignored")
			}},
		{"raw property beats zoo.cfg", []string{"jute.maxbuffer=1000", "readonlymode.enabled=false"}, "-Djute.maxbuffer=2000 -Dreadonlymode.enabled=true",
			func(t *testing.T, c server.Config) {
				assert.Equal(t, 2000, c.JuteMaxBuffer)
				assert.True(t, c.ReadOnlyModeEnabled)
			}},
		{"zookeeper.<raw> is weakest", []string{"jute.maxbuffer=1000"}, "-Dzookeeper.jute.maxbuffer=3000 -Dzookeeper.znode.container.maxPerMinute=7",
			func(t *testing.T, c server.Config) {
				assert.Equal(t, 1000, c.JuteMaxBuffer)
				assert.Equal(t, 7, c.ContainerMaxPerMinute)
			}},
		{"JAAS and auth providers reach Property", nil,
			"-Djava.security.auth.login.config=/etc/zk/jaas.conf -Dzookeeper.authProvider.1=org.apache.zookeeper.server.auth.SASLAuthenticationProvider -Dlog4j.configuration=file:x",
			func(t *testing.T, c server.Config) {
				v, _ := c.Property("java.security.auth.login.config")
				assert.Equal(t, "/etc/zk/jaas.conf", v)
				v, _ = c.Property("authProvider.1")
				assert.Equal(t, "org.apache.zookeeper.server.auth.SASLAuthenticationProvider", v)
				_, ok := c.Property("log4j.configuration")
				assert.False(t, ok, "JVM properties ZooKeeper does not read are dropped")
				w, err := c.Check()
				require.NoError(t, err)
				assert.Empty(t, w)
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := server.ParseConfig(writeCfg(t, tc.cfg...))
			require.NoError(t, err)
			require.NoError(t, c.ApplyJVMFlags(tc.flags))
			tc.check(t, c)
		})
	}
}

func TestApplySystemPropertiesBadValue(t *testing.T) {
	c := server.DefaultConfig()
	err := c.ApplyJVMFlags("-Dzookeeper.snapCount=lots")
	var ce *server.ConfigError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "zookeeper.snapCount", ce.Key)
	assert.ErrorIs(t, err, server.ErrJVMFlags)
}

// ApplySystemProperties copies Properties rather than writing through a
// map the caller may share.
func TestApplySystemPropertiesCopies(t *testing.T) {
	c := server.DefaultConfig()
	before := c.Properties
	require.NoError(t, c.ApplySystemProperties(map[string]string{"zookeeper.snapCount": "9"}))
	_, leaked := before["zookeeper.snapCount"]
	assert.False(t, leaked)
}

func TestCheckUnknownKeys(t *testing.T) {
	c, err := server.ParseConfig(writeCfg(t,
		"tickTme=3000", "initLimt=10", "maxClientCnxn=5", "autopurge.purgeIntrval=1",
		"syncEnabled=true", "clientPort=2181", "fooBarBaz=1", "4lw.commands.whitelst=*"))
	require.NoError(t, err)
	w, err := c.Check()
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{
		"unknown key tickTme (did you mean tickTime?); ignored",
		"unknown key initLimt (did you mean initLimit?); ignored",
		"unknown key maxClientCnxn (did you mean maxClientCnxns?); ignored",
		"unknown key autopurge.purgeIntrval (did you mean autopurge.purgeInterval?); ignored",
		"unknown key 4lw.commands.whitelst (did you mean 4lw.commands.whitelist?); ignored",
		"unknown key fooBarBaz; ignored",
		"syncEnabled is a Java ZooKeeper setting zkit does not use; ignored",
	}, w)
	// New starts (and logs them).
	require.NoError(t, server.Validate(c))
}

// Every security setting the TLS, SASL and quorum code implement is known,
// so none of them is reported.
func TestCheckKnowsSecurityKeys(t *testing.T) {
	var lines []string
	for _, k := range []string{
		"secureClientPort=2281", "secureClientPortAddress=127.0.0.1", "client.portUnification=true",
		"serverCnxnFactory=org.apache.zookeeper.server.NettyServerCnxnFactory",
		"sslQuorum=true", "portUnification=false", "sslQuorumReloadCertFiles=true",
		"authProvider.1=org.apache.zookeeper.server.auth.SASLAuthenticationProvider",
		"authProvider.x509=org.apache.zookeeper.server.auth.X509AuthenticationProvider",
		"X509AuthenticationProvider.superUser=CN=admin", "superUser=admin",
		"quorum.auth.enableSasl=true", "quorum.auth.learnerRequireSasl=true", "quorum.auth.serverRequireSasl=true",
		"quorum.auth.learner.saslLoginContext=QuorumLearner", "quorum.auth.server.saslLoginContext=QuorumServer",
		"quorum.auth.kerberos.servicePrincipal=zkquorum/_HOST", "quorum.cnxn.threads.size=20",
		"enforce.auth.enabled=true", "enforce.auth.schemes=sasl", "sessionRequireClientSASLAuth=true",
		"kerberos.removeHostFromPrincipal=true", "kerberos.removeRealmFromPrincipal=true",
		"sasl.serverconfig=Server", "DigestAuthenticationProvider.superDigest=super:abc",
		"ssl.clientAuth=want", "ssl.quorum.clientAuth=NEED", "ssl.keyStore.type=pkcs12", "ssl.quorum.trustStore.type=PEM",
		"ssl.hostnameVerification=false", "ssl.quorum.hostnameVerification=true", "ssl.keyStore.password=s3cret",
		"ssl.ciphersuites=TLS_AES_128_GCM_SHA256", "ssl.enabledProtocols=TLSv1.3,TLSv1.2", "ssl.protocol=TLSv1.3",
		"ssl.quorum.keyStore.location=/k", "ssl.quorum.trustStore.passwordPath=/p", "ssl.crl=false", "ssl.ocsp=false",
		"ssl.handshakeDetectionTimeoutMillis=5000", "ssl.context.supplier.class=x", "ssl.authProvider=x509",
		"admin.serverPort=8081", "metricsProvider.className=org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider",
		"metricsProvider.httpPort=7001", "metricsProvider.exportJvmInfo=true", "snapshot.compression.method=gz",
		"jute.maxbuffer=1048576", "znode.container.checkIntervalMs=1000", "preAllocSize=1024",
		// An ACL id, not a switch (SASLAuthenticationProvider.matches).
		"letAnySaslUserDoX=anyone",
	} {
		lines = append(lines, k)
	}
	c, err := server.ParseConfig(writeCfg(t, lines...))
	require.NoError(t, err)
	w, err := c.Check()
	require.NoError(t, err)
	assert.Empty(t, w)
}

// A misspelt key in a security namespace stops the server, naming the key
// and its likely correction; a password never appears in the message.
func TestSecurityTypoRefusesToStart(t *testing.T) {
	for _, tc := range []struct{ line, key, suggestion string }{
		{"ssl.keyStore.locaton=/etc/zk/ks.p12", "ssl.keyStore.locaton", "ssl.keyStore.location"},
		{"ssl.quorum.trustStore.pasword=hunter2", "ssl.quorum.trustStore.pasword", "ssl.quorum.trustStore.password"},
		{"ssl.clientAth=none", "ssl.clientAth", "ssl.clientAuth"},
		{"quorum.auth.enableSasll=true", "quorum.auth.enableSasll", "quorum.auth.enableSasl"},
		{"authProvder.1=org.apache.zookeeper.server.auth.SASLAuthenticationProvider", "authProvder.1", "authProvider.1"},
		{"secureClientPrt=2281", "secureClientPrt", "secureClientPort"},
		{"sslQuorm=true", "sslQuorm", "sslQuorum"},
		{"zookeeper.ssl.keyStore.tpye=PEM", "zookeeper.ssl.keyStore.tpye", "zookeeper.ssl.keyStore.type"},
		{"sessionRequireClientSASLAuthh=true", "sessionRequireClientSASLAuthh", "sessionRequireClientSASLAuth"},
		{"ssl.quorum.somethingNew=1", "ssl.quorum.somethingNew", ""},
	} {
		t.Run(tc.key, func(t *testing.T) {
			c, err := server.ParseConfig(writeCfg(t, tc.line))
			require.NoError(t, err)
			for _, err := range []error{server.Validate(c), newErr(c)} {
				require.ErrorIs(t, err, server.ErrUnknownSecuritySetting)
				var ce *server.ConfigError
				require.ErrorAs(t, err, &ce)
				assert.Equal(t, tc.key, ce.Key)
				if tc.suggestion != "" {
					assert.Contains(t, err.Error(), "did you mean "+tc.suggestion+"?")
				}
				assert.NotContains(t, err.Error(), "hunter2")
			}
		})
	}
	// The same through SERVER_JVMFLAGS.
	c := server.DefaultConfig()
	c.DataDir = t.TempDir()
	require.NoError(t, c.ApplyJVMFlags("-Dzookeeper.ssl.trustStore.locaton=/x"))
	err := server.Validate(c)
	require.ErrorIs(t, err, server.ErrUnknownSecuritySetting)
	assert.Contains(t, err.Error(), "zookeeper.ssl.trustStore.location")
}

func newErr(c server.Config) error {
	s, err := server.New(c)
	if err == nil {
		s.Close()
		return errors.New("server.New accepted the configuration")
	}
	return err
}

// Values out of range are refused with the key named, by ParseConfig or
// by Validate (and so by New).
func TestBadValuesNameTheKey(t *testing.T) {
	for _, tc := range []struct{ line, key string }{
		{"clientPort=70000", "clientPort"},
		{"clientPort=-1", "clientPort"},
		{"tickTime=0", "tickTime"},
		{"tickTime=-5", "tickTime"},
		{"initLimit=0", "initLimit"},
		{"syncLimit=x", "syncLimit"},
		{"maxClientCnxns=-1", "maxClientCnxns"},
		{"jute.maxbuffer=0", "jute.maxbuffer"},
		{"snapCount=-1", "snapCount"},
		{"peerType=leader", "peerType"},
		{"electionAlg=1", "electionAlg"},
		{"server.1=localhost:99999:3888", "server.1"},
		{"secureClientPort=99999", "secureClientPort"},
		{"observerMasterPort=abc", "observerMasterPort"},
		{"admin.serverPort=-1", "admin.serverPort"},
		{"admin.idleTimeout=0", "admin.idleTimeout"},
		{"metricsProvider.httpPort=70000", "metricsProvider.httpPort"},
		{"ssl.clientAuth=sometimes", "ssl.clientAuth"},
		{"ssl.quorum.clientAuth=yes", "ssl.quorum.clientAuth"},
		{"ssl.keyStore.type=P12", "ssl.keyStore.type"},
		{"sslQuorum=ture", "sslQuorum"},
		{"quorum.auth.serverRequireSasl=1", "quorum.auth.serverRequireSasl"},
		{"ssl.hostnameVerification=off", "ssl.hostnameVerification"},
		{"enforce.auth.enabled=yes", "enforce.auth.enabled"},
		{"ssl.handshakeDetectionTimeoutMillis=0", "ssl.handshakeDetectionTimeoutMillis"},
		{"nio.sessionlessCnxnTimeout=0", "nio.sessionlessCnxnTimeout"},
		{"zookeeper.nio.sessionlessCnxnTimeout=-3", "zookeeper.nio.sessionlessCnxnTimeout"},
		{"preAllocSize=-5", "preAllocSize"},
		{"snapSizeLimitInKb=big", "snapSizeLimitInKb"},
		{"quorum.cnxn.threads.size=0", "quorum.cnxn.threads.size"},
	} {
		t.Run(tc.line, func(t *testing.T) {
			c, err := server.ParseConfig(writeCfg(t, tc.line))
			if err == nil {
				err = server.Validate(c)
			}
			var ce *server.ConfigError
			require.ErrorAs(t, err, &ce, "%v", err)
			assert.Equal(t, tc.key, ce.Key)
			assert.Contains(t, err.Error(), tc.key)
		})
	}
	// The min/max session timeout pair, as ZooKeeper checks it.
	c, err := server.ParseConfig(writeCfg(t, "minSessionTimeout=30000", "maxSessionTimeout=10000"))
	require.NoError(t, err)
	err = server.Validate(c)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "minSessionTimeout")
}

// Validate rejects what a hand-built Config gets wrong, naming the key.
func TestValidateFields(t *testing.T) {
	base := server.DefaultConfig()
	base.DataDir = t.TempDir()
	require.NoError(t, server.Validate(base))
	for key, mutate := range map[string]func(*server.Config){
		"clientPort":     func(c *server.Config) { c.ClientPort = 70000 },
		"maxClientCnxns": func(c *server.Config) { c.MaxClientCnxns = -1 },
		"peerType":       func(c *server.Config) { c.PeerType = "boss" },
		"server.2": func(c *server.Config) {
			c.Servers = []server.QuorumServer{{ID: 2, Host: "h", QuorumPort: 0, ElectionPort: 1}}
		},
	} {
		c := base
		mutate(&c)
		err := server.Validate(c)
		var ce *server.ConfigError
		require.ErrorAs(t, err, &ce, key)
		assert.Equal(t, key, ce.Key)
	}
	c := base
	c.DataDir = ""
	assert.ErrorContains(t, server.Validate(c), "dataDir")
	// Validate opens nothing: the data directory is not created.
	c = base
	c.DataDir = filepath.Join(t.TempDir(), "not-yet")
	require.NoError(t, server.Validate(c))
	_, err := os.Stat(c.DataDir)
	assert.True(t, os.IsNotExist(err))
}

// A secret never appears in an error message.
func TestConfigErrorHidesSecrets(t *testing.T) {
	_, err := server.ParseConfig(writeCfg(t, "DigestAuthenticationProvider.superDigest=topsecretvalue"))
	var ce *server.ConfigError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "DigestAuthenticationProvider.superDigest", ce.Key)
	assert.NotContains(t, err.Error(), "topsecretvalue")
}

// zkServer.sh passes $SERVER_JVMFLAGS then $JVMFLAGS.
func TestJVMFlagsFromEnv(t *testing.T) {
	env := map[string]string{"SERVER_JVMFLAGS": "-Dzookeeper.snapCount=5 -Xmx1g", "JVMFLAGS": "-Dzookeeper.snapCount=6"}
	c := server.DefaultConfig()
	require.NoError(t, c.ApplyJVMFlags(server.JVMFlagsFromEnv(func(k string) string { return env[k] })))
	assert.Equal(t, 6, c.SnapCount)
	assert.Equal(t, "", server.JVMFlagsFromEnv(func(string) string { return "" }))
}

// New logs each ignored key with its likely correction and starts.
func TestNewLogsUnknownKeys(t *testing.T) {
	c, err := server.ParseConfig(writeCfg(t, "tickTme=3000", "syncEnabled=true"))
	require.NoError(t, err)
	var buf bytes.Buffer
	c.Logger = slog.New(slog.NewTextHandler(&buf, nil))
	s, err := server.New(c)
	require.NoError(t, err)
	require.NoError(t, s.Close())
	assert.Contains(t, buf.String(), `level=WARN msg="config: unknown key ignored" key=tickTme did_you_mean=tickTime`)
	assert.Contains(t, buf.String(), `key=syncEnabled`)
}
