// Oracle applies txns with Java ZooKeeper's own DataTree and prints the
// tree in the form of the Go test's dump. Input: int count, then per txn an
// int length and a log entry (TxnHeader, record).
import java.io.*;
import java.util.*;
import org.apache.zookeeper.data.*;
import org.apache.zookeeper.server.*;
import org.apache.zookeeper.server.util.SerializeUtils;

public class Oracle {
    static String hex(byte[] b) {
        if (b == null) return "";
        StringBuilder sb = new StringBuilder();
        for (byte x : b) sb.append(String.format("%02x", x & 0xff));
        return sb.toString();
    }

    static String q(String s) {
        return "\"" + s + "\"";
    }

    static void walk(DataTree dt, String path, PrintStream out) throws Exception {
        DataNode n = dt.getNode(path);
        if (n == null) return;
        StatPersisted s = n.stat;
        String lp = path.isEmpty() ? "/" : path;
        Stat st = new Stat();
        List<ACL> acl = dt.getACL(lp, st);
        StringBuilder a = new StringBuilder("[");
        for (int i = 0; i < acl.size(); i++) {
            if (i > 0) a.append(",");
            a.append(acl.get(i).getPerms()).append(":").append(acl.get(i).getId().getScheme()).append(":").append(acl.get(i).getId().getId());
        }
        a.append("]");
        byte[] data = n.getData();
        out.println("node " + q(path) + " " + s.getCzxid() + " " + s.getMzxid() + " " + s.getCtime() + " " + s.getMtime() + " "
            + s.getVersion() + " " + s.getCversion() + " " + s.getAversion() + " " + s.getEphemeralOwner() + " " + s.getPzxid()
            + " data=" + hex(data) + " nil=" + (data == null) + " acl=" + a
            + " client=" + st.getCversion() + "/" + st.getEphemeralOwner() + "/" + st.getDataLength() + "/" + st.getNumChildren());
        List<String> kids = new ArrayList<>(n.getChildren());
        Collections.sort(kids);
        for (String k : kids) walk(dt, path + "/" + k, out);
    }

    public static void main(String[] args) throws Exception {
        DataInputStream in = new DataInputStream(new BufferedInputStream(new FileInputStream(args[0])));
        PrintStream out = new PrintStream(new FileOutputStream(args[1]));
        DataTree dt = new DataTree();
        int n = in.readInt();
        for (int i = 0; i < n; i++) {
            byte[] b = new byte[in.readInt()];
            in.readFully(b);
            TxnLogEntry e = SerializeUtils.deserializeTxn(b);
            DataTree.ProcessTxnResult r = dt.processTxn(e.getHeader(), e.getTxn());
            StringBuilder sb = new StringBuilder("txn " + r.err);
            if (r.multiResult != null) {
                sb.append(" [");
                for (int j = 0; j < r.multiResult.size(); j++) {
                    if (j > 0) sb.append(",");
                    sb.append(r.multiResult.get(j).type).append(":").append(r.multiResult.get(j).err);
                }
                sb.append("]");
            }
            sb.append(" digest ").append(dt.getTreeDigest());
            out.println(sb);
        }
        walk(dt, "", out);
        Map<Long, Set<String>> eph = dt.getEphemerals();
        List<Long> ids = new ArrayList<>(eph.keySet());
        Collections.sort(ids);
        for (Long id : ids) {
            List<String> ps = new ArrayList<>(eph.get(id));
            Collections.sort(ps);
            out.println("ephemerals " + id + " " + String.join(",", ps));
        }
        out.println("count " + dt.getNodeCount() + " size " + dt.cachedApproximateDataSize() + " digest " + dt.getTreeDigest());
        out.close();
    }
}
