package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/proto"
)

func TestParseOpts(t *testing.T) {
	spec := optSpec{'s': false, 'w': false, 'v': true}
	for _, tc := range []struct {
		in   string
		opts map[byte]string
		args []string
		err  string
	}{
		{in: "get /a", opts: map[byte]string{}, args: []string{"get", "/a"}},
		{in: "get -s -w /a", opts: map[byte]string{'s': "", 'w': ""}, args: []string{"get", "/a"}},
		{in: "get -sw /a", opts: map[byte]string{'s': "", 'w': ""}, args: []string{"get", "/a"}},
		{in: "get /a -s", opts: map[byte]string{'s': ""}, args: []string{"get", "/a"}},
		{in: "set -v 3 /a x", opts: map[byte]string{'v': "3"}, args: []string{"set", "/a", "x"}},
		{in: "set -v3 /a x", opts: map[byte]string{'v': "3"}, args: []string{"set", "/a", "x"}},
		{in: "set -sv3 /a x", opts: map[byte]string{'s': "", 'v': "3"}, args: []string{"set", "/a", "x"}},
		{in: "set -v -1 /a x", opts: map[byte]string{'v': "-1"}, args: []string{"set", "/a", "x"}},
		{in: "set -v abc /a", opts: map[byte]string{'v': "abc"}, args: []string{"set", "/a"}},
		{in: "get -- -s", opts: map[byte]string{}, args: []string{"get", "-s"}},
		{in: "get - /a", opts: map[byte]string{}, args: []string{"get", "-", "/a"}},
		{in: "set -v", err: "org.apache.commons.cli.MissingArgumentException: Missing argument for option: v"},
		{in: "set -v -s /a", err: "org.apache.commons.cli.MissingArgumentException: Missing argument for option: v"},
		{in: "get -x /a", err: "org.apache.commons.cli.UnrecognizedOptionException: Unrecognized option: -x"},
		{in: "get -sx /a", err: "org.apache.commons.cli.UnrecognizedOptionException: Unrecognized option: -sx"},
		{in: "get --long /a", err: "org.apache.commons.cli.UnrecognizedOptionException: Unrecognized option: --long"},
		{in: "get -1", err: "org.apache.commons.cli.UnrecognizedOptionException: Unrecognized option: -1"},
	} {
		p, err := parseOpts(spec, strings.Fields(tc.in))
		if tc.err != "" {
			require.EqualError(t, err, tc.err, tc.in)
			continue
		}
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.opts, p.opts, tc.in)
		assert.Equal(t, tc.args, p.args, tc.in)
	}
}

func TestSplitLine(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"ls /", []string{"ls", "/"}},
		{"  ls \t /  ", []string{"ls", "/"}},
		{`create /a "two words"`, []string{"create", "/a", "two words"}},
		{`create /a 'it''s'`, []string{"create", "/a", "it", "s"}},
		{`set /a "x`, []string{"set", "/a", "x"}},
		{`set /a a"b c"`, []string{"set", "/a", `a"b`, `c"`}},
		{`set /a ""`, []string{"set", "/a", ""}},
		{"", nil},
	} {
		assert.Equal(t, tc.want, splitLine(tc.in), tc.in)
	}
}

func TestValidatePath(t *testing.T) {
	for _, tc := range []struct {
		path, err string
	}{
		{"/", ""},
		{"/a/b", ""},
		{"/a.b/..c", ""},
		{"", "Path length must be > 0"},
		{"a", "Path must start with / character"},
		{"/a/", "Path must not end with / character"},
		{"//a", `Invalid path string "//a" caused by empty node name specified @1`},
		{"/a/./b", `Invalid path string "/a/./b" caused by relative paths not allowed @3`},
		{"/a/..", `Invalid path string "/a/.." caused by relative paths not allowed @4`},
		{"/.", `Invalid path string "/." caused by relative paths not allowed @1`},
		{"/a\x00b", `Invalid path string "/a` + "\x00" + `b" caused by null character not allowed @2`},
		{"/a\x01", `Invalid path string "/a` + "\x01" + `" caused by invalid character @2`},
		{"/\U0001F600", `Invalid path string "/` + "\U0001F600" + `" caused by invalid character @1`},
		{"/é\uFFFF", `Invalid path string "/é` + "\uFFFF" + `" caused by invalid character @2`},
	} {
		err := validatePath(tc.path)
		if tc.err == "" {
			assert.NoError(t, err, tc.path)
		} else {
			assert.EqualError(t, err, tc.err, tc.path)
		}
	}
}

func TestJavaDate(t *testing.T) {
	old := time.Local
	t.Cleanup(func() { time.Local = old })
	for _, tc := range []struct {
		zone *time.Location
		ms   int64
		want string
	}{
		{time.UTC, 0, "Thu Jan 01 00:00:00 UTC 1970"},
		{time.UTC, 1795306539000, "Sun Nov 22 00:15:39 UTC 2026"},
		{time.FixedZone("", 3*3600), 0, "Thu Jan 01 03:00:00 GMT+03:00 1970"},
		{time.FixedZone("+0530", 5*3600+1800), 0, "Thu Jan 01 05:30:00 GMT+05:30 1970"},
		{time.FixedZone("", -3600), 0, "Wed Dec 31 23:00:00 GMT-01:00 1969"},
		{time.FixedZone("CET", 3600), 0, "Thu Jan 01 01:00:00 CET 1970"},
	} {
		time.Local = tc.zone
		assert.Equal(t, tc.want, javaDate(tc.ms))
	}
}

func TestPrintStat(t *testing.T) {
	old := time.Local
	t.Cleanup(func() { time.Local = old })
	time.Local = time.UTC
	var b bytes.Buffer
	printStat(&b, proto.Stat{Czxid: 0x1a, Mzxid: 0x1b, Pzxid: 0x1c, Ctime: 1000, Mtime: 2000,
		Version: 1, Cversion: 2, Aversion: 3, EphemeralOwner: proto.ContainerOwner, DataLength: 4, NumChildren: 5})
	assert.Equal(t, `cZxid = 0x1a
ctime = Thu Jan 01 00:00:01 UTC 1970
mZxid = 0x1b
mtime = Thu Jan 01 00:00:02 UTC 1970
pZxid = 0x1c
cversion = 2
dataVersion = 1
aclVersion = 3
ephemeralOwner = 0x8000000000000000
dataLength = 4
numChildren = 5
`, b.String())
}

func TestACLText(t *testing.T) {
	var errb bytes.Buffer
	acl := parseACL("world:anyone:cdrwa,digest:u:hash=:r,ip:10.0.0.1:rwx,junk", &errb)
	assert.Equal(t, []proto.ACL{
		{Perms: proto.PermAll, ID: proto.ID{Scheme: "world", ID: "anyone"}},
		{Perms: proto.PermRead, ID: proto.ID{Scheme: "digest", ID: "u:hash="}},
		{Perms: proto.PermRead | proto.PermWrite, ID: proto.ID{Scheme: "ip", ID: "10.0.0.1"}},
	}, acl)
	assert.Equal(t, "Unknown perm type: x\njunk does not have the form scheme:id:perm\n", errb.String())

	assert.Equal(t, "cdrwa", permString(proto.PermAll))
	assert.Equal(t, "rw", permString(proto.PermRead|proto.PermWrite))
	assert.Equal(t, "", permString(0))
	assert.Equal(t, "'world,'anyone\n", juteIDString(proto.ID{Scheme: "world", ID: "anyone"}))
	assert.Equal(t, "'x,'a%2Cb%25%7D%0A\n", juteIDString(proto.ID{Scheme: "x", ID: "a,b%}\n"}))
}

func TestKeeperMessages(t *testing.T) {
	for _, tc := range []struct {
		err     keeperError
		keeper  string
		wrapper string
	}{
		{keeperError{proto.ErrNoNode, "/a", true}, "KeeperErrorCode = NoNode for /a", "Node does not exist: /a"},
		{keeperError{proto.ErrNoAuth, "/a", true}, "KeeperErrorCode = NoAuth for /a", "Insufficient permission : /a"},
		{keeperError{proto.ErrNotEmpty, "/a", true}, "KeeperErrorCode = Directory not empty for /a", "Node not empty: /a"},
		{keeperError{proto.ErrInvalidACL, "", false}, "KeeperErrorCode = InvalidACL", "Acl is not valid : null"},
		{keeperError{proto.ErrNoWatcher, "/w", true}, "KeeperErrorCode = No such watcher for /w", "KeeperErrorCode = No such watcher for /w"},
		{keeperError{proto.ErrConnectionLoss, "/", true}, "KeeperErrorCode = ConnectionLoss for /", "KeeperErrorCode = ConnectionLoss for /"},
		{keeperError{proto.ErrRequestTimeout, "/", true}, "KeeperErrorCode = Unknown error REQUESTTIMEOUT for /", "KeeperErrorCode = Unknown error REQUESTTIMEOUT for /"},
	} {
		assert.Equal(t, tc.keeper, tc.err.Error())
		assert.Equal(t, tc.wrapper, wrapperMessage(&tc.err))
	}
}

func TestEventString(t *testing.T) {
	assert.Equal(t, "WatchedEvent state:SyncConnected type:None path:null",
		Event{Type: proto.EventNone, State: proto.StateSyncConnected, NoPath: true}.String())
	assert.Equal(t, "WatchedEvent state:SyncConnected type:NodeChildrenChanged path:/a",
		Event{Type: proto.EventNodeChildrenChanged, State: proto.StateSyncConnected, Path: "/a"}.String())
	assert.Equal(t, "WatchedEvent state:Expired type:None path:null",
		Event{Type: proto.EventNone, State: proto.StateExpired, NoPath: true}.String())
}

func TestParseJavaDecode(t *testing.T) {
	for in, want := range map[string]int{"0": 0, "12": 12, "-3": -3, "0x10": 16, "#f": 15, "010": 8, "+7": 7} {
		got, err := parseJavaDecode(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, in := range []string{"", "x", "0x", "--1", "1.5", "99999999999"} {
		_, err := parseJavaDecode(in)
		assert.EqualError(t, err, `Exception in thread "main" java.lang.NumberFormatException: For input string: "`+in+`"`, in)
	}
}

func TestConnectString(t *testing.T) {
	cs, err := parseConnectString("a:1,b:2/app/x")
	require.NoError(t, err)
	assert.Equal(t, connectString{hosts: []string{"a:1", "b:2"}, chroot: "/app/x"}, cs)
	cs, err = parseConnectString("h/")
	require.NoError(t, err)
	assert.Equal(t, connectString{hosts: []string{"h:2181"}}, cs)
	_, err = parseConnectString("h:1/a/")
	assert.EqualError(t, err, "Path must not end with / character")
	_, err = parseConnectString("/a")
	assert.Error(t, err)
}

func TestChrootPaths(t *testing.T) {
	s := newSession(connectString{hosts: []string{"x:1"}, chroot: "/app"}, time.Second, false, func(Event) {})
	assert.Equal(t, "/app", s.serverPath("/"))
	assert.Equal(t, "/app/a", s.serverPath("/a"))
	assert.Equal(t, "/", s.clientPath("/app"))
	assert.Equal(t, "/a", s.clientPath("/app/a"))
	assert.Equal(t, "/x", s.clientPath("/x"), "a path shorter than the chroot is left alone, as Java does")
}

func TestClientConfigString(t *testing.T) {
	assert.Equal(t, " ", clientConfigString(""))
	assert.Equal(t, "100000000 127.0.0.1:2181,0.0.0.0:2182", clientConfigString(
		"server.1=127.0.0.1:2888:3888:participant;127.0.0.1:2181\nserver.2=h:2889:3889:participant;2182\nversion=100000000\n"))
}

func TestWatchMaterialize(t *testing.T) {
	w := newWatchSet()
	w.data["/a"], w.child["/a"], w.recursive["/r"], w.persistent["/p"] = true, true, true, true
	assert.True(t, w.materialize(Event{Type: proto.EventNodeDataChanged, Path: "/a"}))
	assert.False(t, w.materialize(Event{Type: proto.EventNodeDataChanged, Path: "/a"}), "one-shot: gone")
	assert.True(t, w.materialize(Event{Type: proto.EventNodeChildrenChanged, Path: "/a"}))
	assert.True(t, w.materialize(Event{Type: proto.EventNodeCreated, Path: "/r/x/y"}))
	assert.True(t, w.materialize(Event{Type: proto.EventNodeCreated, Path: "/r/x/y"}), "persistent: stays")
	assert.False(t, w.materialize(Event{Type: proto.EventNodeChildrenChanged, Path: "/r"}), "recursive watches get no child events")
	assert.True(t, w.materialize(Event{Type: proto.EventNodeChildrenChanged, Path: "/p"}))
	assert.True(t, w.materialize(Event{Type: proto.EventNone, State: proto.StateDisconnected, NoPath: true}))
}

func FuzzParseOpts(f *testing.F) {
	f.Add("set -sv3 /a x")
	f.Add("get -- -s")
	f.Add("ls -R -w -s -? /")
	f.Fuzz(func(t *testing.T, line string) {
		toks := splitLine(line)
		p, err := parseOpts(optSpec{'s': false, 'w': false, 'R': false, 'v': true, '?': false}, toks)
		if err == nil && len(p.args) > len(toks) {
			t.Fatalf("more args than tokens: %q", line)
		}
	})
}

func FuzzValidatePath(f *testing.F) {
	for _, s := range []string{"/", "/a/./b", "//", "/\x00", "/\U0001F600"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		if err := validatePath(p); err == nil && (p == "" || p[0] != '/') {
			t.Fatalf("accepted %q", p)
		}
	})
}
