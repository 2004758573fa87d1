package clienttest

import (
	"fmt"
	"path/filepath"
	"strconv"
	"time"

	"github.com/zkit-go/zkit/internal/javatest"
	"github.com/zkit-go/zkit/internal/members"
)

// JavaMemberPorts are a member's loopback ports, picked before it starts
// (so clients can list its address before it exists).
type JavaMemberPorts struct {
	Client, Quorum, Election int
}

// ServerSpec is member id's line on these ports, as StartJavaEnsemble and
// StartJavaJoiner write it: a participant on 127.0.0.1 with its client
// address.
func (p JavaMemberPorts) ServerSpec(id int64) string {
	return members.Member{ID: id, Host: "127.0.0.1", QuorumPort: p.Quorum, ElectionPort: p.Election,
		ClientAddr: "127.0.0.1:" + strconv.Itoa(p.Client)}.Format()
}

// FreeMemberPorts picks a member's three ports below the ephemeral range.
func FreeMemberPorts() (JavaMemberPorts, error) {
	var p [3]int
	for i := range p {
		n, err := freePort()
		if err != nil {
			return JavaMemberPorts{}, err
		}
		p[i] = n
	}
	return JavaMemberPorts{Client: p[0], Quorum: p[1], Election: p[2]}, nil
}

// StartJavaJoiner starts a Java member that joins a running ensemble by
// reconfig, as ZooKeeper's documentation describes: its zoo.cfg (in
// dir/zoo.cfg, data in dir/data) has reconfigEnabled=true and a dynamic
// file holding members (the ensemble's "server.N=..." lines) and its own
// line; the ensemble's leader lets it sync, and it serves as a follower
// until a "reconfig -add" of its line makes it a voter. extra lines go
// into zoo.cfg (the superDigest, say). It waits until the member serves.
func StartJavaJoiner(dir string, id int64, ports JavaMemberPorts, members []string, jvmFlags []string, extra ...string) (*JavaMember, error) {
	if err := javatest.Installed(); err != nil {
		return nil, err
	}
	m := &JavaMember{
		ID:           id,
		Addr:         "127.0.0.1:" + strconv.Itoa(ports.Client),
		QuorumPort:   ports.Quorum,
		ElectionPort: ports.Election,
		dir:          dir,
		cfgPath:      filepath.Join(dir, "zoo.cfg"),
		jvmFlags:     jvmFlags,
	}
	if _, err := javatest.WriteJoinerConfig(dir, id, members, m.ServerSpec(), extra...); err != nil {
		return nil, err
	}
	if err := m.launch(); err != nil {
		return nil, err
	}
	if err := waitServing(m.Addr, Scale(90*time.Second)); err != nil {
		m.Stop()
		return nil, fmt.Errorf("clienttest: java joiner %d did not start; see %s: %w", id, m.LogPath(), err)
	}
	return m, nil
}
