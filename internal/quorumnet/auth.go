package quorumnet

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/zkit-go/zkit/internal/quorumauth"
)

// Auth is quorum SASL (quorum.auth.enableSasl=true): how this server
// proves itself when it connects (as a learner) and checks those who
// connect to it (as a server). See package quorumauth for the exchange.
type Auth struct {
	// LearnerRequired is quorum.auth.learnerRequireSasl: authenticate when
	// connecting. False: connect without a word (Java skips too).
	LearnerRequired bool
	// ServerRequired is quorum.auth.serverRequireSasl: refuse peers that
	// do not authenticate or fail to. False: let them through.
	ServerRequired bool
	// NewLearner returns a fresh client mechanism (the JAAS QuorumLearner
	// section's credentials) for the server at host (its host as the
	// configuration writes it: Kerberos asks a ticket for
	// quorum.auth.kerberos.servicePrincipal with _HOST replaced by it);
	// needed when LearnerRequired. A mechanism that is an io.Closer is
	// closed when the exchange ends.
	NewLearner func(host string) (quorumauth.LearnerMechanism, error)
	// NewServer returns a fresh server mechanism (the JAAS QuorumServer
	// section's users or keytab). One with a SetPeer(net.IP) method is
	// given the learner's address; an io.Closer is closed at the end.
	NewServer func() (quorumauth.ServerMechanism, error)
}

// ErrAuth reports a failed quorum SASL exchange.
var ErrAuth = errors.New("quorumnet: quorum SASL authentication failed")

// authAsLearner runs the learner side on c (already connected, TLS done)
// within timeout, against the server at addr (host:port as configured).
// br reads c; bytes the server sends after its SUCCESS stay buffered in
// it for the protocol.
func (a *Auth) authAsLearner(c net.Conn, br *bufio.Reader, timeout time.Duration, addr string) error {
	if a == nil || !a.LearnerRequired {
		return nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	mech, err := a.NewLearner(host)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrAuth, err)
	}
	if closer, ok := mech.(io.Closer); ok {
		defer closer.Close()
	}
	_ = c.SetDeadline(time.Now().Add(timeout))
	defer c.SetDeadline(time.Time{})
	l := quorumauth.NewLearner(mech)
	first, err := l.Start()
	if err != nil {
		return fmt.Errorf("%w: to %s: %w", ErrAuth, c.RemoteAddr(), err)
	}
	out := quorumauth.AppendPacket(nil, first)
	for {
		if _, err := c.Write(out); err != nil {
			return fmt.Errorf("%w: send to %s: %w", ErrAuth, c.RemoteAddr(), err)
		}
		p, err := quorumauth.ReadPacket(br)
		if err != nil {
			return fmt.Errorf("%w: from %s: %w", ErrAuth, c.RemoteAddr(), err)
		}
		reply, outcome, err := l.Step(p)
		switch outcome {
		case quorumauth.Authenticated:
			return nil
		case quorumauth.Continue:
			out = quorumauth.AppendPacket(out[:0], *reply)
		default:
			return fmt.Errorf("%w: against %s: %w", ErrAuth, c.RemoteAddr(), err)
		}
	}
}

// authAsServer runs the server side on c within timeout, reading through
// br (whose buffered bytes after the exchange belong to the protocol). It
// returns whether the peer authenticated, or an error when it must be
// refused. With a nil Auth (quorum SASL disabled) it reads nothing.
func (a *Auth) authAsServer(c net.Conn, br *bufio.Reader, timeout time.Duration) (bool, error) {
	if a == nil {
		return false, nil
	}
	_ = c.SetDeadline(time.Now().Add(timeout))
	defer c.SetDeadline(time.Time{})
	mech, merr := a.newServerMech()
	if closer, ok := mech.(io.Closer); ok {
		defer closer.Close()
	}
	if p, ok := mech.(peerAware); ok {
		if ta, ok := c.RemoteAddr().(*net.TCPAddr); ok {
			p.SetPeer(ta.IP)
		}
	}
	s := quorumauth.NewServer(mech, a.ServerRequired)
	first, err := br.Peek(8)
	if err != nil {
		// Java's nextPacketIsAuth fails the same way (EOF, or the socket
		// timeout of a peer with nothing to say) and, when SASL is not
		// required, keeps the connection without a word.
		if !a.ServerRequired {
			return false, nil
		}
		return false, fmt.Errorf("%w: from %s: %w", ErrAuth, c.RemoteAddr(), err)
	}
	outcome, err := s.Begin(quorumauth.StartsWithMagic(first))
	if outcome == quorumauth.Continue && merr != nil {
		reply, o := s.Fail()
		_, _ = c.Write(quorumauth.AppendPacket(nil, *reply))
		outcome, err = o, merr
	}
	var buf []byte
	for outcome == quorumauth.Continue {
		var p quorumauth.Packet
		if p, err = quorumauth.ReadPacket(br); err != nil {
			reply, o := s.Fail()
			_, _ = c.Write(quorumauth.AppendPacket(buf[:0], *reply))
			outcome = o
			break
		}
		var reply *quorumauth.Packet
		reply, outcome, err = s.Step(p)
		if reply != nil {
			buf = quorumauth.AppendPacket(buf[:0], *reply)
			if _, werr := c.Write(buf); werr != nil && outcome != quorumauth.Rejected {
				outcome, err = quorumauth.Rejected, werr
			}
		}
	}
	switch outcome {
	case quorumauth.Authenticated:
		return true, nil
	case quorumauth.Unauthenticated:
		return false, nil
	}
	return false, fmt.Errorf("%w: learner %s: %w", ErrAuth, c.RemoteAddr(), err)
}

// peerAware is a server mechanism that checks the learner's address
// (GSSAPI: a ticket that lists addresses must list it).
type peerAware interface{ SetPeer(net.IP) }

func (a *Auth) newServerMech() (quorumauth.ServerMechanism, error) {
	if a.NewServer == nil {
		return nil, errors.New("no QuorumServer credentials")
	}
	return a.NewServer()
}
