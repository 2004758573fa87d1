package engine_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/client"
	"github.com/zkit-go/zkit/internal/client/clienttest"
	"github.com/zkit-go/zkit/internal/proto"
	zktesting "github.com/zkit-go/zkit/testing"
)

// resumeOutcome is what a client observes of resumeScenario.
type resumeOutcome struct {
	OldClosed   bool   // the server closed the first connection on the resume
	ReadOnNew   string // the read on the second connection
	WriteOnNew  error  // a write on the second connection afterwards
	FinalData   string
	NoMovedCode bool // nothing was answered with SESSIONMOVED (-118)
}

// resumeScenario runs, against the server at addr, a resume on a second
// connection while the first has just sent a setData: it waits until the
// server has received the setData (cons shows it as the connection's last
// op), then resumes and reads on the second connection.
func resumeScenario(t *testing.T, addr, path string) resumeOutcome {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), zktesting.Scale(30*time.Second))
	defer cancel()
	var out resumeOutcome
	a := clienttest.Dial(t, addr)
	_, err := a.Create(ctx, path, []byte("old"), proto.FlagPersistent, proto.OpenACLUnsafe)
	require.NoError(t, err)
	set := asyncSet(ctx, a, path, []byte("new"))
	sid := fmt.Sprintf("sid=0x%x,lop=SETD", a.SessionID())
	zktesting.Eventually(t, 10*time.Second, func() bool {
		return strings.Contains(clienttest.FourLetter(addr, "cons"), sid)
	}, "the server received the setData")

	b := clienttest.Dial(t, addr, client.WithSession(a.SessionID(), a.Passwd()))
	select {
	case <-a.Done():
		out.OldClosed = true
	case <-ctx.Done():
	}
	setErr := <-set
	data, _, err := b.GetData(ctx, path, false)
	require.NoError(t, err)
	out.ReadOnNew = string(data)
	_, out.WriteOnNew = b.SetData(ctx, path, []byte("newer"), -1)
	data, _, err = b.GetData(ctx, path, false)
	require.NoError(t, err)
	out.FinalData = string(data)
	out.NoMovedCode = !errors.Is(setErr, proto.ErrSessionMoved) && !errors.Is(out.WriteOnNew, proto.ErrSessionMoved)
	return out
}

// A standalone server, zkit's and Java 3.8's, given the same packets: a
// resume on the same server closes the old connection, does not fence its
// write in flight (one server is one owner: no SESSIONMOVED), and the
// second connection reads that write.
func TestResumeStandaloneMatchesJava(t *testing.T) {
	want := resumeOutcome{OldClosed: true, ReadOnNew: "new", FinalData: "newer", NoMovedCode: true}
	zk := zktesting.StartServer(t)
	assert.Equal(t, want, resumeScenario(t, zk.Addr(), "/resume"), "zkit")

	if testing.Short() {
		t.Skip("java comparison skipped in -short mode")
	}
	java, err := clienttest.StartJavaServer(t.TempDir())
	if errors.Is(err, clienttest.ErrNoJava) {
		t.Skip("java zookeeper not installed (/usr/share/java/zookeeper.jar): zkit side only")
	}
	require.NoError(t, err)
	defer java.Stop()
	assert.Equal(t, want, resumeScenario(t, java.Addr, "/resume"), "java")
}
