package engine_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/client/clienttest"
	"github.com/zkit-go/zkit/internal/engine"
	"github.com/zkit-go/zkit/internal/jute"
	"github.com/zkit-go/zkit/internal/proto"
	"github.com/zkit-go/zkit/internal/statemachine"
	zktesting "github.com/zkit-go/zkit/testing"
)

// rawRecordingLog is a TxnLog that takes prep's encoding as is, as
// zkdb.DB does, and records what it was given.
type rawRecordingLog struct {
	mu      sync.Mutex
	entries [][]byte
	synced  int
}

func (l *rawRecordingLog) Append(*proto.TxnHeader, jute.Record, *proto.TxnDigest) error {
	panic("a log with AppendRaw gets prep's encoding, not a record to encode again")
}

func (l *rawRecordingLog) AppendRaw(zxid int64, entry []byte) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries = append(l.entries, entry)
	return nil
}

func (l *rawRecordingLog) Sync() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.synced = len(l.entries)
	return nil
}

// A standalone engine's local log (its Replicator) writes the entry
// encoded once at prep, syncs before anything is answered, and the
// committed state (tree and committed sessions) shows what it logged.
func TestStandaloneLogWritesPrepsEncoding(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), zktesting.Scale(30*time.Second))
	defer cancel()
	log := &rawRecordingLog{}
	e, addr := startEngine(t, engine.Config{Log: log})
	c := clienttest.Dial(t, addr)
	_, err := c.Create(ctx, "/n", []byte("v"), proto.FlagPersistent, proto.OpenACLUnsafe)
	require.NoError(t, err)

	log.mu.Lock()
	entries, synced := append([][]byte(nil), log.entries...), log.synced
	log.mu.Unlock()
	require.Len(t, entries, 2, "createSession and create")
	require.Equal(t, 2, synced, "both synced before the create was answered")
	session, err := statemachine.Decode(entries[0])
	require.NoError(t, err)
	assert.Equal(t, proto.OpCreateSession, session.Hdr.Type)
	assert.Equal(t, c.SessionID(), session.Hdr.ClientID)
	create, err := statemachine.Decode(entries[1])
	require.NoError(t, err)
	require.Equal(t, proto.OpCreate, create.Hdr.Type)
	assert.Equal(t, "/n", create.Record.(*proto.CreateTxn).Path)

	sessions, zxid := e.SnapshotState()
	assert.Contains(t, sessions, c.SessionID())
	assert.Equal(t, create.Hdr.Zxid, zxid)
}
