package server_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/client"
	"github.com/zkit-go/zkit/internal/client/clienttest"
	"github.com/zkit-go/zkit/internal/jute"
	"github.com/zkit-go/zkit/internal/proto"
	"github.com/zkit-go/zkit/server"
	zktesting "github.com/zkit-go/zkit/testing"
)

// Differential tests of ensemble operations: the same script runs against
// a three-member Java ZooKeeper 3.8 ensemble (clienttest.StartJavaEnsemble)
// and a three-member zkit ensemble (zktesting.StartEnsemble) configured
// alike, records what its clients see — error codes, comparable Stat
// fields, /zookeeper/config text, watch events, isro and srvr modes,
// session answers — normalised, and the two records must be equal.
//
// Normalisation (normConfig, normStat, normDump, normCons): member ids become roles fixed when the
// script starts ("L" the leader, "F" the lowest-id follower, "G" the other
// follower), ports become "<role>.q", "<role>.e", "<role>.c", and zxids
// become Z1, Z2, ... in order of first appearance (0 stays 0), so a
// config's version=<zxid> and the Stat's mzxid must name the same zxid on
// both sides. Timings are never compared. A known difference is pinned
// (ensTarget.pinned): each side must give its own known answer, and the
// comment there says which is right and why.
//
// ZKIT_TEST_RECORDS=1 logs the equal records.

// ensTarget is one ensemble under a script: Java's or zkit's.
type ensTarget struct {
	name    string
	ids     []int64
	addr    func(id int64) string
	ports   func(id int64) [3]int // client, quorum, election
	stop    func(id int64)
	start   func(t *testing.T, id int64) // waits until it serves
	logTail func(id int64) string        // the end of a member's log, for a failure
	role    map[int64]string             // id -> L, F, G, fixed at the start
	byRole  map[string]int64
	zxids   map[int64]string
	portSym map[string]string
	rec     []string
}

// newJavaTarget wraps a Java ensemble.
func newJavaTarget(e *clienttest.JavaEnsemble) *ensTarget {
	tg := &ensTarget{name: "java"}
	for _, m := range e.Members {
		tg.ids = append(tg.ids, m.ID)
	}
	member := func(id int64) *clienttest.JavaMember { return e.Members[id-1] }
	tg.addr = func(id int64) string { return member(id).Addr }
	tg.ports = func(id int64) [3]int {
		m := member(id)
		_, p, _ := strings.Cut(m.Addr, ":")
		c, _ := strconv.Atoi(p)
		return [3]int{c, m.QuorumPort, m.ElectionPort}
	}
	tg.stop = func(id int64) { member(id).Stop() }
	tg.start = func(t *testing.T, id int64) {
		t.Helper()
		require.NoError(t, member(id).Start(), "java member %d; see %s", id, member(id).LogPath())
	}
	tg.logTail = func(id int64) string {
		b, err := os.ReadFile(member(id).LogPath())
		if err != nil {
			return err.Error()
		}
		lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
		return strings.Join(lines[max(0, len(lines)-40):], "\n")
	}
	return tg
}

// newZkitTarget wraps a zkit ensemble.
func newZkitTarget(e *zktesting.Ensemble) *ensTarget {
	tg := &ensTarget{name: "zkit"}
	for _, m := range e.Members {
		tg.ids = append(tg.ids, m.ID)
	}
	member := func(id int64) *zktesting.Member { return e.Members[id-1] }
	tg.addr = func(id int64) string { return member(id).Addr() }
	tg.ports = func(id int64) [3]int {
		// ServerSpec is server.N=host:quorumPort:electionPort:role;clientAddr.
		_, v, _ := strings.Cut(member(id).ServerSpec(), "=")
		parts := strings.Split(v, ":")
		q, _ := strconv.Atoi(parts[1])
		el, _ := strconv.Atoi(parts[2])
		_, p, _ := strings.Cut(member(id).Addr(), ":")
		c, _ := strconv.Atoi(p)
		return [3]int{c, q, el}
	}
	tg.stop = func(id int64) { member(id).Stop() }
	tg.start = func(t *testing.T, id int64) {
		t.Helper()
		member(id).Restart()
		tg.waitServing(t, id)
	}
	return tg
}

// mode is a member's srvr Mode, "" when it does not serve.
func (tg *ensTarget) mode(id int64) string {
	for _, line := range strings.Split(clienttest.FourLetter(tg.addr(id), "srvr"), "\n") {
		if v, ok := strings.CutPrefix(line, "Mode: "); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func (tg *ensTarget) waitServing(t *testing.T, id int64) {
	t.Helper()
	zktesting.Eventually(t, 90*time.Second, func() bool { return tg.mode(id) != "" }, tg.name+" member serves")
}

func (tg *ensTarget) waitMode(t *testing.T, id int64, want ...string) string {
	t.Helper()
	var m string
	zktesting.Eventually(t, 90*time.Second, func() bool {
		m = tg.mode(id)
		return slices.Contains(want, m)
	}, fmt.Sprintf("%s member %d in mode %v", tg.name, id, want))
	return m
}

// assignRoles waits for one leader among the members and names them: L
// the leader, F the lowest-id follower, G the other. It resets the zxid
// and port symbols.
func (tg *ensTarget) assignRoles(t *testing.T) {
	t.Helper()
	var leader int64
	formed := func() bool {
		leader = 0
		for _, id := range tg.ids {
			switch tg.mode(id) {
			case "leader":
				leader = id
			case "follower":
			default:
				return false
			}
		}
		return leader != 0
	}
	wait := zktesting.Scale(90 * time.Second)
	for deadline := time.Now().Add(wait); !formed(); {
		if time.Now().After(deadline) {
			t.Fatalf("%s: no leader with serving followers after %v:\n%s", tg.name, wait, tg.describe())
		}
		time.Sleep(20 * time.Millisecond) // polling interval, not synchronisation
	}
	tg.role = map[int64]string{}
	tg.byRole = map[string]int64{}
	names := []string{"F", "G"}
	for _, id := range tg.ids {
		r := "L"
		if id != leader {
			r, names = names[0], names[1:]
		}
		tg.role[id], tg.byRole[r] = r, id
	}
	tg.zxids = map[int64]string{0: "0", -1: "-1"}
	tg.portSym = map[string]string{}
	for _, id := range tg.ids {
		p := tg.ports(id)
		r := tg.role[id]
		tg.portSym[strconv.Itoa(p[0])] = r + ".c"
		tg.portSym[strconv.Itoa(p[1])] = r + ".q"
		tg.portSym[strconv.Itoa(p[2])] = r + ".e"
	}
}

func (tg *ensTarget) id(role string) int64 { return tg.byRole[role] }

// describe says what each member is doing, for a failure message: its
// srvr mode and, for a Java member, the end of its log.
func (tg *ensTarget) describe() string {
	var b strings.Builder
	for _, id := range tg.ids {
		fmt.Fprintf(&b, "member %d: mode %q\n", id, tg.mode(id))
		if tg.logTail != nil {
			fmt.Fprintf(&b, "  log:\n%s\n", tg.logTail(id))
		}
	}
	return b.String()
}

// ensureLeader makes member id the leader, for scripts whose members are
// configured differently: if another member leads, it is restarted, and
// the other two (equal histories) elect the higher id among them, id.
// Which member wins the first election depends on start timing.
func (tg *ensTarget) ensureLeader(t *testing.T, id int64) {
	t.Helper()
	tg.assignRoles(t)
	l := tg.id("L")
	if l == id {
		return
	}
	require.Equal(t, tg.ids[len(tg.ids)-1], id, "ensureLeader: only the highest id can be made to lead")
	t.Logf("%s: member %d leads, not %d: restarting it", tg.name, l, id)
	tg.stop(l)
	tg.waitMode(t, id, "leader")
	tg.start(t, l)
	tg.assignRoles(t)
	require.Equal(t, id, tg.id("L"), "%s: member %d leads", tg.name, id)
}

func (tg *ensTarget) roleAddr(role string) string { return tg.addr(tg.id(role)) }

// zxid names z: Z1, Z2, ... in order of first appearance.
func (tg *ensTarget) zxid(z int64) string {
	if s, ok := tg.zxids[z]; ok {
		return s
	}
	s := "Z" + strconv.Itoa(len(tg.zxids)-1)
	tg.zxids[z] = s
	return s
}

var (
	serverLine = regexp.MustCompile(`^server\.(\d+)=([^:]+):(\d+):(\d+)(?::(participant|observer))?(?:;(?:([^:]+):)?(\d+))?$`)
)

// normConfig rewrites /zookeeper/config text: server lines with roles for
// ids and symbols for ports, sorted (Java lists members in HashMap order),
// version=<zxid symbol>.
func (tg *ensTarget) normConfig(text string) string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		if v, ok := strings.CutPrefix(line, "version="); ok {
			z, err := strconv.ParseInt(v, 16, 64)
			if err != nil {
				out = append(out, "version=?"+v)
				continue
			}
			out = append(out, "version="+tg.zxid(z))
			continue
		}
		m := serverLine.FindStringSubmatch(line)
		if m == nil {
			out = append(out, line)
			continue
		}
		id, _ := strconv.ParseInt(m[1], 10, 64)
		sym := func(p string) string {
			if s, ok := tg.portSym[p]; ok {
				return s
			}
			return p
		}
		r, ok := tg.role[id]
		if !ok {
			r = "id" + m[1]
		}
		out = append(out, fmt.Sprintf("server.%s=%s:%s:%s:%s;%s:%s", r, m[2], sym(m[3]), sym(m[4]), m[5], m[6], sym(m[7])))
	}
	// Java lists the members in HashMap order, zkit by id: sort.
	slices.Sort(out)
	return strings.Join(out, " | ")
}

// normStat is a Stat's comparable fields: zxids as symbols, versions,
// owner (as "S" if the given session owns it), lengths; not times.
func (tg *ensTarget) normStat(st proto.Stat, data []byte, owner int64) string {
	own := strconv.FormatInt(st.EphemeralOwner, 10)
	if owner != 0 && st.EphemeralOwner == owner {
		own = "S"
	}
	return fmt.Sprintf("czxid=%s mzxid=%s pzxid=%s version=%d cversion=%d aversion=%d owner=%s len==data:%v children=%d",
		tg.zxid(st.Czxid), tg.zxid(st.Mzxid), tg.zxid(st.Pzxid), st.Version, st.Cversion, st.Aversion, own,
		int(st.DataLength) == len(data), st.NumChildren)
}

func (tg *ensTarget) record(format string, args ...any) {
	tg.rec = append(tg.rec, fmt.Sprintf(format, args...))
}

// errName is an error as the record shows it: "ok", a ZooKeeper code, or
// "refused" for a connection the server closed or refused.
func errName(err error) string {
	if err == nil {
		return "ok"
	}
	var code proto.Code
	if errors.As(err, &code) {
		return fmt.Sprintf("%d(%v)", int32(code), code)
	}
	return "refused"
}

// dialName connects to a member, or returns the error's name.
func dialName(ctx context.Context, addr string, opts ...client.Option) (*client.Conn, string) {
	c, err := client.Dial(ctx, addr, opts...)
	if err != nil {
		return nil, errName(err)
	}
	return c, "ok"
}

// nullableReconfig is a ReconfigRequest whose empty strings go out as
// jute null strings (length -1), as Java's ZooKeeperAdmin, zkCli and
// go-zookeeper send an absent argument. Java tells null from "": a
// newMembers of "" (not null) takes the non-incremental path and fails.
type nullableReconfig proto.ReconfigRequest

func (r *nullableReconfig) Encode(e *jute.Encoder) {
	for _, s := range []string{r.JoiningServers, r.LeavingServers, r.NewMembers} {
		if s == "" {
			e.NullString()
		} else {
			e.String(s)
		}
	}
	e.Long(r.CurConfigID)
}

func (r *nullableReconfig) Decode(d *jute.Decoder) { (*proto.ReconfigRequest)(r).Decode(d) }

// reconfig sends a reconfig request ("" arguments as null) and returns
// the new config node.
func reconfig(ctx context.Context, c *client.Conn, joining, leaving, members string, from int64) ([]byte, proto.Stat, error) {
	var resp proto.GetDataResponse
	_, err := c.Do(ctx, proto.OpReconfig, &nullableReconfig{JoiningServers: joining,
		LeavingServers: leaving, NewMembers: members, CurConfigID: from}, &resp)
	return resp.Data, resp.Stat, err
}

// frame appends records as one length-prefixed client frame.
func frame(b []byte, recs ...jute.Record) []byte {
	e := jute.NewEncoder(make([]byte, 4, 128))
	for _, r := range recs {
		r.Encode(e)
	}
	f := e.Bytes()
	binary.BigEndian.PutUint32(f, uint32(len(f)-4))
	return append(b, f...)
}

// readFrameFrom reads one length-prefixed frame.
func readFrameFrom(r io.Reader) ([]byte, error) {
	var n [4]byte
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return nil, err
	}
	b := make([]byte, binary.BigEndian.Uint32(n[:]))
	_, err := io.ReadFull(r, b)
	return b, err
}

// pipelinedReconfigs sends reqs as super:test on a new session in one
// TCP write, so the server reads them all before the first can commit,
// and returns each one's error name in reply order ("xid N: code").
func pipelinedReconfigs(t *testing.T, addr string, reqs ...nullableReconfig) []string {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, zktesting.Scale(5*time.Second))
	require.NoError(t, err)
	defer nc.Close()
	require.NoError(t, nc.SetDeadline(time.Now().Add(zktesting.Scale(30*time.Second))))
	conn := proto.ConnectRequest{TimeOut: 30000, Passwd: make([]byte, 16), HasReadOnly: true}
	_, err = nc.Write(frame(nil, &conn))
	require.NoError(t, err)
	_, err = readFrameFrom(nc)
	require.NoError(t, err)
	_, err = nc.Write(frame(nil, &proto.RequestHeader{Xid: -4, Type: proto.OpAuth},
		&proto.AuthPacket{Scheme: "digest", Auth: []byte("super:test")}))
	require.NoError(t, err)
	b, err := readFrameFrom(nc)
	require.NoError(t, err)
	var hdr proto.ReplyHeader
	require.NoError(t, jute.Unmarshal(b[:16], &hdr))
	require.Equal(t, proto.Code(0), hdr.Err, "auth")
	var batch []byte
	for i := range reqs {
		batch = frame(batch, &proto.RequestHeader{Xid: int32(i + 1), Type: proto.OpReconfig}, &reqs[i])
	}
	_, err = nc.Write(batch)
	require.NoError(t, err)
	var out []string
	for len(out) < len(reqs) {
		b, err := readFrameFrom(nc)
		require.NoError(t, err)
		require.NoError(t, jute.Unmarshal(b[:16], &hdr))
		if hdr.Xid < 0 {
			continue // a notification
		}
		var e error
		if hdr.Err != 0 {
			e = hdr.Err
		}
		out = append(out, fmt.Sprintf("xid %d: %s", hdr.Xid, errName(e)))
	}
	return out
}

// spec is a member's server line as the initial configuration has it,
// with another role ("participant" or "observer").
func (tg *ensTarget) spec(id int64, role string) string {
	p := tg.ports(id)
	return fmt.Sprintf("server.%d=127.0.0.1:%d:%d:%s;127.0.0.1:%d", id, p[1], p[2], role, p[0])
}

// compareRecords requires equal records, printing both on a difference.
func compareRecords(t *testing.T, java, zkit *ensTarget) {
	t.Helper()
	if !slices.Equal(java.rec, zkit.rec) {
		var b strings.Builder
		for i := 0; i < max(len(java.rec), len(zkit.rec)); i++ {
			var j, z string
			if i < len(java.rec) {
				j = java.rec[i]
			}
			if i < len(zkit.rec) {
				z = zkit.rec[i]
			}
			mark := "  "
			if j != z {
				mark = "!="
			}
			fmt.Fprintf(&b, "%s java: %s\n   zkit: %s\n", mark, j, z)
		}
		t.Fatalf("records differ:\n%s", b.String())
	}
	t.Logf("%d observations equal", len(java.rec))
	if os.Getenv("ZKIT_TEST_RECORDS") != "" {
		t.Logf("record:\n  %s", strings.Join(java.rec, "\n  "))
	}
}

// runBoth runs script against both targets, each in its own subtest
// (concurrently: Java's members are separate processes, zkit's are in
// this one), and compares the records.
func runBoth(t *testing.T, java, zkit *ensTarget, script func(t *testing.T, tg *ensTarget)) {
	t.Helper()
	java.rec, zkit.rec = nil, nil
	ok := t.Run("scripts", func(t *testing.T) {
		for _, tg := range []*ensTarget{java, zkit} {
			t.Run(tg.name, func(t *testing.T) {
				t.Parallel()
				script(t, tg)
			})
		}
	})
	if !ok {
		for _, tg := range []*ensTarget{java, zkit} {
			t.Logf("%s record so far:\n  %s", tg.name, strings.Join(tg.rec, "\n  "))
		}
		t.FailNow()
	}
	compareRecords(t, java, zkit)
}

// startJava starts a Java ensemble or skips the test without Java.
func startJava(t *testing.T, jvmFlags []string, memberExtra func(id int64) []string, extra ...string) *clienttest.JavaEnsemble {
	t.Helper()
	e, err := clienttest.StartJavaEnsemble(t.TempDir(), 3, jvmFlags, memberExtra, extra...)
	if errors.Is(err, clienttest.ErrNoJava) {
		t.Skip(err.Error())
	}
	require.NoError(t, err)
	t.Cleanup(e.Stop)
	return e
}

// scriptCtx bounds one script: member restarts of a Java ensemble take
// tens of seconds on a small machine.
func scriptCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), zktesting.Scale(4*time.Minute))
	t.Cleanup(cancel)
	return ctx
}

func mustDial(t *testing.T, ctx context.Context, addr string, opts ...client.Option) *client.Conn {
	t.Helper()
	c, err := client.Dial(ctx, addr, opts...)
	require.NoError(t, err, "dial %s", addr)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// recordConfig reads /zookeeper/config on a member after a sync.
func (tg *ensTarget) recordConfig(t *testing.T, ctx context.Context, role string) {
	t.Helper()
	c := mustDial(t, ctx, tg.roleAddr(role))
	defer c.Close()
	_, err := c.Sync(ctx, client.ConfigPath)
	require.NoError(t, err)
	data, st, err := c.GetConfig(ctx, false)
	require.NoError(t, err)
	tg.record("getConfig on %s: %s [%s]", role, tg.normConfig(string(data)), tg.normStat(st, data, 0))
}

// recordReconfig sends a reconfig and records its answer; it returns the
// new configuration's version (or -1).
func (tg *ensTarget) recordReconfig(ctx context.Context, what string, c *client.Conn, joining, leaving, members string, from int64) int64 {
	data, st, err := reconfig(ctx, c, joining, leaving, members, from)
	if err != nil {
		tg.record("reconfig %s: %s", what, errName(err))
		return -1
	}
	tg.record("reconfig %s: ok %s [%s]", what, tg.normConfig(string(data)), tg.normStat(st, data, 0))
	return st.Mzxid
}

// pinned records a known difference: got must be javaWant on Java and
// zkitWant on zkit; the record gets the same line on both sides.
func (tg *ensTarget) pinned(t *testing.T, what, got, javaWant, zkitWant, why string) {
	t.Helper()
	want := zkitWant
	if tg.name == "java" {
		want = javaWant
	}
	if got != want {
		t.Errorf("%s: %s: got %q, pinned %q (%s)", tg.name, what, got, want, why)
	}
	tg.record("%s: pinned difference (%s)", what, why)
}

// reconfigAnswer is recordReconfig's line for a failed reconfig.
func (tg *ensTarget) reconfigAnswer(ctx context.Context, c *client.Conn, joining, leaving, members string, from int64) string {
	_, _, err := reconfig(ctx, c, joining, leaving, members, from)
	return errName(err)
}

// reconfigScript: reconfig replies and the configurations they leave.
func reconfigScript(t *testing.T, tg *ensTarget) {
	ctx := scriptCtx(t)
	tg.assignRoles(t)
	L, F, G := tg.id("L"), tg.id("F"), tg.id("G")
	fs := strconv.FormatInt(F, 10)
	// With reconfig enabled, the first leader versions the initial
	// configuration with its NEWLEADER zxid (ZOOKEEPER-1783).
	for _, r := range []string{"L", "F", "G"} {
		tg.recordConfig(t, ctx, r)
	}

	plain := mustDial(t, ctx, tg.addr(L))
	tg.recordReconfig(ctx, "no auth", plain, "", fs, "", -1)
	// Java checks the caller's WRITE permission on /zookeeper/config
	// last (PrepRequestProcessor), after the version and arguments.
	tg.recordReconfig(ctx, "no auth, bad fromConfig", plain, "", fs, "", 0x7777)
	tg.recordReconfig(ctx, "no auth, joiner without client port", plain, "server.9=127.0.0.1:1:2", "", "", -1)
	tg.recordReconfig(ctx, "no auth, no quorum", plain,
		"server.8=127.0.0.1:4:5:participant;6,server.9=127.0.0.1:1:2:participant;3", fs, "", -1)

	su := mustDial(t, ctx, tg.addr(L))
	require.NoError(t, su.AddAuth(ctx, "digest", []byte("super:test")))
	tg.recordReconfig(ctx, "bad fromConfig", su, "", fs, "", 0x7777)
	tg.recordReconfig(ctx, "joiner without client port", su, "server.9=127.0.0.1:1:2", "", "", -1)
	tg.recordReconfig(ctx, "joiner with a bad spec", su, "server.9=127.0.0.1", "", "", -1)
	// Java 3.8.0 accepts a joiner on another member's ports (no
	// duplicate check fires); so does zkit. Take it out again.
	tg.recordReconfig(ctx, "joiner reusing F's ports", su, strings.Replace(tg.spec(F, "participant"), "server."+fs+"=", "server.9=", 1), "", "", -1)
	tg.recordReconfig(ctx, "its removal", su, "", "9", "", -1)
	tg.pinned(t, "leaving id not a number", tg.reconfigAnswer(ctx, su, "", "x", "", -1),
		"-5(zk: marshalling error)", "-8(zk: bad arguments)",
		"Java 3.8 PrepRequestProcessor lets Long.parseLong's NumberFormatException escape: MARSHALLINGERROR")
	tg.recordReconfig(ctx, "two unsynced joiners", su,
		"server.8=127.0.0.1:4:5:participant;6,server.9=127.0.0.1:1:2:participant;3", fs, "", -1)
	tg.recordReconfig(ctx, "one voter", su, "", "", tg.spec(L, "participant"), -1)
	tg.pinned(t, "no voters", tg.reconfigAnswer(ctx, su, "", "", tg.spec(L, "observer"), -1),
		"-5(zk: marshalling error)", "-8(zk: bad arguments)",
		"Java 3.8 QuorumPeerConfig.parseDynamicConfig throws IllegalArgumentException for observers without participants, which PrepRequestProcessor answers MARSHALLINGERROR")
	tg.recordReconfig(ctx, "leave all but one", su, "", fs+","+strconv.FormatInt(G, 10), "", -1)
	// Through a follower, which forwards it to the leader.
	viaG := mustDial(t, ctx, tg.addr(G))
	tg.recordReconfig(ctx, "via a follower, no auth", viaG, "", "7", "", -1)
	require.NoError(t, viaG.AddAuth(ctx, "digest", []byte("super:test")))
	tg.recordReconfig(ctx, "via a follower, bad fromConfig", viaG, "", "7", "", 0x7777)
	tg.recordReconfig(ctx, "via a follower, leave a non-existent id", viaG, "", "7", "", -1)
	// A non-existent leaver changes nothing but the version.
	v := tg.recordReconfig(ctx, "leave a non-existent id", su, "", "7", "", -1)

	// F becomes an observer, with the version just seen, while G watches
	// the config node; then a participant again.
	watcher := mustDial(t, ctx, tg.addr(G))
	_, _, err := watcher.GetConfig(ctx, true)
	require.NoError(t, err)
	tg.recordReconfig(ctx, "F to observer", su, tg.spec(F, "observer"), "", "", v)
	_, err = watcher.Sync(ctx, client.ConfigPath)
	require.NoError(t, err)
	select {
	case ev := <-watcher.Events():
		tg.record("watch event: type=%d path=%s", ev.Type, ev.Path)
	case <-time.After(zktesting.Scale(5 * time.Second)):
		tg.record("watch event: none")
	}
	tg.record("F mode: %s", tg.waitMode(t, F, "observer"))
	tg.recordConfig(t, ctx, "F")
	tg.recordConfig(t, ctx, "G")
	tg.recordReconfig(ctx, "F to participant", su, tg.spec(F, "participant"), "", "", -1)
	tg.record("F mode: %s", tg.waitMode(t, F, "follower"))

	// A non-incremental reconfig naming every member.
	all := strings.Join([]string{tg.spec(L, "participant"), tg.spec(F, "participant"), tg.spec(G, "participant")}, ",")
	tg.recordReconfig(ctx, "non-incremental, same members", su, "", "", all, -1)
	for _, r := range []string{"L", "F", "G"} {
		tg.recordConfig(t, ctx, r)
	}

	// Two reconfigs in one write: the second is prepared while the
	// first is proposed, not yet committed.
	tg.record("pipelined reconfigs: %v", pipelinedReconfigs(t, tg.addr(L),
		nullableReconfig{LeavingServers: "7", CurConfigID: -1}, nullableReconfig{LeavingServers: "8", CurConfigID: -1}))
	tg.recordConfig(t, ctx, "L")

	// Remove follower F.
	tg.recordReconfig(ctx, "remove F", su, "", fs, "", -1)
	tg.recordReconfig(ctx, "remove F again", su, "", fs, "", -1)
	for _, r := range []string{"L", "G"} {
		tg.recordConfig(t, ctx, r)
	}
	// A removed follower keeps following without a vote and serves
	// (QuorumPeer.updateLearnerType: "I'm not in the view").
	tg.record("removed F: mode %s", tg.waitMode(t, F, "follower"))
	tg.recordConfig(t, ctx, "F")
	tg.recordReconfig(ctx, "add F back", su, tg.spec(F, "participant"), "", "", -1)
	tg.record("F mode: %s", tg.waitMode(t, F, "follower"))
	for _, r := range []string{"L", "F", "G"} {
		tg.recordConfig(t, ctx, r)
	}
	tg.record("modes: L=%s F=%s G=%s", tg.mode(L), tg.mode(F), tg.mode(G))
}

// readOnlyScript stops two members: the third serves read-only clients;
// once the others are back it serves read-write again.
func readOnlyScript(t *testing.T, tg *ensTarget) {
	ctx := scriptCtx(t)
	tg.assignRoles(t)
	L, F, G := tg.id("L"), tg.id("F"), tg.id("G")
	rw := mustDial(t, ctx, tg.addr(F))
	_, err := rw.Create(ctx, "/ro", []byte("data"), proto.FlagPersistent, proto.OpenACLUnsafe)
	require.NoError(t, err)
	tg.record("isro before: %s", clienttest.FourLetter(tg.addr(F), "isro"))

	tg.stop(L)
	tg.stop(G)
	tg.record("survivor mode: %s", tg.waitMode(t, F, "read-only"))
	tg.record("isro: %s", clienttest.FourLetter(tg.addr(F), "isro"))
	_, e := dialName(ctx, tg.addr(F))
	tg.record("client not asking for read-only: %s", e)
	// Java 3.8's read-only server makes a new session only as a local
	// session (QuorumZooKeeperServer.setLocalSessionFlag; without
	// localSessionsEnabled its ReadOnlyRequestProcessor refuses the
	// createSession with a NOTREADONLY reply header where the connect
	// response belongs, still so in 3.8.6), so both ensembles here run
	// with local sessions.
	ro := mustDial(t, ctx, tg.addr(F), client.WithReadOnly(true))
	tg.record("new read-only session: readOnly=%v", ro.ReadOnly())
	data, st, err := ro.GetData(ctx, "/ro", false)
	tg.record("getData: %s %q [%s]", errName(err), data, tg.normStat(st, data, 0))
	kids, err := ro.GetChildren(ctx, "/", false)
	slices.Sort(kids)
	tg.record("getChildren /: %s %v", errName(err), kids)
	_, err = ro.Exists(ctx, "/nope", false)
	tg.record("exists missing: %s", errName(err))
	cfg, _, err := ro.GetConfig(ctx, false)
	tg.record("getConfig: %s %v", errName(err), len(cfg) > 0)
	for _, w := range []struct {
		name string
		do   func() error
	}{
		{"create", func() error {
			_, err := ro.Create(ctx, "/x", nil, proto.FlagPersistent, proto.OpenACLUnsafe)
			return err
		}},
		{"create ephemeral", func() error {
			_, err := ro.Create(ctx, "/x", nil, proto.FlagEphemeral, proto.OpenACLUnsafe)
			return err
		}},
		{"setData", func() error { _, err := ro.SetData(ctx, "/ro", nil, -1); return err }},
		{"delete", func() error { return ro.Delete(ctx, "/ro", -1) }},
		{"sync", func() error { _, err := ro.Sync(ctx, "/ro"); return err }},
		{"setACL", func() error { _, err := ro.SetACL(ctx, "/ro", proto.OpenACLUnsafe, -1); return err }},
		{"multi", func() error {
			_, err := ro.Multi(ctx, client.CreateOp("/x", nil, proto.FlagPersistent, proto.OpenACLUnsafe))
			return err
		}},
		{"multiRead", func() error { _, err := ro.MultiRead(ctx, client.GetDataOp("/ro")); return err }},
		{"reconfig", func() error { _, _, err := reconfig(ctx, ro, "", "7", "", -1); return err }},
	} {
		tg.record("%s: %s", w.name, errName(w.do()))
	}
	_, err = ro.Exists(ctx, "/ro", false)
	tg.record("exists after refused writes: %s", errName(err))
	tg.record("dump: %s", normDump(clienttest.FourLetter(tg.addr(F), "dump"),
		map[int64]string{rw.SessionID(): "rw", ro.SessionID(): "ro"}))

	tg.start(t, L)
	select {
	case <-ro.Done():
		tg.record("read-only connection dropped when the quorum is back")
	case <-time.After(zktesting.Scale(60 * time.Second)):
		tg.record("read-only connection kept")
	}
	m := tg.waitMode(t, F, "follower", "leader")
	tg.record("survivor serves read-write: %v", m != "")
	tg.record("isro after: %s", clienttest.FourLetter(tg.addr(F), "isro"))
	tg.start(t, G)
	back := mustDial(t, ctx, tg.addr(F), client.WithReadOnly(true))
	tg.record("read-only client reconnects: readOnly=%v", back.ReadOnly())
	_, err = back.Create(ctx, "/after", nil, proto.FlagPersistent, proto.OpenACLUnsafe)
	tg.record("create: %s", errName(err))
	_, e = dialName(ctx, tg.addr(F), client.WithSession(ro.SessionID(), ro.Passwd()), client.WithReadOnly(true))
	tg.record("resume the session on the read-write member: %s", e)
}

// TestJavaEnsembleOps compares reconfig and read-only mode with a Java
// ZooKeeper 3.8 ensemble. Both ensembles enable reconfig (standaloneEnabled
// left at its default, true: zkit has no standaloneEnabled=false and always
// requires two voters), the super user super:test, read-only mode and
// local sessions (which Java's read-only mode needs for new sessions).
func TestJavaEnsembleOps(t *testing.T) {
	je := startJava(t, []string{"-Dreadonlymode.enabled=true"}, nil,
		"reconfigEnabled=true", "localSessionsEnabled=true", "DigestAuthenticationProvider.superDigest=super:D/InIHSb7yEEbrWz8b9l71RjZJU=")
	ze := zktesting.StartEnsemble(t, 3, zktesting.WithMemberConfig(func(_ int64, c *server.Config) {
		c.ReconfigEnabled = true
		c.SuperDigest = "super:D/InIHSb7yEEbrWz8b9l71RjZJU="
		c.ReadOnlyModeEnabled = true
		c.LocalSessionsEnabled = true
	}))
	java, zkit := newJavaTarget(je), newZkitTarget(ze)
	// Read-only mode first: the reconfig script leaves a member removed.
	t.Run("readonly", func(t *testing.T) { runBoth(t, java, zkit, readOnlyScript) })
	t.Run("reconfig", func(t *testing.T) { runBoth(t, java, zkit, reconfigScript) })
}

// localSessionScript: member 1 does not upgrade local sessions, members 2
// and 3 do; member 3 leads.
func localSessionScript(t *testing.T, tg *ensTarget) {
	ctx := scriptCtx(t)
	tg.ensureLeader(t, 3)
	long := client.WithSessionTimeout(30 * time.Second)
	c1 := mustDial(t, ctx, tg.addr(1), long)
	tg.record("member 1 session: high byte %d", c1.SessionID()>>56)
	_, err := c1.Create(ctx, "/ls", nil, proto.FlagPersistent, proto.OpenACLUnsafe)
	tg.record("local session creates a persistent node: %s", errName(err))
	for _, tc := range ephemeralCreates {
		got := errName(tc.do(ctx, c1, "/ls/e1"))
		if tc.name == "multi" {
			// Java 3.8 answers this multi SESSIONEXPIRED: on a follower,
			// checkUpgradeSession's EphemeralOnLocalSession is set on the
			// request, which still goes to the leader
			// (FollowerRequestProcessor.processRequest); the leader does
			// not know the local session and commits a SESSIONEXPIRED
			// error txn; FinalRequestProcessor answers a request's own
			// exception for every op but multi, whose answer comes from
			// the txn. zkit answers the multi as it answers create:
			// EPHEMERALONLOCALSESSION. (Member 1 is a follower unless it
			// leads; accept Java's create answer in that case.)
			if tg.name == "java" && got == "-120(zk: ephemeral on local session)" {
				got = "-112(zk: session expired)"
			}
			tg.pinned(t, "no upgrading, multi ephemeral", got, "-112(zk: session expired)",
				"-120(zk: ephemeral on local session)", "Java 3.8.0 answers a multi SESSIONEXPIRED")
			continue
		}
		tg.record("no upgrading, %s ephemeral: %s", tc.name, got)
	}
	_, err = c1.Exists(ctx, "/ls", false)
	tg.record("the session works after a refusal: %s", errName(err))
	_, e := dialName(ctx, tg.addr(2), client.WithSession(c1.SessionID(), c1.Passwd()))
	tg.record("local session resumed on another member: %s", e)
	_, _, err = reconfig(ctx, c1, "", "3", "", -1)
	tg.record("reconfig: %s", errName(err))

	c2 := mustDial(t, ctx, tg.addr(2), long)
	tg.record("member 2 session: high byte %d", c2.SessionID()>>56)
	err = ephemeralCreates[0].do(ctx, c2, "/ls/e2")
	tg.record("upgrading, ephemeral: %s", errName(err))
	data, st, err := c2.GetData(ctx, "/ls/e2", false)
	tg.record("its stat: %s [%s]", errName(err), tg.normStat(st, data, c2.SessionID()))
	c2b, e := dialName(ctx, tg.addr(3), client.WithSession(c2.SessionID(), c2.Passwd()), long)
	tg.record("upgraded session resumed on another member: %s", e)

	names := map[int64]string{c1.SessionID(): "c1", c2.SessionID(): "c2"}
	for _, r := range []string{"L", "F", "G"} {
		// Wait (bounded) for the member to apply c2's upgrade and create.
		var dump string
		deadline := time.Now().Add(zktesting.Scale(10 * time.Second))
		for {
			dump = clienttest.FourLetter(tg.roleAddr(r), "dump")
			if strings.Contains(dump, "Sessions with Ephemerals (1)") || time.Now().After(deadline) {
				break
			}
			time.Sleep(20 * time.Millisecond) // polling the member's state
		}
		tg.record("dump on %s (member %d): %s", r, tg.id(r), normDump(dump, names))
	}

	// A local session of the leader (member 3) upgrades there.
	c4 := mustDial(t, ctx, tg.addr(3), long)
	tg.record("member 3 session: high byte %d", c4.SessionID()>>56)
	err = ephemeralCreates[1].do(ctx, c4, "/ls/e4-")
	tg.record("upgrading on member 3, sequential ephemeral: %s", errName(err))
	eph, err := c4.GetEphemerals(ctx, "/ls")
	tg.record("its ephemerals: %s %d", errName(err), len(eph))
	require.NoError(t, c4.Close())

	require.NoError(t, c1.Close())
	_, e = dialName(ctx, tg.addr(1), client.WithSession(c1.SessionID(), c1.Passwd()))
	tg.record("closed local session resumed: %s", e)
	if c2b != nil {
		require.NoError(t, c2b.Close())
		r := mustDial(t, ctx, tg.addr(1))
		_, err = r.Sync(ctx, "/ls")
		require.NoError(t, err)
		_, err = r.Exists(ctx, "/ls/e2", false)
		tg.record("closing the upgraded session deletes its ephemeral: %s", errName(err))
	}

	c3 := mustDial(t, ctx, tg.addr(1), long)
	tg.record("cons of a new local session: %s", tg.normCons(clienttest.FourLetter(tg.addr(1), "cons"), map[int64]string{c3.SessionID(): "c3"}))
	c3.Drop()
	tg.stop(1)
	tg.start(t, 1)
	_, e = dialName(ctx, tg.addr(1), client.WithSession(c3.SessionID(), c3.Passwd()))
	tg.record("local session resumed after its member restarted: %s", e)
}

// TestJavaEnsembleLocalSessions compares local sessions with a Java
// ZooKeeper 3.8 ensemble: localSessionsEnabled everywhere,
// localSessionsUpgradingEnabled on members 2 and 3 only.
func TestJavaEnsembleLocalSessions(t *testing.T) {
	je := startJava(t, nil, func(id int64) []string {
		return []string{"localSessionsUpgradingEnabled=" + strconv.FormatBool(id != 1)}
	}, "localSessionsEnabled=true")
	ze := zktesting.StartEnsemble(t, 3, zktesting.WithMemberConfig(func(id int64, c *server.Config) {
		c.LocalSessionsEnabled = true
		c.LocalSessionsUpgradingEnabled = id != 1
	}))
	runBoth(t, newJavaTarget(je), newZkitTarget(ze), localSessionScript)
}

// readOnlyGlobalScript: read-only mode without local sessions. A session
// made while the quorum was up cannot come back to the read-only member.
func readOnlyGlobalScript(t *testing.T, tg *ensTarget) {
	ctx := scriptCtx(t)
	tg.assignRoles(t)
	L, F, G := tg.id("L"), tg.id("F"), tg.id("G")
	pre := mustDial(t, ctx, tg.addr(F), client.WithReadOnly(true), client.WithSessionTimeout(30*time.Second))
	tg.record("global session: readOnly=%v", pre.ReadOnly())
	tg.record("cons of a new global session: %s", tg.normCons(clienttest.FourLetter(tg.addr(F), "cons"), map[int64]string{pre.SessionID(): "pre"}))
	for _, r := range []string{"L", "F"} {
		tg.record("dump on %s without local sessions: %s", r,
			normDump(clienttest.FourLetter(tg.roleAddr(r), "dump"), map[int64]string{pre.SessionID(): "pre"}))
	}
	pre.Drop()
	tg.stop(L)
	tg.stop(G)
	tg.record("survivor mode: %s", tg.waitMode(t, F, "read-only"))
	_, e := dialName(ctx, tg.addr(F), client.WithReadOnly(true), client.WithSession(pre.SessionID(), pre.Passwd()))
	tg.record("global session reconnects in read-only mode: %s", e)
	// Java 3.8's read-only server makes new sessions only as local
	// sessions: without localSessionsEnabled its ReadOnlyRequestProcessor
	// refuses the createSession and the client gets a NOTREADONLY reply
	// header where the connect response belongs (ZOOKEEPER-3863's
	// ReadOnlyZooKeeperServer.setLocalSessionFlag; still so in 3.8.6; the
	// Java tests of read-only mode all enable local sessions). zkit makes
	// every read-only session local, so a client can always read.
	nc, e := dialName(ctx, tg.addr(F), client.WithReadOnly(true))
	if nc != nil {
		e = fmt.Sprintf("%s readOnly=%v", e, nc.ReadOnly())
		_ = nc.Close()
	}
	tg.pinned(t, "new session in read-only mode", e, "refused", "ok readOnly=true",
		"Java 3.8 refuses new read-only sessions without localSessionsEnabled")
	tg.start(t, L)
	tg.waitMode(t, F, "follower", "leader")
	back, e := dialName(ctx, tg.addr(F), client.WithReadOnly(true), client.WithSession(pre.SessionID(), pre.Passwd()))
	tg.record("global session reconnects once the quorum is back: %s", e)
	if back != nil {
		tg.record("readOnly=%v", back.ReadOnly())
		_ = back.Close()
	}
	tg.start(t, G)
}

// TestJavaEnsembleReadOnlyGlobalSessions compares read-only mode without
// local sessions with a Java ZooKeeper 3.8 ensemble.
func TestJavaEnsembleReadOnlyGlobalSessions(t *testing.T) {
	je := startJava(t, []string{"-Dreadonlymode.enabled=true"}, nil)
	ze := zktesting.StartEnsemble(t, 3, zktesting.WithMemberConfig(func(_ int64, c *server.Config) {
		c.ReadOnlyModeEnabled = true
	}))
	runBoth(t, newJavaTarget(je), newZkitTarget(ze), readOnlyGlobalScript)
}

var (
	dumpSessionID = regexp.MustCompile(`0x[0-9a-f]+`)
	dumpSets      = regexp.MustCompile(`Session Sets \(\d+\)/\((\d+)\):`)
	dumpTimeout   = regexp.MustCompile(`\t\d+ms$`)
)

// normDump keeps dump's session tracker and ephemeral parts with session
// ids named (names; "S?" for others), expiry buckets dropped (their
// grouping depends on timing; the ids are sorted within each part),
// timeouts as "T" (zkit's test ensembles cap them lower), and the
// connections part left out (ports, timing).
func normDump(text string, names map[int64]string) string {
	text, _, _ = strings.Cut(text, "Connections dump:")
	var out, group []string
	flush := func() {
		slices.Sort(group)
		out = append(out, group...)
		group = nil
	}
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		if strings.Contains(line, " expire at ") {
			continue
		}
		line = dumpSessionID.ReplaceAllStringFunc(line, func(h string) string {
			id, err := strconv.ParseUint(h[2:], 16, 64)
			if n, ok := names[int64(id)]; ok && err == nil {
				return n
			}
			return "S?"
		})
		line = dumpSets.ReplaceAllString(line, "Session Sets ($1):")
		line = dumpTimeout.ReplaceAllString(line, "\tT")
		if strings.HasPrefix(line, "\t") && !strings.HasPrefix(strings.TrimSpace(line), "/") {
			group = append(group, strings.TrimSpace(line)) // a session id in a bucket
			continue
		}
		flush()
		out = append(out, strings.TrimSpace(line))
	}
	flush()
	return strings.Join(out, " | ")
}

var consLine = regexp.MustCompile(`sid=0x([0-9a-f]+),lop=(\w+),.*,lzxid=0x([0-9a-f]+),`)

// normCons keeps, for each connection of a named session, its name, last
// op and last zxid (a symbol); counts, times and latencies depend on
// pings and timing.
func (tg *ensTarget) normCons(text string, names map[int64]string) string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		m := consLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		id, _ := strconv.ParseUint(m[1], 16, 64)
		n, ok := names[int64(id)]
		if !ok {
			continue
		}
		z, _ := strconv.ParseUint(m[3], 16, 64)
		out = append(out, fmt.Sprintf("%s lop=%s lzxid=%s", n, m[2], tg.zxid(int64(z))))
	}
	slices.Sort(out)
	return strings.Join(out, " | ")
}
