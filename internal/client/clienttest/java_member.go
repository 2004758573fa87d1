package clienttest

import (
	"path/filepath"
	"time"

	"github.com/zkit-go/zkit/internal/javatest"
)

// StartJavaMember launches one Java ZooKeeper member of a mixed zkit +
// Java ensemble on a zoo.cfg the caller wrote (its dataDir holding myid;
// the member's directory is cfgPath's, where server.log goes). addr is the
// member's client address, for Mode and WaitServing. It does not wait:
// the member may need zkit members to form a quorum. Stop it with Stop;
// Start runs it again on the same files. It returns ErrNoJava when the jar
// is absent.
func StartJavaMember(id int64, addr, cfgPath string, jvmFlags []string) (*JavaMember, error) {
	if err := javatest.Installed(); err != nil {
		return nil, err
	}
	m := &JavaMember{ID: id, Addr: addr, dir: filepath.Dir(cfgPath), cfgPath: cfgPath, jvmFlags: jvmFlags}
	if err := m.launch(); err != nil {
		return nil, err
	}
	return m, nil
}

// WaitServing waits up to d (scaled) until the member serves clients.
func (m *JavaMember) WaitServing(d time.Duration) error { return waitServing(m.Addr, Scale(d)) }
