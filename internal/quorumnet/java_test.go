package quorumnet

import (
	"encoding/binary"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/client/clienttest"
	"github.com/zkit-go/zkit/internal/election"
	"github.com/zkit-go/zkit/internal/javatest"
	"github.com/zkit-go/zkit/internal/jute"
	"github.com/zkit-go/zkit/internal/proto"
	"github.com/zkit-go/zkit/internal/snapshot"
)

func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestJavaInterop runs a Java ZooKeeper as server.1 of a three-member
// ensemble whose members 2 and 3 are ElectionNets. It checks that Java's
// election connections and LOOKING notifications reach us, makes Java win
// by voting for it, then follows it as server 2 over a PeerConn through
// FOLLOWERINFO, LEADERINFO, ACKEPOCH, a forced SNAP (our ReadBody reads
// Java's stream), NEWLEADER and UPTODATE, until Java serves as leader.
func TestJavaInterop(t *testing.T) {
	javatest.Skip(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	require.NoError(t, javatest.WriteMyID(data, 1))

	// our two members bind their election ports first
	lns := map[int64]net.Listener{}
	eaddr := map[int64]string{}
	for _, id := range []int64{2, 3} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		lns[id], eaddr[id] = ln, ln.Addr().String()
	}
	eaddr[1] = fmt.Sprintf("127.0.0.1:%d", freePort(t))
	q1 := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	clientPort := freePort(t)
	cfgPath := filepath.Join(dir, "zoo.cfg")
	require.NoError(t, javatest.WriteConfig(cfgPath, "tickTime=500", "initLimit=20", "syncLimit=10",
		"dataDir="+data, fmt.Sprintf("clientPort=%d", clientPort), "clientPortAddress=127.0.0.1",
		"admin.enableServer=false", "4lw.commands.whitelist=*",
		fmt.Sprintf("server.1=%s:%s", q1, portOf(eaddr[1])),
		fmt.Sprintf("server.2=127.0.0.1:%d:%s", freePort(t), portOf(eaddr[2])),
		fmt.Sprintf("server.3=127.0.0.1:%d:%s", freePort(t), portOf(eaddr[3]))))

	nets := map[int64]*ElectionNet{}
	for _, id := range []int64{2, 3} {
		peers := map[int64]string{}
		for pid, a := range eaddr {
			if pid != id {
				peers[pid] = a
			}
		}
		ln := lns[id]
		n := NewElectionNet(ElectionConfig{MyID: id, ListenAddr: eaddr[id], Peers: peers,
			Listen: func(string, string) (net.Listener, error) { return ln, nil }, Logger: testLogger().With("net", id)})
		require.NoError(t, n.Start())
		nets[id] = n
		defer n.Close()
	}

	java, err := javatest.StartServer(cfgPath, filepath.Join(dir, "server.log"), []string{"-Dzookeeper.forceSnapshotSync=true"})
	require.NoError(t, err)
	defer func() {
		java.Stop()
		if t.Failed() {
			t.Logf("java log:\n%s", java.Log())
		}
	}()

	// 1. Java connects (to the larger sids: it hands over with a
	// handshake, we connect back) and sends LOOKING votes for itself.
	var first election.Notification
	deadline := time.After(scale(60 * time.Second))
	for got := map[int64]bool{}; len(got) < 2; {
		for id, n := range nets {
			select {
			case m := <-n.Recv():
				nt, err := election.DecodeNotification(m.Msg)
				require.NoError(t, err)
				require.Equal(t, int64(1), m.From)
				if nt.State == election.Looking {
					first = nt
					got[id] = true
				}
			case <-deadline:
				t.Fatal("no LOOKING notification from java")
			case <-time.After(10 * time.Millisecond): // poll the other net
			}
		}
	}
	assert.Equal(t, int64(1), first.Leader)
	assert.Equal(t, int32(2), first.Version)
	assert.Contains(t, string(first.Config), "server.2=127.0.0.1:")
	assert.True(t, nets[2].Connected(1) && nets[3].Connected(1))

	// 2. Vote for Java from 2 and 3 until it announces LEADING.
	vote := election.AppendNotification(nil, election.Notification{State: election.Looking, Leader: 1,
		Zxid: first.Zxid, ElectionEpoch: first.ElectionEpoch, PeerEpoch: first.PeerEpoch, Config: first.Config})
	leading := false
	for !leading {
		nets[2].Send(1, vote)
		nets[3].Send(1, vote)
		select {
		case m := <-nets[2].Recv():
			nt, err := election.DecodeNotification(m.Msg)
			require.NoError(t, err)
			leading = nt.State == election.Leading && nt.Leader == 1
		case <-deadline:
			t.Fatal("java did not lead")
		case <-time.After(200 * time.Millisecond): // resend, as FLE does on its timeout
		}
	}

	// 3. Follow Java as server 2 over the quorum port.
	var pc *PeerConn
	require.Eventually(t, func() bool {
		pc, err = DialLeader(q1, nil, time.Second)
		return err == nil
	}, scale(30*time.Second), 50*time.Millisecond, "java quorum port")
	defer pc.Close()
	pc.SetReadTimeout(scale(20 * time.Second))
	li := jute.Marshal(&proto.LearnerInfo{ServerID: 2, ProtocolVersion: 0x10000, ConfigVersion: 0})
	require.NoError(t, pc.Send(proto.QuorumPacket{Type: typeFollowerInfo, Zxid: 0, Data: li}))
	qp, err := pc.Recv()
	require.NoError(t, err)
	require.Equal(t, int32(typeLeaderInfo), qp.Type, "%+v", qp)
	newEpoch := qp.Zxid >> 32
	assert.Equal(t, int64(1), newEpoch)
	assert.Equal(t, []byte{0, 1, 0, 0}, qp.Data)
	require.NoError(t, pc.Send(proto.QuorumPacket{Type: typeAckEpoch, Zxid: 0, Data: binary.BigEndian.AppendUint32(nil, 0)}))

	qp, err = pc.Recv()
	require.NoError(t, err)
	require.Equal(t, int32(typeSnap), qp.Type, "%+v", qp)
	tree := snapshot.NewMemTree()
	require.NoError(t, pc.RecvSnapshot(tree))
	assert.Contains(t, tree.Nodes, "/zookeeper/quota")
	assert.Contains(t, tree.Nodes, "/zookeeper/config")
	t.Logf("SNAP at 0x%x from java: %d nodes, %d sessions, %d ACLs", qp.Zxid, len(tree.Nodes), len(tree.Sessions), len(tree.ACL))

	qp, err = pc.Recv()
	require.NoError(t, err)
	require.Equal(t, int32(typeNewLeader), qp.Type, "%+v", qp)
	assert.Equal(t, newEpoch<<32, qp.Zxid)
	assert.Contains(t, string(qp.Data), "server.1=")
	require.NoError(t, pc.Send(proto.QuorumPacket{Type: typeAck, Zxid: newEpoch << 32}))

	for {
		qp, err = pc.Recv()
		require.NoError(t, err)
		if qp.Type == typeUpToDate {
			break
		}
		if qp.Type == typePing {
			require.NoError(t, pc.Send(proto.QuorumPacket{Type: typePing, Zxid: qp.Zxid, Data: []byte{}}))
		}
	}
	require.NoError(t, pc.Send(proto.QuorumPacket{Type: typeAck, Zxid: newEpoch << 32}))

	// 4. Answer pings and ack proposals (reporting them) while a client
	// writes through Java: PROPOSAL, our ACK, COMMIT.
	stop := make(chan struct{})
	proposals := make(chan proto.QuorumPacket, 16)
	pinger := make(chan error, 1)
	go func() {
		for {
			qp, err := pc.Recv()
			if err != nil {
				select {
				case <-stop:
					pinger <- nil
				default:
					pinger <- err
				}
				return
			}
			switch qp.Type {
			case typePing:
				err = pc.Send(proto.QuorumPacket{Type: typePing, Zxid: qp.Zxid, Data: []byte{}})
			case typeProposal:
				err = pc.Send(proto.QuorumPacket{Type: typeAck, Zxid: qp.Zxid})
				proposals <- qp
			case typeCommit:
				proposals <- qp
			}
			if err != nil {
				pinger <- err
				return
			}
		}
	}()
	addr := fmt.Sprintf("127.0.0.1:%d", clientPort)
	require.Eventually(t, func() bool {
		return strings.Contains(clienttest.FourLetter(addr, "srvr"), "Mode: leader")
	}, scale(30*time.Second), 50*time.Millisecond, "java serving as leader")
	c := clienttest.Dial(t, addr)
	_, err = c.Create(clienttest.Ctx(t), "/via-go-follower", []byte("x"), 0, proto.OpenACLUnsafe)
	require.NoError(t, err)
	prop, commit := <-proposals, <-proposals
	assert.Equal(t, int32(typeProposal), prop.Type)
	assert.Equal(t, int32(typeCommit), commit.Type)
	assert.Equal(t, prop.Zxid, commit.Zxid)
	assert.Equal(t, newEpoch, prop.Zxid>>32)
	close(stop)
	pc.Close()
	require.NoError(t, <-pinger)
}

func portOf(addr string) string {
	_, p, _ := net.SplitHostPort(addr)
	return p
}
