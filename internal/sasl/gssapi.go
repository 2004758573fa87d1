package sasl

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/jcmturner/gofork/encoding/asn1"
	"github.com/jcmturner/gokrb5/v8/asn1tools"
	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/gssapi"
	"github.com/jcmturner/gokrb5/v8/iana/asnAppTag"
	"github.com/jcmturner/gokrb5/v8/iana/flags"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/iana/msgtype"
	"github.com/jcmturner/gokrb5/v8/keytab"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/service"
	"github.com/jcmturner/gokrb5/v8/spnego"
	"github.com/jcmturner/gokrb5/v8/types"
)

// ErrKerberos wraps failures of the GSSAPI (Kerberos V5) mechanism.
var ErrKerberos = errors.New("sasl: GSSAPI")

// RFC 4752 security layer bits; only "no security layer" is offered, as a
// JDK server with the default qop=auth does.
const (
	gssLayerNone    = 0x01
	gssOfferMaxBuf  = 65536 // what the JDK's GssKrb5Server announces
	gssFlagMutual   = 2     // GSS_C_MUTUAL_FLAG in the authenticator checksum
	gssChecksumType = 0x8003
)

type gssState int

const (
	gssStart     gssState = iota // waiting for the initial context token (AP-REQ)
	gssEmpty                     // AP-REP sent, waiting for the client's empty token
	gssLayerSent                 // wrapped layer offer sent, waiting for the client's choice
	gssDone
	gssFailed
)

// GSSAPIServer is the server side of SASL GSSAPI (RFC 4752) over the
// Kerberos V5 GSS-API mechanism (RFC 4121), accepting with a keytab as the
// JDK's GssKrb5Server does under Krb5LoginModule: the client's AP-REQ is
// verified against the keytab (ticket, authenticator, clock skew, replay),
// mutual authentication is answered with an AP-REP, then one wrapped
// round offers "no security layer" and reads the client's authzid.
// Confidentiality and integrity layers are not offered.
type GSSAPIServer struct {
	kt        *keytab.Keytab
	principal string // service principal, "zookeeper/host" (realm optional)
	authorize Authorizer
	peer      net.IP // the client's address, for tickets bound to addresses

	state   gssState
	key     types.EncryptionKey // the key wrap tokens use (RFC 4121 section 2)
	seq     uint64              // our sequence number
	authcid string              // client principal, "bob@EXAMPLE.COM"
	authzid string
}

// NewGSSAPIServer accepts contexts for principal ("service/host" or
// "service/host@REALM") with the keys of kt.
func NewGSSAPIServer(kt *keytab.Keytab, principal string) *GSSAPIServer {
	return &GSSAPIServer{kt: kt, principal: principal, authorize: sameIdentity}
}

// SetAuthorizer replaces the authzid check (default: only as yourself).
func (s *GSSAPIServer) SetAuthorizer(a Authorizer) { s.authorize = a }

// SetPeer gives the client's address: a ticket that lists addresses must
// list it (without it, such tickets are refused). Tickets without
// addresses, the MIT and JDK default, are accepted from anywhere.
func (s *GSSAPIServer) SetPeer(ip net.IP) { s.peer = ip }

// AuthorizationID is the authorized id; valid once done.
func (s *GSSAPIServer) AuthorizationID() string { return s.authzid }

// AuthenticationID is the client's principal, name@REALM; valid once done.
func (s *GSSAPIServer) AuthenticationID() string { return s.authcid }

// Step takes the client's token and returns the next one.
func (s *GSSAPIServer) Step(response []byte) (challenge []byte, done bool, err error) {
	// The tokens are parsed by gokrb5's ASN.1 decoder on the connection's
	// reader goroutine: a panic there must fail this login, not the server.
	defer func() {
		if r := recover(); r != nil {
			s.state = gssFailed
			challenge, done, err = nil, false, fmt.Errorf("%w: %w: malformed token (%v)", ErrKerberos, ErrProtocol, r)
		}
	}()
	switch s.state {
	case gssStart:
		apRep, err := s.accept(response)
		if err != nil {
			s.state = gssFailed
			return nil, false, err
		}
		if apRep != nil {
			// Mutual authentication: the client answers the AP-REP with
			// an empty token before the layer offer (GssKrb5Server).
			s.state = gssEmpty
			return apRep, false, nil
		}
		return s.offer()
	case gssEmpty:
		if len(response) != 0 {
			s.state = gssFailed
			return nil, false, fmt.Errorf("%w: %w: expected an empty token after the context was established", ErrKerberos, ErrProtocol)
		}
		return s.offer()
	case gssLayerSent:
		if err := s.finish(response); err != nil {
			s.state = gssFailed
			return nil, false, err
		}
		s.state = gssDone
		return nil, true, nil
	case gssDone:
		return nil, true, fmt.Errorf("%w: %w: exchange already complete", ErrKerberos, ErrProtocol)
	default:
		return nil, false, fmt.Errorf("%w: %w: exchange already failed", ErrKerberos, ErrProtocol)
	}
}

// offer sends the wrapped security layer offer: no layer, maximum buffer.
func (s *GSSAPIServer) offer() ([]byte, bool, error) {
	var offer [4]byte
	offer[0] = gssLayerNone
	putUint24(offer[1:], gssOfferMaxBuf)
	challenge, err := s.wrap(offer[:])
	if err != nil {
		s.state = gssFailed
		return nil, false, err
	}
	s.state = gssLayerSent
	return challenge, false, nil
}

func putUint24(b []byte, v int) {
	b[0], b[1], b[2] = byte(v>>16), byte(v>>8), byte(v)
}

// accept verifies the initial context token and returns the AP-REP token
// when the client asked for mutual authentication, nil otherwise.
func (s *GSSAPIServer) accept(token []byte) ([]byte, error) {
	var tok spnego.KRB5Token
	if err := tok.Unmarshal(token); err != nil {
		return nil, fmt.Errorf("%w: %w: %v", ErrKerberos, ErrProtocol, err)
	}
	if !tok.IsAPReq() {
		return nil, fmt.Errorf("%w: %w: the first token is not an AP-REQ", ErrKerberos, ErrProtocol)
	}
	apreq := tok.APReq
	name := s.principal
	if i := strings.IndexByte(name, '@'); i >= 0 {
		name = name[:i]
	}
	opts := []func(*service.Settings){service.KeytabPrincipal(name), service.DecodePAC(false)}
	if s.peer != nil {
		opts = append(opts, service.ClientAddress(types.HostAddressFromNetIP(s.peer)))
	}
	settings := service.NewSettings(s.kt, opts...)
	ok, creds, err := service.VerifyAPREQ(&apreq, settings)
	if err != nil || !ok {
		return nil, fmt.Errorf("%w: %w: AP-REQ refused: %v", ErrKerberos, ErrAuthFailed, err)
	}
	auth := apreq.Authenticator
	if auth.Cksum.CksumType != gssChecksumType || len(auth.Cksum.Checksum) < 24 {
		return nil, fmt.Errorf("%w: %w: the authenticator has no GSS-API checksum", ErrKerberos, ErrProtocol)
	}
	gssFlags := binary.LittleEndian.Uint32(auth.Cksum.Checksum[20:24])

	// RFC 4121 section 2: with no acceptor subkey, tokens use the
	// initiator's subkey, or the ticket's session key without one.
	s.key = apreq.Ticket.DecryptedEncPart.Key
	if auth.SubKey.KeyType != 0 {
		s.key = auth.SubKey
	}
	var seq [4]byte
	if _, err := rand.Read(seq[:]); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKerberos, err)
	}
	s.seq = uint64(binary.BigEndian.Uint32(seq[:]) & 0x3fffffff)
	if s.seq == 0 {
		s.seq = 1 // 0 would be left out of the AP-REP as a default value
	}
	s.authcid = creds.CName().PrincipalNameString() + "@" + creds.Domain()

	mutual := gssFlags&gssFlagMutual != 0 || types.IsFlagSet(&apreq.APOptions, flags.APOptionMutualRequired)
	if !mutual {
		// Without an AP-REP both sides number from the initiator's
		// sequence number (RFC 4121 section 4.2.6; Java does the same).
		s.seq = uint64(uint32(auth.SeqNumber))
		return nil, nil
	}
	return s.apRepToken(apreq)
}

// apRepToken is the GSS-API AP-REP token (RFC 4121 section 4.1):
// [APPLICATION 0] { krb5 OID, TOK_ID 02 00, KRB_AP_REP }. gokrb5 has no
// encoder for it; the EncAPRepPart echoes the authenticator's time and
// carries our initial sequence number, encrypted in the session key with
// key usage 12 (RFC 4120 section 5.5.2).
func (s *GSSAPIServer) apRepToken(apreq messages.APReq) ([]byte, error) {
	part := messages.EncAPRepPart{
		CTime:          apreq.Authenticator.CTime.UTC().Truncate(time.Second),
		Cusec:          apreq.Authenticator.Cusec,
		SequenceNumber: int64(s.seq),
	}
	b, err := asn1.Marshal(part)
	if err != nil {
		return nil, fmt.Errorf("%w: encoding EncAPRepPart: %v", ErrKerberos, err)
	}
	b = asn1tools.AddASNAppTag(b, asnAppTag.EncAPRepPart)
	sessionKey := apreq.Ticket.DecryptedEncPart.Key
	enc, err := crypto.GetEncryptedData(b, sessionKey, keyusage.AP_REP_ENCPART, 0)
	if err != nil {
		return nil, fmt.Errorf("%w: encrypting EncAPRepPart: %v", ErrKerberos, err)
	}
	rep := messages.APRep{PVNO: 5, MsgType: msgtype.KRB_AP_REP, EncPart: enc}
	rb, err := asn1.Marshal(rep)
	if err != nil {
		return nil, fmt.Errorf("%w: encoding AP-REP: %v", ErrKerberos, err)
	}
	rb = asn1tools.AddASNAppTag(rb, asnAppTag.APREP)
	oid, err := asn1.Marshal(gssapi.OIDKRB5.OID())
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKerberos, err)
	}
	out := append(oid, 0x02, 0x00)
	out = append(out, rb...)
	return asn1tools.AddASNAppTag(out, 0), nil
}

// wrap makes an RFC 4121 Wrap token without confidentiality, sent by the
// acceptor.
func (s *GSSAPIServer) wrap(payload []byte) ([]byte, error) {
	et, err := crypto.GetEtype(s.key.KeyType)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKerberos, err)
	}
	wt := gssapi.WrapToken{
		Flags:     0x01, // SentByAcceptor
		EC:        uint16(et.GetHMACBitLength() / 8),
		SndSeqNum: s.seq,
		Payload:   payload,
	}
	if err := wt.SetCheckSum(s.key, keyusage.GSSAPI_ACCEPTOR_SEAL); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKerberos, err)
	}
	s.seq++
	b, err := wt.Marshal()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKerberos, err)
	}
	return b, nil
}

// finish unwraps the client's layer choice, maximum buffer and authzid.
func (s *GSSAPIServer) finish(token []byte) error {
	var wt gssapi.WrapToken
	if err := wt.Unmarshal(token, false); err != nil {
		return fmt.Errorf("%w: %w: %v", ErrKerberos, ErrProtocol, err)
	}
	if wt.Flags&0x02 != 0 || wt.RRC != 0 {
		return fmt.Errorf("%w: %w: sealed or rotated wrap tokens are not supported", ErrKerberos, ErrProtocol)
	}
	if ok, err := wt.Verify(s.key, keyusage.GSSAPI_INITIATOR_SEAL); !ok {
		return fmt.Errorf("%w: %w: wrap token: %v", ErrKerberos, ErrAuthFailed, err)
	}
	p := wt.Payload
	if len(p) < 4 {
		return fmt.Errorf("%w: %w: layer choice too short", ErrKerberos, ErrProtocol)
	}
	if p[0] != gssLayerNone {
		return fmt.Errorf("%w: %w: client chose security layer %#x; only none is offered", ErrKerberos, ErrUnsupportedQOP, p[0])
	}
	requested := s.authcid
	if len(p) > 4 {
		requested = string(p[4:])
	}
	id, err := s.authorize(s.authcid, requested)
	if err != nil {
		return err
	}
	s.authzid = id
	return nil
}
