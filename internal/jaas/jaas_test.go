package jaas

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/javatest"
)

const serverAndClient = `
/* ZooKeeper's example */
Server {
       org.apache.zookeeper.server.auth.DigestLoginModule required
       user_super="adminsecret"
       user_bob="bobsecret";
};
// the client
Client {
       org.apache.zookeeper.server.auth.DigestLoginModule required
       username="bob"
       password="bobsecret";
};
`

func TestParseZooKeeperExample(t *testing.T) {
	c, err := Parse("jaas.conf", []byte(serverAndClient), nil)
	require.NoError(t, err)
	assert.Equal(t, []string{"Server", "Client"}, c.Sections())
	users, err := c.ServerCredentials("Server")
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"super": "adminsecret", "bob": "bobsecret"}, users)
	u, p, err := c.ClientCredentials("Client")
	require.NoError(t, err)
	assert.Equal(t, "bob", u)
	assert.Equal(t, "bobsecret", p)
	entries, ok := c.Section("Server")
	require.True(t, ok)
	assert.Equal(t, 4, entries[0].Line)
	assert.Equal(t, Required, entries[0].Flag)
	_, ok = c.Section("server")
	assert.False(t, ok, "section names are case-sensitive")
}

func TestParseErrorsNameFileAndLine(t *testing.T) {
	for _, tc := range []struct {
		name, text, want string
	}{
		{"bad flag", "Server {\n x.Y mandatory a=\"b\";\n};", "bad.conf:2: invalid control flag \"mandatory\""},
		{"missing semicolon", "Server {\n x.Y required a=\"b\"\n};", "bad.conf:3: expected an option name or ';', found '}'"},
		{"unquoted number", "Client {\n x.Y required password=123;\n};", "bad.conf:2: expected the value of option password, found \"123\""},
		{"unterminated string", "Client {\n x.Y required password=\"abc;\n};", "bad.conf:2: string opened at line 2 is not closed"},
		{"unterminated comment", "/* hello\n\nServer {};", "bad.conf:3: comment opened at line 1 is not closed"},
		{"duplicate section", "A { x.Y required; };\nA { x.Y optional; };", "bad.conf:2: section \"A\" is defined twice (first at line 1)"},
		{"missing brace", "Server\n x.Y required;", "bad.conf:2: expected '{', found \"x.Y\""},
		{"eof in section", "Server {\n x.Y required;\n", "bad.conf:3: expected a login module class name or '}', found end of file"},
		{"hash comment", "# not a comment\nServer { x.Y required; };", "bad.conf:1: expected a section name, found '#'"},
		{"single quotes", "Server { x.Y required a='b'; };", "bad.conf:1: expected the value of option a, found a single-quoted string"},
		{"no equals", "Server { x.Y required user_bob \"pw\"; };", "bad.conf:1: expected '=', found \"pw\""},
		{"unknown property", "Server { x.Y required keyTab=\"${nope}/k\"; };", "bad.conf:1: unable to expand property \"nope\""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("bad.conf", []byte(tc.text), nil)
			require.ErrorIs(t, err, ErrSyntax)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestQuotingAndExpansion(t *testing.T) {
	text := `S { a.B REQUIRED  k1="double 'q'" k2="tab\there\101\\" k3=word-with.dots_$* "quoted key"="v"
	   k4="${zk.dir}${/}x" k1="last wins"; };`
	c, err := Parse("q.conf", []byte(text), func(n string) (string, bool) {
		if n == "zk.dir" {
			return "/etc/zk", true
		}
		return "", false
	})
	require.NoError(t, err)
	e, ok := c.Section("S")
	require.True(t, ok)
	assert.Equal(t, Required, e[0].Flag)
	assert.Equal(t, map[string]string{
		"k1": "last wins", "k2": "tab\there" + "A\\", "k3": "word-with.dots_$*",
		"quoted key": "v", "k4": "/etc/zk/x",
	}, e[0].Options)
}

func TestZooKeeperSections(t *testing.T) {
	c, err := Parse("z.conf", []byte(serverAndClient+`
QuorumServer { com.sun.security.auth.module.Krb5LoginModule required useKeyTab=true keyTab="/k" principal="zk/host@R"; };
Other { com.example.Ldap required; };
NoUsers { org.apache.zookeeper.server.auth.DigestLoginModule required; };
Partial { org.apache.zookeeper.server.auth.DigestLoginModule required username="x"; };
Empty { };
`), nil)
	require.NoError(t, err)
	_, err = c.ServerCredentials("QuorumServer")
	require.ErrorIs(t, err, ErrUnsupported)
	assert.Contains(t, err.Error(), "z.conf:15: section \"QuorumServer\" uses com.sun.security.auth.module.Krb5LoginModule (Kerberos/GSSAPI), not "+DigestLoginModule)
	login, err := c.Krb5Login("QuorumServer")
	require.NoError(t, err)
	assert.Equal(t, &Krb5Login{KeyTab: "/k", Principal: "zk/host@R", Line: 15}, login)
	login, err = c.Krb5Login("Server")
	require.NoError(t, err)
	assert.Nil(t, login, "a digest section has no Kerberos login")
	_, err = c.ServerCredentials("Other")
	require.ErrorIs(t, err, ErrUnsupported)
	_, err = c.ServerCredentials("NoUsers")
	require.ErrorIs(t, err, ErrCredentials)
	_, _, err = c.ClientCredentials("NoUsers")
	require.ErrorIs(t, err, ErrCredentials)
	_, _, err = c.ClientCredentials("Partial")
	require.ErrorIs(t, err, ErrCredentials)
	_, err = c.ServerCredentials("Empty")
	require.ErrorIs(t, err, ErrNoSection, "Java treats an empty section as missing")
	_, err = c.ServerCredentials("QuorumLearner")
	require.ErrorIs(t, err, ErrNoSection)

	get := func(k string) (string, bool) {
		v, ok := map[string]string{ServerSectionKey: " MyServer "}[k]
		return v, ok
	}
	assert.Equal(t, "MyServer", SectionName(get, ServerSectionKey, DefaultServerSection))
	assert.Equal(t, DefaultClientSection, SectionName(get, ClientSectionKey, DefaultClientSection))
}

func TestKrb5LoginRefusals(t *testing.T) {
	for name, text := range map[string]string{
		"ticket cache":  `S { com.sun.security.auth.module.Krb5LoginModule required useTicketCache=true principal="zk/h@R"; };`,
		"no keytab":     `S { com.sun.security.auth.module.Krb5LoginModule required useKeyTab=true principal="zk/h@R"; };`,
		"no principal":  `S { com.sun.security.auth.module.Krb5LoginModule required useKeyTab=true keyTab="/k"; };`,
		"any principal": `S { com.sun.security.auth.module.Krb5LoginModule required useKeyTab=true keyTab="/k" principal="*"; };`,
		"two logins": `S { com.sun.security.auth.module.Krb5LoginModule required useKeyTab=true keyTab="/k" principal="a/h@R";
			com.sun.security.auth.module.Krb5LoginModule required useKeyTab=true keyTab="/k" principal="b/h@R"; };`,
	} {
		c, err := Parse("k.conf", []byte(text), nil)
		require.NoError(t, err, name)
		_, err = c.Krb5Login("S")
		assert.ErrorIs(t, err, ErrUnsupported, name)
	}
}

func TestPathFromProperty(t *testing.T) {
	for in, want := range map[string]string{
		"/etc/zk/jaas.conf":        "/etc/zk/jaas.conf",
		"=/etc/zk/jaas.conf":       "/etc/zk/jaas.conf",
		"file:/etc/zk/jaas.conf":   "/etc/zk/jaas.conf",
		"file:///etc/zk/jaas.conf": "/etc/zk/jaas.conf",
	} {
		got, err := PathFromProperty(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	_, err := PathFromProperty("http://example.com/jaas.conf")
	require.ErrorIs(t, err, ErrRead)
	_, err = Load(filepath.Join(t.TempDir(), "missing.conf"), nil)
	require.ErrorIs(t, err, ErrRead)
	assert.Contains(t, err.Error(), "missing.conf")
}

// oracleCases are files both parsers must read identically (or both refuse).
var oracleCases = []string{
	serverAndClient,
	"Server { a.B required user_x=\"1\" user_y='2'; };",
	"Server { a.B Optional user_x=plain; c.D SUFFICIENT user_z=\"q\\\"uote\"; };",
	"Server { a.B required user_x=\"oct\\101al\"; };",
	"Server { a.B required user_x=123; };",
	"Server { a.B required user_x=-x; };",
	"Server { a.B required user_x=.5; };",
	"Server { a.B bogus user_x=\"1\"; };",
	"Server { a.B required user_x=\"1\" };",
	"Server { a.B required user_x=\"1\"; }",
	"Server { a.B required user_x=\"1\"; };\nServer { a.B required; };",
	"# comment\nServer { a.B required; };",
	"Server { a.B required user_x=ab/cd; };",
	"Server { a.B required user_x=ab // comment\n; };",
	"Server { a.B required user_x=\"${zk.test.value}\"; };",
	"Server { a.B required user_x=v\u00e9rit\u00e9 user_\u674e=\"\u5bc6\"; };",
	"Server { a.B required user_x=\"1\", user_y=\"2\"; };",
	"Server { a.B required user_x:\"1\"; };",
	"Server { };",
	"",
}

func dumpGo(c *Config, err error, sections []string) []string {
	if err != nil {
		return []string{"ERR"}
	}
	var out []string
	for _, s := range sections {
		entries, _ := c.Section(s)
		for _, e := range entries {
			keys := make([]string, 0, len(e.Options))
			for k := range e.Options {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			line := s + "|" + e.LoginModule + "|" + string(e.Flag)
			for _, k := range keys {
				line += "|" + k + "=" + e.Options[k]
			}
			out = append(out, line)
		}
	}
	return out
}

// TestParserMatchesJava parses oracleCases with the JDK's ConfigFile and
// with Parse and compares what each section holds.
func TestParserMatchesJava(t *testing.T) {
	d := javatest.Compile(t, "", "testdata/JaasDump.java")
	dir := t.TempDir()
	sections := []string{"Server", "Client"}
	args := []string{strings.Join(sections, ",")}
	for i, text := range oracleCases {
		p := filepath.Join(dir, fmt.Sprintf("case%d.conf", i))
		require.NoError(t, os.WriteFile(p, []byte(text), 0o600))
		args = append(args, p)
	}
	out, err := d.Command(context.Background(), []string{"-Dzk.test.value=expanded"}, "JaasDump", args...).Output()
	require.NoError(t, err)
	var javaDumps [][]string
	var cur []string
	for _, l := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		if l == "END" {
			javaDumps = append(javaDumps, cur)
			cur = nil
			continue
		}
		cur = append(cur, l)
	}
	require.Len(t, javaDumps, len(oracleCases))
	expand := func(n string) (string, bool) {
		if n == "zk.test.value" {
			return "expanded", true
		}
		return "", false
	}
	for i, text := range oracleCases {
		c, err := Parse("case.conf", []byte(text), expand)
		assert.Equal(t, javaDumps[i], dumpGo(c, err, sections), "case %d: %q (our error: %v)", i, text, err)
	}
}

func TestLoadConfigured(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "jaas.conf")
	require.NoError(t, os.WriteFile(path, []byte(`Client { org.apache.zookeeper.server.auth.DigestLoginModule required username="${who}" password="p"; };`), 0o600))
	props := map[string]string{}
	get := func(k string) (string, bool) { v, ok := props[k]; return v, ok }

	_, _, ok, err := LoadConfigured(get)
	require.NoError(t, err)
	assert.False(t, ok, "no file configured")
	props[LoginConfigKey] = "  "
	_, _, ok, err = LoadConfigured(get)
	require.NoError(t, err)
	assert.False(t, ok, "a blank setting is none")

	props[LoginConfigKey], props["who"] = path, "bob"
	cfg, got, ok, err := LoadConfigured(get)
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, path, got)
	user, _, err := cfg.ClientCredentials("Client")
	require.NoError(t, err)
	assert.Equal(t, "bob", user, "${who} expanded from the settings")

	props[LoginConfigKey] = filepath.Join(dir, "missing.conf")
	_, _, ok, err = LoadConfigured(get)
	assert.True(t, ok)
	assert.ErrorContains(t, err, LoginConfigKey)
	assert.ErrorContains(t, err, "missing.conf")
}
