package recipestest

import (
	"testing"
	"time"
)

// CuratorDriver runs a Java program that uses Apache Curator 5.4's
// recipes on the ensemble connect (a ZooKeeper connect string) under
// namespace ns ("" for none), driven by these commands, one reply line
// each:
//
//	group <path> <id> <data>   start a GroupMember                  ok
//	members                    its getCurrentMembers, sorted         id=data,id=data
//	groupdata <data>           setThisData                           ok
//	groupclose                 close the GroupMember                 ok
//	ttl <path> <ms> <data>     start a PersistentTtlNode and wait    ok
//	ttlclose                   close it                              ok
//	lock <path>                acquire a revocable InterProcessMutex ok
//	revoked                    has its RevocationListener run?       yes | no
//	unlock                     release it                            ok
//	holder <path>              first of getParticipantNodes          <path> | none
//	revoke <node path>         Revoker.attemptRevoke                 ok
//	latch <path> <id>          start a LeaderLatch                   ok
//	latchclose                 close it                              ok
//
// Data is sent as given (no spaces). Errors reply "error ...", which fails
// the test. The test is skipped when Curator or Java is not installed.
func CuratorDriver(t testing.TB, connect, ns string) *JavaDriver {
	t.Helper()
	d := StartJavaDriver(t, "ZkitCuratorDriver", curatorDriverSource, connect, ns)
	d.Ask(60*time.Second, "ping")
	return d
}

const curatorDriverSource = `
import java.io.*;
import java.nio.charset.StandardCharsets;
import java.util.*;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.curator.framework.*;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.framework.recipes.locks.*;
import org.apache.curator.framework.recipes.nodes.*;
import org.apache.curator.retry.ExponentialBackoffRetry;

public class ZkitCuratorDriver {
    public static void main(String[] args) throws Exception {
        CuratorFrameworkFactory.Builder b = CuratorFrameworkFactory.builder()
            .connectString(args[0]).sessionTimeoutMs(10000).connectionTimeoutMs(10000)
            .retryPolicy(new ExponentialBackoffRetry(100, 10));
        if (args.length > 1 && !args[1].isEmpty()) b = b.namespace(args[1]);
        CuratorFramework c = b.build();
        c.start();
        c.blockUntilConnected(30, TimeUnit.SECONDS);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        PrintStream out = new PrintStream(System.out, true, "UTF-8");
        GroupMember gm = null;
        PersistentTtlNode ttl = null;
        InterProcessMutex mutex = null;
        LeaderLatch latch = null;
        AtomicBoolean revoked = new AtomicBoolean();
        String line;
        while ((line = in.readLine()) != null) {
            String[] w = line.split(" ");
            try {
                switch (w[0]) {
                case "ping": out.println("ok"); break;
                case "group":
                    gm = new GroupMember(c, w[1], w[2], w[3].getBytes(StandardCharsets.UTF_8));
                    gm.start();
                    out.println("ok"); break;
                case "members": {
                    TreeMap<String, byte[]> m = new TreeMap<>(gm.getCurrentMembers());
                    StringBuilder sb = new StringBuilder();
                    for (Map.Entry<String, byte[]> e : m.entrySet()) {
                        if (sb.length() > 0) sb.append(',');
                        sb.append(e.getKey()).append('=').append(new String(e.getValue(), StandardCharsets.UTF_8));
                    }
                    out.println(sb); break;
                }
                case "groupdata": gm.setThisData(w[1].getBytes(StandardCharsets.UTF_8)); out.println("ok"); break;
                case "groupclose": gm.close(); out.println("ok"); break;
                case "ttl":
                    ttl = new PersistentTtlNode(c, w[1], Long.parseLong(w[2]), w[3].getBytes(StandardCharsets.UTF_8));
                    ttl.start();
                    out.println(ttl.waitForInitialCreate(20, TimeUnit.SECONDS) ? "ok" : "error not created"); break;
                case "ttlclose": ttl.close(); out.println("ok"); break;
                case "lock":
                    mutex = new InterProcessMutex(c, w[1]);
                    revoked.set(false);
                    mutex.makeRevocable(l -> revoked.set(true));
                    mutex.acquire();
                    out.println("ok"); break;
                case "revoked": out.println(revoked.get() ? "yes" : "no"); break;
                case "unlock": mutex.release(); out.println("ok"); break;
                case "holder": {
                    Collection<String> ps = new InterProcessMutex(c, w[1]).getParticipantNodes();
                    out.println(ps.isEmpty() ? "none" : ps.iterator().next()); break;
                }
                case "revoke": Revoker.attemptRevoke(c, w[1]); out.println("ok"); break;
                case "latch":
                    latch = new LeaderLatch(c, w[1], w[2]);
                    latch.start();
                    out.println("ok"); break;
                case "latchclose": latch.close(); out.println("ok"); break;
                default: out.println("error unknown command " + w[0]);
                }
            } catch (Exception e) {
                out.println("error " + e.toString().replace('\n', ' '));
            }
        }
        if (gm != null) gm.close();
        if (ttl != null) ttl.close();
        if (latch != null) try { latch.close(); } catch (Exception e) {}
        c.close();
    }
}
`
