package acl

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/javatest"
	"github.com/zkit-go/zkit/internal/proto"
)

// aclOracle answers one line per input line. Arguments and string answers
// are hex-encoded UTF-8 so that any byte survives the trip.
//
//	dec <b>         re-encoded new String(b, UTF_8), space, its hashCode
//	dig <s>         DigestAuthenticationProvider.generateDigest(s)
//	dv <s>          digest isValid
//	du <s>          digest getUserName (or "!" on exception)
//	iv <s>          ip isValid (ZooKeeper 3.8: IPv4 only)
//	im <id> <expr>  ip matches
//	pi <s> <radix>  Integer.parseInt, or "!"
//	mask <s>        s.replaceAll(":.*", ":x")
//	fix <ids> <acl>         PrepRequestProcessor.fixupACL, or "INVALIDACL"
//	chk <perm> <ids> <acl>  ZooKeeperServer.checkACL: "ok" or "NOAUTH"
//	who <ids>               AuthUtil.getClientInfos as scheme,user pairs
//	set <scheme> <id> ...  ids added to a ConcurrentHashMap-backed set; prints the iteration order as scheme,id pairs
const aclOracle = `
import java.io.*;
import java.nio.charset.StandardCharsets;
import java.util.*;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.data.ACL;
import org.apache.zookeeper.data.Id;
import org.apache.zookeeper.server.PrepRequestProcessor;
import org.apache.zookeeper.server.ZooKeeperServer;
import org.apache.zookeeper.server.util.AuthUtil;
import org.apache.zookeeper.server.auth.*;

public class AclOracle {
    static String s(String h) {
        byte[] b = new byte[h.length() / 2];
        for (int i = 0; i < b.length; i++) b[i] = (byte) Integer.parseInt(h.substring(2*i, 2*i+2), 16);
        return new String(b, StandardCharsets.UTF_8);
    }
    static String h(String s) {
        StringBuilder sb = new StringBuilder();
        for (byte x : s.getBytes(StandardCharsets.UTF_8)) sb.append(String.format("%02x", x & 0xff));
        return sb.toString();
    }
    static List<Id> ids(String f) {
        List<Id> l = new ArrayList<>();
        if (f.equals("-")) return l;
        for (String p : f.split(";")) { String[] x = p.split(",", -1); l.add(new Id(s(x[0]), s(x[1]))); }
        return l;
    }
    static List<ACL> acls(String f) {
        List<ACL> l = new ArrayList<>();
        if (f.equals("-")) return l;
        for (String p : f.split(";")) { String[] x = p.split(",", -1); l.add(new ACL(Integer.parseInt(x[0]), new Id(s(x[1]), s(x[2])))); }
        return l;
    }
    public static void main(String[] args) throws Exception {
        ZooKeeperServer zks = new ZooKeeperServer();
        DigestAuthenticationProvider dp = new DigestAuthenticationProvider();
        IPAuthenticationProvider ip = new IPAuthenticationProvider();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        PrintStream out = new PrintStream(new BufferedOutputStream(System.out));
        String line;
        while ((line = in.readLine()) != null) {
            String[] f = line.split(" ", -1);
            switch (f[0]) {
            case "dec": { String x = s(f[1]); out.println(h(x) + " " + x.hashCode()); break; }
            case "dig": out.println(h(DigestAuthenticationProvider.generateDigest(s(f[1])))); break;
            case "dv": out.println(dp.isValid(s(f[1]))); break;
            case "du": try { out.println(h(dp.getUserName(s(f[1])))); } catch (RuntimeException e) { out.println("!"); } break;
            case "iv": out.println(ip.isValid(s(f[1]))); break;
            case "im": out.println(ip.matches(s(f[1]), s(f[2]))); break;
            case "pi": try { out.println(Integer.parseInt(s(f[1]), Integer.parseInt(f[2]))); } catch (NumberFormatException e) { out.println("!"); } break;
            case "mask": out.println(h(s(f[1]).replaceAll(":.*", ":x"))); break;
            case "fix": {
                try {
                    StringBuilder sb = new StringBuilder();
                    for (ACL a : PrepRequestProcessor.fixupACL("/p", ids(f[1]), acls(f[2])))
                        sb.append(a.getPerms()).append(',').append(h(a.getId().getScheme())).append(',').append(h(a.getId().getId())).append(';');
                    out.println(sb);
                } catch (KeeperException.InvalidACLException e) { out.println("INVALIDACL"); }
                break;
            }
            case "chk": {
                try {
                    zks.checkACL(null, acls(f[3]), Integer.parseInt(f[1]), ids(f[2]), "/p", null);
                    out.println("ok");
                } catch (KeeperException.NoAuthException e) { out.println("NOAUTH"); }
                break;
            }
            case "who": {
                StringBuilder sb = new StringBuilder();
                for (org.apache.zookeeper.data.ClientInfo c : AuthUtil.getClientInfos(ids(f[1])))
                    sb.append(h(c.getAuthScheme())).append(',').append(h(c.getUser())).append(';');
                out.println(sb);
                break;
            }
            case "set": {
                Set<Id> set = Collections.newSetFromMap(new ConcurrentHashMap<Id, Boolean>());
                for (int i = 1; i + 1 < f.length; i += 2) set.add(new Id(s(f[i]), s(f[i+1])));
                StringBuilder sb = new StringBuilder();
                for (Id id : new ArrayList<>(set)) sb.append(h(id.getScheme())).append(',').append(h(id.getId())).append(';');
                out.println(sb);
                break;
            }
            default: out.println("?");
            }
        }
        out.flush();
    }
}
`

// oracle batches queries to the Java program.
type oracle struct {
	lines []string
	check []func(t *testing.T, answer string)
}

func hx(s string) string { return hex.EncodeToString([]byte(s)) }

func unhx(t *testing.T, s string) string {
	b, err := hex.DecodeString(s)
	require.NoError(t, err)
	return string(b)
}

func (o *oracle) ask(line string, check func(t *testing.T, answer string)) {
	o.lines = append(o.lines, line)
	o.check = append(o.check, check)
}

func (o *oracle) run(t *testing.T) {
	t.Helper()
	d := javatest.CompileSource(t, javatest.QuietClasspath, "AclOracle", aclOracle)
	// file.encoding pins Java's default charset, which digest logins use.
	cmd := d.Command(context.Background(), []string{"-Dfile.encoding=UTF-8"}, "AclOracle")
	cmd.Stdin = strings.NewReader(strings.Join(o.lines, "\n") + "\n")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	require.NoError(t, err, "java: %s", stderr.String())
	sc := bufio.NewScanner(bytes.NewReader(stdout))
	sc.Buffer(nil, 1<<20)
	i := 0
	for sc.Scan() {
		require.Less(t, i, len(o.lines))
		t.Run(fmt.Sprintf("%d", i), func(t *testing.T) { o.check[i](t, sc.Text()) })
		i++
	}
	require.Equal(t, len(o.lines), i, "Java answered every query")
}

// randomString draws from pieces that exercise the parsers.
func randomString(rng *rand.Rand, pieces []string, max int) string {
	var sb strings.Builder
	for n := rng.IntN(max + 1); n > 0; n-- {
		sb.WriteString(pieces[rng.IntN(len(pieces))])
	}
	return sb.String()
}

func TestAgainstJava(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var o oracle

	byteBits := []string{"a", "Z", ":", "\x00", "\x7f", "\x80", "\xbf", "\xc0", "\xc2", "\xdf", "\xe0", "\xe1",
		"\xed", "\xa0", "\xef", "\xf0", "\xf4", "\x90", "\x8f", "\xf5", "\xff", "é", "\U0001F600", "\u2028"}
	for range 1500 {
		b := randomString(rng, byteBits, 6)
		o.ask("dec "+hx(b), func(t *testing.T, ans string) {
			got := javaDecode([]byte(b))
			want, hash, _ := strings.Cut(ans, " ")
			require.Equal(t, unhx(t, want), got, "decode %q", b)
			require.Equal(t, hash, strconv.Itoa(int(javaHash(got))), "hash of %q", got)
		})
	}

	digestBits := []string{"user", ":", "pw", "", "é", "\U0001F600", "super", "::", "a"}
	for _, s := range []string{"super:test", "user:password", "nocolon", "", ":", "u:p:q"} {
		o.ask("dig "+hx(s), func(t *testing.T, ans string) {
			require.Equal(t, unhx(t, ans), GenerateDigest(s), "digest of %q", s)
		})
	}
	for range 300 {
		s := randomString(rng, digestBits, 5)
		o.ask("dig "+hx(s), func(t *testing.T, ans string) {
			require.Equal(t, unhx(t, ans), GenerateDigest(s), "digest of %q", s)
		})
		o.ask("dv "+hx(s), func(t *testing.T, ans string) {
			require.Equal(t, ans == "true", digestValid(s), "isValid %q", s)
		})
		o.ask("du "+hx(s), func(t *testing.T, ans string) {
			if ans == "!" {
				return // Java throws for ids made only of ':'; never a real digest id
			}
			require.Equal(t, unhx(t, ans), digestUser(s), "user of %q", s)
		})
		o.ask("mask "+hx(s+"\n"+s), func(t *testing.T, ans string) {
			require.Equal(t, unhx(t, ans), maskDigest(s+"\n"+s))
		})
	}

	ipBits := []string{"1", "0", "255", "256", "10", ".", ".", ".", "/", "8", "24", "32", "33", "+", "-", "00",
		"١", "０", "x", ":", "", "2147483648"}
	addrs := []string{"10.1.2.3", "10.1.2.255", "192.168.0.1", "0.0.0.0", "255.255.255.255", "10.0.0.0", "0:0:0:0:0:0:0:1"}
	for range 2000 {
		expr := randomString(rng, ipBits, 9)
		if rng.IntN(3) == 0 {
			expr = addrs[rng.IntN(len(addrs))] + "/" + strconv.Itoa(rng.IntN(36)-2)
		}
		o.ask("iv "+hx(expr), func(t *testing.T, ans string) {
			require.Equal(t, ans == "true", ipValid(expr, false), "isValid %q", expr)
		})
		id := addrs[rng.IntN(len(addrs))]
		o.ask("im "+hx(id)+" "+hx(expr), func(t *testing.T, ans string) {
			require.Equal(t, ans == "true", ipMatches(id, expr, false), "matches(%q, %q)", id, expr)
		})
	}

	intBits := []string{"0", "1", "9", "+", "-", "a", "f", "F", "g", "Ａ", "ｆ", "١", "٩", "０", "𝟎", "2147483647", "8"}
	for range 1000 {
		s := randomString(rng, intBits, 4)
		radix := []int32{10, 16}[rng.IntN(2)]
		o.ask(fmt.Sprintf("pi %s %d", hx(s), radix), func(t *testing.T, ans string) {
			v, ok := javaParseInt(s, radix)
			if ans == "!" {
				require.False(t, ok, "parseInt(%q, %d) = %d, Java fails", s, radix, v)
				return
			}
			require.True(t, ok, "parseInt(%q, %d) fails, Java %s", s, radix, ans)
			require.Equal(t, ans, strconv.Itoa(int(v)))
		})
	}

	aclCases(rng, &o)

	schemes := []string{"ip", "digest", "super", "world", "x509"}
	for range 400 {
		n := 1 + rng.IntN(30)
		var ids []proto.ID
		line := "set"
		for range n {
			id := proto.ID{Scheme: schemes[rng.IntN(len(schemes))], ID: fmt.Sprintf("u%d:%x", rng.IntN(50), rng.Uint32())}
			if rng.IntN(4) == 0 && len(ids) > 0 {
				id = ids[rng.IntN(len(ids))] // a duplicate
			}
			ids = append(ids, id)
			line += " " + hx(id.Scheme) + " " + hx(id.ID)
		}
		o.ask(line, func(t *testing.T, ans string) {
			var want []proto.ID
			for _, pair := range strings.Split(strings.TrimSuffix(ans, ";"), ";") {
				sch, id, _ := strings.Cut(pair, ",")
				want = append(want, proto.ID{Scheme: unhx(t, sch), ID: unhx(t, id)})
			}
			require.Equal(t, want, NewAuthInfo(ids...).IDs())
		})
	}
	o.run(t)
}

func encodeIDs(ids []proto.ID) string {
	if len(ids) == 0 {
		return "-"
	}
	var parts []string
	for _, id := range ids {
		parts = append(parts, hx(id.Scheme)+","+hx(id.ID))
	}
	return strings.Join(parts, ";")
}

func encodeACL(acl []proto.ACL) string {
	if len(acl) == 0 {
		return "-"
	}
	var parts []string
	for _, e := range acl {
		parts = append(parts, fmt.Sprintf("%d,%s,%s", e.Perms, hx(e.ID.Scheme), hx(e.ID.ID)))
	}
	return strings.Join(parts, ";")
}

// aclCases asks Java to fix up and check random ACLs for random sessions.
func aclCases(rng *rand.Rand, o *oracle) {
	a, _ := New(Config{})
	pool := []proto.ID{
		{Scheme: "world", ID: "anyone"}, {Scheme: "world", ID: "someone"},
		{Scheme: "auth", ID: ""}, {Scheme: "auth", ID: "x"},
		{Scheme: "digest", ID: "alice:" + digestOf("alice:pw")}, {Scheme: "digest", ID: "bob:" + digestOf("bob:pw")},
		{Scheme: "digest", ID: "nocolon"}, {Scheme: "digest", ID: "a:b:"},
		{Scheme: "ip", ID: "10.1.2.3"}, {Scheme: "ip", ID: "10.0.0.0/8"}, {Scheme: "ip", ID: "10.1.2.3/33"},
		{Scheme: "ip", ID: "192.168.1.0/24"}, {Scheme: "ip", ID: "::1"},
		{Scheme: "super", ID: ""}, {Scheme: "sasl", ID: "alice"}, {Scheme: "", ID: ""},
	}
	sessionPool := []proto.ID{
		{Scheme: "ip", ID: "10.1.2.3"}, {Scheme: "ip", ID: "192.168.1.7"},
		{Scheme: "digest", ID: "alice:" + digestOf("alice:pw")}, {Scheme: "digest", ID: "bob:" + digestOf("bob:pw")},
		{Scheme: "super", ID: ""}, {Scheme: "x509", ID: "CN=me"},
	}
	for range 1500 {
		var acl []proto.ACL
		for n := rng.IntN(4); n >= 0; n-- {
			if rng.IntN(4) == 0 && len(acl) > 0 {
				acl = append(acl, acl[rng.IntN(len(acl))])
				continue
			}
			acl = append(acl, proto.ACL{Perms: int32(rng.IntN(33)), ID: pool[rng.IntN(len(pool))]})
		}
		if rng.IntN(20) == 0 {
			acl = nil
		}
		var ids []proto.ID
		for n := rng.IntN(4); n > 0; n-- {
			ids = append(ids, sessionPool[rng.IntN(len(sessionPool))])
		}
		ids = NewAuthInfo(ids...).IDs() // the list Java hands a request
		perm := []int32{proto.PermRead, proto.PermWrite, proto.PermCreate, proto.PermDelete, proto.PermAdmin,
			proto.PermRead | proto.PermAdmin}[rng.IntN(6)]
		o.ask("fix "+encodeIDs(ids)+" "+encodeACL(acl), func(t *testing.T, ans string) {
			got, err := a.FixupACL(acl, ids)
			if ans == "INVALIDACL" {
				require.ErrorIs(t, err, proto.ErrInvalidACL, "fixup %v for %v gave %v", acl, ids, got)
				return
			}
			require.NoError(t, err, "fixup %v for %v", acl, ids)
			require.Equal(t, ans, encodeACL(got)+";")
		})
		o.ask(fmt.Sprintf("chk %d %s %s", perm, encodeIDs(ids), encodeACL(acl)), func(t *testing.T, ans string) {
			err := a.Check(acl, perm, ids)
			if ans == "ok" {
				require.NoError(t, err, "check %d on %v for %v", perm, acl, ids)
			} else {
				require.ErrorIs(t, err, proto.ErrNoAuth, "check %d on %v for %v", perm, acl, ids)
			}
		})
		o.ask("who "+encodeIDs(ids), func(t *testing.T, ans string) {
			var want []proto.ClientInfo
			for _, pair := range strings.Split(strings.TrimSuffix(ans, ";"), ";") {
				if pair == "" {
					continue
				}
				sch, user, _ := strings.Cut(pair, ",")
				want = append(want, proto.ClientInfo{AuthScheme: unhx(t, sch), User: unhx(t, user)})
			}
			got := a.ClientInfos(ids)
			if len(want) == 0 {
				require.Empty(t, got)
				return
			}
			require.Equal(t, want, got)
		})
	}
}

// digestOf returns the base64 part of a digest id.
func digestOf(userPassword string) string {
	_, d, _ := strings.Cut(GenerateDigest(userPassword), ":")
	return d
}
