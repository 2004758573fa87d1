package zkit.interop;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.Closeable;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.atomic.AtomicValue;
import org.apache.curator.framework.recipes.atomic.DistributedAtomicLong;
import org.apache.curator.framework.recipes.barriers.DistributedBarrier;
import org.apache.curator.framework.recipes.barriers.DistributedDoubleBarrier;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.curator.framework.recipes.cache.TreeCache;
import org.apache.curator.framework.recipes.cache.TreeCacheEvent;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.framework.recipes.leader.LeaderLatchListener;
import org.apache.curator.framework.recipes.leader.LeaderSelector;
import org.apache.curator.framework.recipes.leader.LeaderSelectorListenerAdapter;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.framework.recipes.locks.InterProcessReadWriteLock;
import org.apache.curator.framework.recipes.locks.InterProcessSemaphoreV2;
import org.apache.curator.framework.recipes.locks.Lease;
import org.apache.curator.framework.recipes.locks.Revoker;
import org.apache.curator.framework.recipes.nodes.GroupMember;
import org.apache.curator.framework.recipes.nodes.PersistentTtlNode;
import org.apache.curator.framework.recipes.queue.DistributedDelayQueue;
import org.apache.curator.framework.recipes.queue.DistributedIdQueue;
import org.apache.curator.framework.recipes.queue.DistributedPriorityQueue;
import org.apache.curator.framework.recipes.queue.DistributedQueue;
import org.apache.curator.framework.recipes.queue.MultiItem;
import org.apache.curator.framework.recipes.queue.QueueBuilder;
import org.apache.curator.framework.recipes.queue.QueueConsumer;
import org.apache.curator.framework.recipes.queue.QueueSerializer;
import org.apache.curator.framework.recipes.shared.SharedCount;
import org.apache.curator.framework.recipes.shared.SharedCountListener;
import org.apache.curator.framework.recipes.shared.SharedCountReader;
import org.apache.curator.framework.recipes.shared.VersionedValue;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.retry.RetryNTimes;
import org.apache.curator.x.discovery.ServiceDiscovery;
import org.apache.curator.x.discovery.ServiceDiscoveryBuilder;
import org.apache.curator.x.discovery.ServiceInstance;
import org.apache.curator.x.discovery.details.JsonInstanceSerializer;

// Driver runs Curator 5.4 recipes one command at a time for zkit's interop
// tests. Each stdin line is "<id> <verb> <object> <args...>"; the reply is
// "<id> ok <result>" or "<id> err <message>". Commands on objects with the
// same owner (the name before the first '.') run in order on one thread,
// because Curator's locks belong to the thread that took them; other
// commands run concurrently. Asynchronous events are "! <object> <text>".
public class Driver {
    static final ObjectMapper JSON = new ObjectMapper();
    static String connect;
    static final Map<String, Object> objects = new ConcurrentHashMap<>();
    static final Map<String, ExecutorService> owners = new ConcurrentHashMap<>();
    static final Map<String, Semaphore> relinquish = new ConcurrentHashMap<>();
    static final Map<String, List<Lease>> leases = new ConcurrentHashMap<>();

    interface Command { String run(String[] a) throws Exception; }

    static synchronized void out(String line) {
        System.out.println(line);
        System.out.flush();
    }

    static void event(String obj, String text) { out("! " + obj + " " + text); }

    public static void main(String[] args) throws Exception {
        connect = args[0];
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        out("ready");
        String line;
        while ((line = in.readLine()) != null) {
            String[] a = line.trim().split(" ");
            if (a.length < 2) continue;
            if (a[1].equals("exit")) break;
            String id = a[0];
            String owner = a.length > 2 ? a[2].split("\\.")[0] : "";
            owners.computeIfAbsent(owner, k -> Executors.newSingleThreadExecutor()).execute(() -> {
                try {
                    out(id + " ok " + run(a));
                } catch (Throwable e) {
                    out(id + " err " + (e.getClass().getName() + ": " + e.getMessage()).replace('\n', ' '));
                }
            });
        }
        Runtime.getRuntime().halt(0);
    }

    @SuppressWarnings("unchecked")
    static <T> T get(String name) {
        Object o = objects.get(name);
        if (o == null) throw new IllegalArgumentException("no object " + name);
        return (T) o;
    }

    static CuratorFramework client(String name) { return get(name); }

    static String run(String[] a) throws Exception {
        String obj = a[2];
        switch (a[1]) {
        case "client": {
            CuratorFrameworkFactory.Builder b = CuratorFrameworkFactory.builder().connectString(connect)
                .sessionTimeoutMs(Integer.parseInt(a[3])).connectionTimeoutMs(15000).retryPolicy(new RetryNTimes(100, 100));
            if (a.length > 4) b = b.namespace(a[4]);
            CuratorFramework c = b.build();
            c.start();
            if (!c.blockUntilConnected(30, TimeUnit.SECONDS)) throw new IllegalStateException("not connected");
            c.getConnectionStateListenable().addListener((cl, s) -> event(obj, "state " + s));
            objects.put(obj, c);
            return Long.toHexString(c.getZookeeperClient().getZooKeeper().getSessionId());
        }
        case "session":
            return Long.toHexString(client(obj).getZookeeperClient().getZooKeeper().getSessionId());
        case "close": {
            Object o = objects.remove(obj);
            if (o instanceof Closeable) ((Closeable) o).close();
            else if (o instanceof AutoCloseable) ((AutoCloseable) o).close();
            return "closed";
        }
        case "mutex":
            objects.put(obj, new InterProcessMutex(client(a[3]), a[4]));
            return obj;
        case "rwlock": {
            InterProcessReadWriteLock rw = new InterProcessReadWriteLock(client(a[3]), a[4]);
            objects.put(obj + ".r", rw.readLock());
            objects.put(obj + ".w", rw.writeLock());
            return obj;
        }
        case "acquire":
            return Boolean.toString(((InterProcessMutex) get(obj)).acquire(Long.parseLong(a[3]), TimeUnit.MILLISECONDS));
        case "release":
            ((InterProcessMutex) get(obj)).release();
            return "released";
        case "revocable":
            ((InterProcessMutex) get(obj)).makeRevocable(m -> event(obj, "revoked"));
            return obj;
        case "participants":
            return String.join(" ", ((InterProcessMutex) get(obj)).getParticipantNodes());
        case "revoke":
            Revoker.attemptRevoke(client(obj), a[3]);
            return "revoked";
        case "semaphore":
            objects.put(obj, new InterProcessSemaphoreV2(client(a[3]), a[4], Integer.parseInt(a[5])));
            leases.put(obj, new ArrayList<>());
            return obj;
        case "lease": {
            Collection<Lease> got = ((InterProcessSemaphoreV2) get(obj)).acquire(Integer.parseInt(a[3]), Long.parseLong(a[4]), TimeUnit.MILLISECONDS);
            if (got == null) return "false";
            leases.get(obj).addAll(got);
            return "true";
        }
        case "returnall": {
            List<Lease> l = leases.get(obj);
            ((InterProcessSemaphoreV2) get(obj)).returnAll(new ArrayList<>(l));
            int n = l.size();
            l.clear();
            return Integer.toString(n);
        }
        case "latch": {
            LeaderLatch l = new LeaderLatch(client(a[3]), a[4], a[5]);
            l.addListener(new LeaderLatchListener() {
                public void isLeader() { event(obj, "leader true"); }
                public void notLeader() { event(obj, "leader false"); }
            });
            objects.put(obj, l);
            return obj;
        }
        case "start": {
            Object o = get(obj);
            if (o instanceof LeaderLatch) ((LeaderLatch) o).start();
            else if (o instanceof LeaderSelector) ((LeaderSelector) o).start();
            else if (o instanceof SharedCount) ((SharedCount) o).start();
            else if (o instanceof DistributedQueue) ((DistributedQueue<?>) o).start();
            else if (o instanceof DistributedPriorityQueue) ((DistributedPriorityQueue<?>) o).start();
            else if (o instanceof DistributedDelayQueue) ((DistributedDelayQueue<?>) o).start();
            else if (o instanceof DistributedIdQueue) ((DistributedIdQueue<?>) o).start();
            else if (o instanceof ServiceDiscovery) ((ServiceDiscovery<?>) o).start();
            else if (o instanceof GroupMember) ((GroupMember) o).start();
            else if (o instanceof PersistentTtlNode) ((PersistentTtlNode) o).start();
            else throw new IllegalArgumentException("cannot start " + obj);
            return "started";
        }
        case "isleader": {
            Object o = get(obj);
            if (o instanceof LeaderLatch) return Boolean.toString(((LeaderLatch) o).hasLeadership());
            return Boolean.toString(((LeaderSelector) o).hasLeadership());
        }
        case "awaitleader":
            return Boolean.toString(((LeaderLatch) get(obj)).await(Long.parseLong(a[3]), TimeUnit.MILLISECONDS));
        case "leader": {
            Object o = get(obj);
            if (o instanceof LeaderLatch) return ((LeaderLatch) o).getLeader().getId();
            return ((LeaderSelector) o).getLeader().getId();
        }
        case "selector": {
            Semaphore sem = new Semaphore(0);
            relinquish.put(obj, sem);
            LeaderSelector s = new LeaderSelector(client(a[3]), a[4], new LeaderSelectorListenerAdapter() {
                public void takeLeadership(CuratorFramework c) {
                    event(obj, "leading");
                    try {
                        sem.acquire();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    } finally {
                        event(obj, "notleading");
                    }
                }
            });
            s.setId(a[5]);
            s.autoRequeue();
            objects.put(obj, s);
            return obj;
        }
        case "relinquish":
            relinquish.get(obj).release();
            return "relinquished";
        case "sharedcount": {
            SharedCount sc = new SharedCount(client(a[3]), a[4], Integer.parseInt(a[5]));
            sc.addListener(new SharedCountListener() {
                public void countHasChanged(SharedCountReader r, int n) { event(obj, "count " + n); }
                public void stateChanged(CuratorFramework c, ConnectionState s) {}
            });
            objects.put(obj, sc);
            return obj;
        }
        case "getcount": {
            VersionedValue<Integer> v = ((SharedCount) get(obj)).getVersionedValue();
            return v.getValue() + " " + v.getVersion();
        }
        case "setcount":
            ((SharedCount) get(obj)).setCount(Integer.parseInt(a[3]));
            return "set";
        case "trysetcount": {
            SharedCount sc = get(obj);
            return Boolean.toString(sc.trySetCount(sc.getVersionedValue(), Integer.parseInt(a[3])));
        }
        case "atomiclong":
            objects.put(obj, new DistributedAtomicLong(client(a[3]), a[4], new RetryNTimes(50, 20)));
            return obj;
        case "getlong": {
            AtomicValue<Long> v = ((DistributedAtomicLong) get(obj)).get();
            return v.succeeded() + " " + v.postValue();
        }
        case "addlong": {
            AtomicValue<Long> v = ((DistributedAtomicLong) get(obj)).add(Long.parseLong(a[3]));
            return v.succeeded() + " " + v.preValue() + " " + v.postValue();
        }
        case "discovery": {
            Class<?> cls = a[5].equals("typed") ? Details.class : Object.class;
            ServiceDiscovery<?> d = discovery(client(a[3]), a[4], cls);
            objects.put(obj, d);
            objects.put(obj + "#class", cls);
            return obj;
        }
        case "register": {
            ServiceDiscovery<Object> d = get(obj);
            Class<?> cls = get(obj + "#class");
            Object payload = a[7].equals("-") ? null : (Object) JSON.readValue(a[7], (Class<?>) (cls == Details.class ? Details.class : Map.class));
            ServiceInstance<Object> inst = ServiceInstance.builder().name(a[3]).id(a[4]).address(a[5])
                .port(Integer.parseInt(a[6])).payload(payload).build();
            d.registerService(inst);
            return inst.getId();
        }
        case "unregister": {
            ServiceDiscovery<Object> d = get(obj);
            for (ServiceInstance<Object> i : d.queryForInstances(a[3])) {
                if (i.getId().equals(a[4])) d.unregisterService(i);
            }
            return "unregistered";
        }
        case "instances": {
            ServiceDiscovery<Object> d = get(obj);
            List<Map<String, Object>> list = new ArrayList<>();
            for (ServiceInstance<Object> i : d.queryForInstances(a[3])) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("id", i.getId());
                m.put("address", i.getAddress());
                m.put("port", i.getPort());
                Object p = i.getPayload();
                m.put("payloadClass", p == null ? null : p.getClass().getName());
                m.put("payload", p);
                list.add(m);
            }
            list.sort((x, y) -> ((String) x.get("id")).compareTo((String) y.get("id")));
            return JSON.writeValueAsString(list);
        }
        case "queue": {
            boolean consume = a[6].equals("consume");
            QueueConsumer<String> consumer = !consume ? null : new QueueConsumer<String>() {
                public void consumeMessage(String m) { event(obj, "item " + m); }
                public void stateChanged(CuratorFramework c, ConnectionState s) {}
            };
            QueueBuilder<String> b = QueueBuilder.builder(client(a[3]), consumer, new Utf8(), a[4]);
            if (!a[5].equals("-")) b = b.lockPath(a[5]);
            b = b.putInBackground(false); // put returns once the node exists
            String kind = a.length > 7 ? a[7] : "plain";
            switch (kind) {
            case "plain": objects.put(obj, b.buildQueue()); break;
            case "priority": objects.put(obj, b.buildPriorityQueue(0)); break;
            case "delay": objects.put(obj, b.buildDelayQueue()); break;
            case "id": objects.put(obj, b.buildIdQueue()); break;
            default: throw new IllegalArgumentException("queue kind " + kind);
            }
            return obj;
        }
        case "put":
            ((DistributedQueue<String>) get(obj)).put(a[3]);
            return "put";
        case "jsonqueue": {
            QueueConsumer<Details> consumer = !a[4].equals("consume") ? null : new QueueConsumer<Details>() {
                public void consumeMessage(Details m) throws Exception { event(obj, "item " + JSON.writeValueAsString(m)); }
                public void stateChanged(CuratorFramework c, ConnectionState s) {}
            };
            QueueSerializer<Details> ser = new QueueSerializer<Details>() {
                public byte[] serialize(Details d) {
                    try { return JSON.writeValueAsBytes(d); } catch (Exception e) { throw new RuntimeException(e); }
                }
                public Details deserialize(byte[] b) {
                    try { return JSON.readValue(b, Details.class); } catch (Exception e) { throw new RuntimeException(e); }
                }
            };
            objects.put(obj, QueueBuilder.builder(client(a[3]), consumer, ser, a[5]).putInBackground(false).buildQueue());
            return obj;
        }
        case "putjson":
            ((DistributedQueue<Details>) get(obj)).put(JSON.readValue(a[3], Details.class));
            return "put";
        case "putprio":
            ((DistributedPriorityQueue<String>) get(obj)).put(a[3], Integer.parseInt(a[4]));
            return "put";
        case "putdelay":
            ((DistributedDelayQueue<String>) get(obj)).put(a[3], Long.parseLong(a[4]));
            return "put";
        case "putid":
            ((DistributedIdQueue<String>) get(obj)).put(a[3], a[4]);
            return "put";
        case "removeid":
            return Integer.toString(((DistributedIdQueue<String>) get(obj)).remove(a[3]));
        case "putmulti": {
            List<String> items = new ArrayList<>(Arrays.asList(a).subList(3, a.length));
            ((DistributedQueue<String>) get(obj)).putMulti(new MultiItem<String>() {
                public String nextItem() { return items.isEmpty() ? null : items.remove(0); }
            });
            return "put";
        }
        case "groupmember":
            objects.put(obj, new GroupMember(client(a[3]), a[4], a[5], a[6].getBytes(StandardCharsets.UTF_8)));
            return obj;
        case "members": {
            Map<String, String> out = new TreeMap<>();
            ((GroupMember) get(obj)).getCurrentMembers().forEach((k, v) -> out.put(k, new String(v, StandardCharsets.UTF_8)));
            return JSON.writeValueAsString(out);
        }
        case "setmemberdata":
            ((GroupMember) get(obj)).setThisData(a[3].getBytes(StandardCharsets.UTF_8));
            return "set";
        case "ttlnode":
            objects.put(obj, new PersistentTtlNode(client(a[3]), a[4], Long.parseLong(a[5]), a[6].getBytes(StandardCharsets.UTF_8)));
            return obj;
        case "waitcreate":
            return Boolean.toString(((PersistentTtlNode) get(obj)).waitForInitialCreate(Long.parseLong(a[3]), TimeUnit.MILLISECONDS));
        case "barrier":
            objects.put(obj, new DistributedBarrier(client(a[3]), a[4]));
            return obj;
        case "setbarrier":
            ((DistributedBarrier) get(obj)).setBarrier();
            return "set";
        case "removebarrier":
            ((DistributedBarrier) get(obj)).removeBarrier();
            return "removed";
        case "waitbarrier":
            return Boolean.toString(((DistributedBarrier) get(obj)).waitOnBarrier(Long.parseLong(a[3]), TimeUnit.MILLISECONDS));
        case "create":
            client(obj).create().creatingParentsIfNeeded().forPath(a[3], a[4].getBytes(StandardCharsets.UTF_8));
            return "created";
        case "setdata":
            client(obj).setData().forPath(a[3], a[4].getBytes(StandardCharsets.UTF_8));
            return "set";
        case "delete":
            client(obj).delete().deletingChildrenIfNeeded().forPath(a[3]);
            return "deleted";
        case "treecache": {
            TreeCache tc = TreeCache.newBuilder(client(a[3]), a[4]).build();
            CountDownLatch init = new CountDownLatch(1);
            tc.getListenable().addListener((cl, ev) -> {
                if (ev.getType() == TreeCacheEvent.Type.INITIALIZED) init.countDown();
            });
            tc.start();
            if (!init.await(30, TimeUnit.SECONDS)) throw new IllegalStateException("tree cache not initialized");
            objects.put(obj, tc);
            objects.put(obj + "#root", a[4]);
            return obj;
        }
        case "snapshot": {
            TreeCache tc = get(obj);
            Map<String, String> out = new TreeMap<>();
            snapshot(tc, (String) get(obj + "#root"), out);
            return JSON.writeValueAsString(out);
        }
        case "dbarrier":
            objects.put(obj, new DistributedDoubleBarrier(client(a[3]), a[4], Integer.parseInt(a[5])));
            return obj;
        case "enter":
            return Boolean.toString(((DistributedDoubleBarrier) get(obj)).enter(Long.parseLong(a[3]), TimeUnit.MILLISECONDS));
        case "leave":
            return Boolean.toString(((DistributedDoubleBarrier) get(obj)).leave(Long.parseLong(a[3]), TimeUnit.MILLISECONDS));
        default:
            throw new IllegalArgumentException("unknown verb " + a[1]);
        }
    }

    static void snapshot(TreeCache tc, String path, Map<String, String> out) {
        ChildData d = tc.getCurrentData(path);
        if (d == null) return;
        out.put(path, d.getData() == null ? "" : new String(d.getData(), StandardCharsets.UTF_8));
        Map<String, ChildData> kids = tc.getCurrentChildren(path);
        if (kids == null) return;
        for (String k : kids.keySet()) snapshot(tc, path.equals("/") ? "/" + k : path + "/" + k, out);
    }

    static <T> ServiceDiscovery<T> discovery(CuratorFramework c, String base, Class<T> cls) {
        return ServiceDiscoveryBuilder.builder(cls).client(c).basePath(base)
            .serializer(new JsonInstanceSerializer<>(cls)).build();
    }

    // Utf8 is the queue items' serializer: a String as its UTF-8 bytes.
    static class Utf8 implements QueueSerializer<String> {
        public byte[] serialize(String s) { return s.getBytes(StandardCharsets.UTF_8); }
        public String deserialize(byte[] b) { return new String(b, StandardCharsets.UTF_8); }
    }
}
