package quorumauth

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPacketBytes(t *testing.T) {
	cases := []struct {
		name string
		p    Packet
		hex  string
	}{
		{"first learner packet", NewPacket(InProgress, []byte{}), "5f2435013501edcc" + "00000000" + "00000000"},
		{"null token", NewPacket(InProgress, nil), "5f2435013501edcc" + "00000000" + "ffffffff"},
		{"success", NewPacket(Success, []byte("ab")), "5f2435013501edcc" + "00000001" + "00000002" + "6162"},
		{"error", NewPacket(Error, []byte{}), "5f2435013501edcc" + "ffffffff" + "00000000"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := AppendPacket(nil, c.p)
			assert.Equal(t, c.hex, hex.EncodeToString(b))
			got, err := ReadPacket(bytes.NewReader(b))
			require.NoError(t, err)
			assert.Equal(t, c.p, got)
			assert.True(t, StartsWithMagic(b))
		})
	}
	// Java's -0xa0dbcafecafe1234L, computed as Java does in 64 bits.
	var lit uint64 = 0xa0dbcafecafe1234
	assert.Equal(t, -int64(lit), Magic)
}

func TestReadPacketBad(t *testing.T) {
	head := "5f2435013501edcc00000000"
	for name, h := range map[string]string{
		"negative length": head + "fffffffe",
		"huge length":     head + "7fffffff",
	} {
		b, _ := hex.DecodeString(h)
		_, err := ReadPacket(bytes.NewReader(b))
		assert.ErrorIs(t, err, ErrTokenSize, name)
	}
	b, _ := hex.DecodeString(head + "00000004" + "6162")
	_, err := ReadPacket(bytes.NewReader(b))
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
	_, err = ReadPacket(bytes.NewReader(b[:5]))
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
}

func TestStartsWithMagic(t *testing.T) {
	hs, _ := hex.DecodeString("ffffffffffff0000") // election handshake V1
	qp, _ := hex.DecodeString("0000000b00000000") // FOLLOWERINFO
	assert.False(t, StartsWithMagic(hs))
	assert.False(t, StartsWithMagic(qp))
	assert.False(t, StartsWithMagic([]byte{0x5f}))
}

// script mechanisms: each step checks its input and answers from a list.
type step struct {
	in   string
	out  []byte
	done bool
	err  error
}

type scripted struct {
	t     *testing.T
	steps []step
}

func (s *scripted) Step(in []byte) ([]byte, bool, error) {
	require.NotEmpty(s.t, s.steps, "unexpected step %q", in)
	st := s.steps[0]
	s.steps = s.steps[1:]
	assert.Equal(s.t, st.in, string(in))
	return st.out, st.done, st.err
}

// run drives a learner and a server against each other through encoded
// packets, as quorumnet does.
func run(t *testing.T, l *Learner, s *Server) (learner, server Outcome, lerr, serr error) {
	first, err := l.Start()
	require.NoError(t, err)
	wire := AppendPacket(nil, first)
	out, err := s.Begin(StartsWithMagic(wire))
	require.NoError(t, err)
	require.Equal(t, Continue, out)
	for i := 0; i < 10; i++ {
		p, err := ReadPacket(bytes.NewReader(wire))
		require.NoError(t, err)
		reply, sout, serr := s.Step(p)
		if reply == nil {
			return Continue, sout, nil, serr
		}
		p, err = ReadPacket(bytes.NewReader(AppendPacket(nil, *reply)))
		require.NoError(t, err)
		lreply, lout, lerr := l.Step(p)
		if lout != Continue || sout != Continue {
			return lout, sout, lerr, serr
		}
		require.NotNil(t, lreply)
		wire = AppendPacket(nil, *lreply)
	}
	t.Fatal("exchange does not end")
	return
}

func TestExchange(t *testing.T) {
	lm := &scripted{t: t, steps: []step{
		{in: "challenge", out: []byte("response")},
		{in: "rspauth", done: true},
	}}
	sm := &scripted{t: t, steps: []step{
		{in: "", out: []byte("challenge")},
		{in: "response", out: []byte("rspauth"), done: true},
	}}
	lo, so, lerr, serr := run(t, NewLearner(lm), NewServer(sm, true))
	require.NoError(t, lerr)
	require.NoError(t, serr)
	assert.Equal(t, Authenticated, lo)
	assert.Equal(t, Authenticated, so)
	assert.Empty(t, lm.steps)
	assert.Empty(t, sm.steps)
}

func TestExchangeBadPassword(t *testing.T) {
	bad := errors.New("digest mismatch")
	for _, required := range []bool{true, false} {
		lm := &scripted{t: t, steps: []step{{in: "challenge", out: []byte("response")}}}
		sm := &scripted{t: t, steps: []step{
			{in: "", out: []byte("challenge")},
			{in: "response", err: bad},
		}}
		lo, so, lerr, serr := run(t, NewLearner(lm), NewServer(sm, required))
		assert.ErrorIs(t, serr, bad)
		assert.ErrorIs(t, lerr, ErrRejected, "the learner reads ERROR")
		assert.Equal(t, Rejected, lo)
		if required {
			assert.Equal(t, Rejected, so)
		} else {
			assert.Equal(t, Unauthenticated, so, "Java keeps the connection when auth is not required")
		}
	}
}

func TestServerBegin(t *testing.T) {
	out, err := NewServer(&scripted{t: t}, true).Begin(false)
	assert.Equal(t, Rejected, out)
	assert.ErrorIs(t, err, ErrNotAuthenticating)
	out, err = NewServer(&scripted{t: t}, false).Begin(false)
	assert.Equal(t, Unauthenticated, out)
	assert.NoError(t, err)
}

func TestServerFail(t *testing.T) {
	reply, out := NewServer(&scripted{t: t}, true).Fail()
	assert.Equal(t, Rejected, out)
	assert.Equal(t, NewPacket(Error, []byte{}), *reply)
	_, out = NewServer(&scripted{t: t}, false).Fail()
	assert.Equal(t, Unauthenticated, out)
}

func TestServerRounds(t *testing.T) {
	var steps []step
	for i := 0; i <= MaxRounds; i++ {
		steps = append(steps, step{in: "", out: []byte("more")})
	}
	s := NewServer(&scripted{t: t, steps: steps}, true)
	for i := 0; i < MaxRounds; i++ {
		reply, out, err := s.Step(NewPacket(InProgress, []byte{}))
		require.NoError(t, err)
		require.Equal(t, Continue, out)
		require.Equal(t, InProgress, reply.Status)
	}
	reply, out, err := s.Step(NewPacket(InProgress, []byte{}))
	assert.ErrorIs(t, err, ErrRounds)
	assert.Equal(t, Rejected, out)
	assert.Equal(t, Error, reply.Status)
	_, out, err = s.Step(NewPacket(InProgress, []byte{}))
	assert.Equal(t, Rejected, out)
	assert.ErrorIs(t, err, ErrProtocol)
}

func TestServerSuccessTokenNeverNull(t *testing.T) {
	s := NewServer(&scripted{t: t, steps: []step{{in: "x", done: true}}}, true)
	reply, out, err := s.Step(NewPacket(InProgress, []byte("x")))
	require.NoError(t, err)
	assert.Equal(t, Authenticated, out)
	assert.NotNil(t, reply.Token)
}

func TestLearnerBadReplies(t *testing.T) {
	cases := []struct {
		name  string
		steps []step
		p     Packet
		want  error
	}{
		{"error status", nil, NewPacket(Error, []byte{}), ErrRejected},
		{"unknown status", nil, NewPacket(7, []byte{}), ErrProtocol},
		{"null token", nil, NewPacket(InProgress, nil), ErrProtocol},
		{"no magic", nil, Packet{Magic: 1, Status: InProgress, Token: []byte{}}, ErrBadMagic},
		{"response after success", []step{{in: "x", out: []byte("y"), done: true}}, NewPacket(Success, []byte("x")), ErrProtocol},
		{"success too early", []step{{in: "x"}}, NewPacket(Success, []byte("x")), ErrProtocol},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := NewLearner(&scripted{t: t, steps: c.steps})
			_, err := l.Start()
			require.NoError(t, err)
			reply, out, err := l.Step(c.p)
			assert.Nil(t, reply)
			assert.Equal(t, Rejected, out)
			assert.ErrorIs(t, err, c.want)
		})
	}
	_, out, err := NewLearner(&scripted{t: t}).Step(NewPacket(InProgress, []byte{}))
	assert.Equal(t, Rejected, out)
	assert.ErrorIs(t, err, ErrProtocol, "a packet before Start")
}
