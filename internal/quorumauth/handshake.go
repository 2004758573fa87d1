package quorumauth

import "fmt"

// ServerMechanism is the server side of a SASL mechanism: it takes the
// learner's response and returns the next challenge (internal/sasl's
// DigestServer).
type ServerMechanism interface {
	Step(response []byte) (challenge []byte, done bool, err error)
}

// LearnerMechanism is the client side of a SASL mechanism (internal/sasl's
// DigestClient or GSSAPIClient). DIGEST-MD5 has no initial response;
// GSSAPI has one (see InitialResponder).
type LearnerMechanism interface {
	Step(challenge []byte) (response []byte, done bool, err error)
}

// Outcome is where an exchange stands.
type Outcome int

// Outcomes.
const (
	// Continue: write the reply (if any) and read the next packet.
	Continue Outcome = iota
	// Authenticated: the peer proved who it is; go on with the protocol.
	Authenticated
	// Unauthenticated: the server lets the peer through without proof
	// (serverRequireSasl=false); go on with the protocol.
	Unauthenticated
	// Rejected: write the reply (if any), then close the connection.
	Rejected
)

func (o Outcome) String() string {
	switch o {
	case Continue:
		return "continue"
	case Authenticated:
		return "authenticated"
	case Unauthenticated:
		return "unauthenticated"
	case Rejected:
		return "rejected"
	}
	return fmt.Sprintf("outcome(%d)", int(o))
}

// Server is SaslQuorumAuthServer for one connection.
type Server struct {
	mech     ServerMechanism
	required bool
	rounds   int
	ended    bool
}

// NewServer returns the server side of one exchange; required is
// quorum.auth.serverRequireSasl.
func NewServer(mech ServerMechanism, required bool) *Server {
	return &Server{mech: mech, required: required}
}

// Begin takes whether the connection's first 8 bytes carry the magic. With
// them the outcome is Continue; without, the peer is let through
// (Unauthenticated) or, when authentication is required, Rejected with
// ErrNotAuthenticating (no reply: Java sends none).
func (s *Server) Begin(isAuth bool) (Outcome, error) {
	if isAuth {
		return Continue, nil
	}
	s.ended = true
	if s.required {
		return Rejected, ErrNotAuthenticating
	}
	return Unauthenticated, nil
}

// Step takes one learner packet and returns the reply to write and the
// outcome. The packet's status and magic are not looked at (Java does
// not). A mechanism error ends the exchange as Fail does.
func (s *Server) Step(p Packet) (*Packet, Outcome, error) {
	if s.ended {
		return nil, Rejected, fmt.Errorf("%w: exchange already over", ErrProtocol)
	}
	challenge, done, err := s.mech.Step(p.Token)
	if err != nil {
		reply, out := s.Fail()
		return reply, out, err
	}
	if done {
		s.ended = true
		if challenge == nil {
			challenge = []byte{} // a learner fails on a null token
		}
		reply := NewPacket(Success, challenge)
		return &reply, Authenticated, nil
	}
	s.rounds++
	if s.rounds > MaxRounds {
		s.ended = true
		reply := NewPacket(Error, challenge)
		return &reply, Rejected, ErrRounds
	}
	reply := NewPacket(InProgress, challenge)
	return &reply, Continue, nil
}

// Fail ends the exchange after an error (I/O, decoding, mechanism): the
// reply is ERROR with an empty token, and the outcome Rejected when
// authentication is required, else Unauthenticated (Java keeps the
// connection; the learner gives up on its side when it reads ERROR).
func (s *Server) Fail() (*Packet, Outcome) {
	s.ended = true
	reply := NewPacket(Error, []byte{})
	if s.required {
		return &reply, Rejected
	}
	return &reply, Unauthenticated
}

// Learner is SaslQuorumAuthLearner for one connection. Make one only
// when quorum.auth.learnerRequireSasl is true: otherwise Java's learner
// does not authenticate.
type Learner struct {
	mech     LearnerMechanism
	started  bool
	ended    bool
	complete bool // the mechanism said done: only the server's status is left
}

// NewLearner returns the learner side of one exchange.
func NewLearner(mech LearnerMechanism) *Learner { return &Learner{mech: mech} }

// Start returns the first packet: IN_PROGRESS with the mechanism's
// initial response (an InitialResponder's Step of an empty challenge),
// else with an empty token (DIGEST-MD5).
func (l *Learner) Start() (Packet, error) {
	l.started = true
	token := []byte{}
	if ir, ok := l.mech.(InitialResponder); ok && ir.HasInitialResponse() {
		resp, done, err := l.mech.Step([]byte{})
		if err != nil {
			l.ended = true
			return Packet{}, fmt.Errorf("quorumauth: initial response: %w", err)
		}
		l.complete = done
		if resp != nil {
			token = resp
		}
	}
	return NewPacket(InProgress, token), nil
}

// Step takes one server packet and returns the reply to write (on
// Continue) and the outcome: Continue, Authenticated or Rejected.
func (l *Learner) Step(p Packet) (*Packet, Outcome, error) {
	if !l.started || l.ended {
		return nil, Rejected, fmt.Errorf("%w: packet outside the exchange", ErrProtocol)
	}
	fail := func(err error) (*Packet, Outcome, error) {
		l.ended = true
		return nil, Rejected, err
	}
	if p.Magic != Magic {
		return fail(fmt.Errorf("%w: magic %#x", ErrBadMagic, uint64(p.Magic)))
	}
	switch p.Status {
	case Error:
		return fail(ErrRejected)
	case Success, InProgress:
	default:
		return fail(fmt.Errorf("%w: unknown status %d", ErrProtocol, int32(p.Status)))
	}
	if l.complete {
		// Java's learner leaves its loop once the mechanism is complete
		// (GSSAPI after sending its layer choice) and looks only at the
		// status of the server's last packet, whose token (null from a
		// Java server) is not read.
		l.ended = true
		if p.Status != Success {
			return fail(fmt.Errorf("%w: status %v after the mechanism completed", ErrProtocol, p.Status))
		}
		return nil, Authenticated, nil
	}
	if p.Token == nil {
		return fail(fmt.Errorf("%w: the server's token is null", ErrProtocol))
	}
	resp, done, err := l.mech.Step(p.Token)
	if err != nil {
		return fail(fmt.Errorf("quorumauth: %w", err))
	}
	if p.Status == Success {
		switch {
		case len(resp) > 0:
			return fail(fmt.Errorf("%w: response after the server's SUCCESS", ErrProtocol))
		case !done:
			return fail(fmt.Errorf("%w: SUCCESS before the mechanism completed", ErrProtocol))
		}
		l.ended = true
		return nil, Authenticated, nil
	}
	l.complete = done
	if resp == nil {
		// Complete on our side (or nothing to say); Java sends the empty
		// response anyway and waits for the server's status.
		resp = []byte{}
	}
	reply := NewPacket(InProgress, resp)
	return &reply, Continue, nil
}
