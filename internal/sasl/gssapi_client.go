package sasl

import (
	"fmt"
	"strings"

	krbclient "github.com/jcmturner/gokrb5/v8/client"
	krbconfig "github.com/jcmturner/gokrb5/v8/config"
	"github.com/jcmturner/gokrb5/v8/crypto"
	"github.com/jcmturner/gokrb5/v8/gssapi"
	"github.com/jcmturner/gokrb5/v8/iana/flags"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/keytab"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/spnego"
	"github.com/jcmturner/gokrb5/v8/types"
)

type gssClientState int

const (
	gssClientStart gssClientState = iota // nothing sent
	gssClientAPRep                       // AP-REQ sent, waiting for the AP-REP
	gssClientOffer                       // waiting for the wrapped layer offer
	gssClientDone
	gssClientFailed
)

// GSSAPIClient is the client side of SASL GSSAPI (RFC 4752) over Kerberos
// V5, for a client logged in with gokrb5 (a keytab or password login).
// It always asks for mutual authentication, so the server must prove it
// holds the service key (the AP-REP is decrypted and its time checked
// against our authenticator) before the client sends its authzid. Only
// "no security layer" is chosen.
type GSSAPIClient struct {
	krb     *krbclient.Client
	service string // "zookeeper/host", in the client's realm
	authzid []byte // nil: none

	state      gssClientState
	sessionKey types.EncryptionKey
	auth       types.Authenticator
	peerSeq    uint64
}

// NewGSSAPIClient authenticates krb's principal to service
// ("zookeeper/host"). The authzid sent is the client's principal
// name@REALM, as the JDK's client sends the name it was created with.
func NewGSSAPIClient(krb *krbclient.Client, service string) *GSSAPIClient {
	c := &GSSAPIClient{krb: krb, service: service}
	if krb.Credentials != nil {
		c.authzid = []byte(krb.Credentials.CName().PrincipalNameString() + "@" + krb.Credentials.Domain())
	}
	return c
}

// HasInitialResponse is true: GSSAPI speaks first (the AP-REQ), as the
// JDK's SaslClient.hasInitialResponse says.
func (c *GSSAPIClient) HasInitialResponse() bool { return true }

// Step takes the server's token and returns the next one; the first call
// (empty challenge) returns the initial context token. The last call
// returns the wrapped layer choice with done set: send it, and the
// server's answer ends the exchange.
func (c *GSSAPIClient) Step(challenge []byte) (response []byte, done bool, err error) {
	switch c.state {
	case gssClientStart:
		response, err = c.initial()
		if err != nil {
			c.state = gssClientFailed
			return nil, false, err
		}
		c.state = gssClientAPRep
		return response, false, nil
	case gssClientAPRep:
		if err := c.checkAPRep(challenge); err != nil {
			c.state = gssClientFailed
			return nil, false, err
		}
		c.state = gssClientOffer
		return []byte{}, false, nil
	case gssClientOffer:
		response, err = c.choose(challenge)
		if err != nil {
			c.state = gssClientFailed
			return nil, false, err
		}
		c.state = gssClientDone
		return response, true, nil
	case gssClientDone:
		return nil, true, fmt.Errorf("%w: %w: exchange already complete", ErrKerberos, ErrProtocol)
	default:
		return nil, false, fmt.Errorf("%w: %w: exchange already failed", ErrKerberos, ErrProtocol)
	}
}

func (c *GSSAPIClient) initial() ([]byte, error) {
	tkt, key, err := c.krb.GetServiceTicket(c.service)
	if err != nil {
		return nil, fmt.Errorf("%w: service ticket for %s: %v", ErrKerberos, c.service, err)
	}
	tok, err := spnego.NewKRB5TokenAPREQ(c.krb, tkt, key,
		[]int{gssapi.ContextFlagMutual, gssapi.ContextFlagInteg, gssapi.ContextFlagConf}, []int{flags.APOptionMutualRequired})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKerberos, err)
	}
	// Our own authenticator: its time for the AP-REP check, its sequence
	// number for our wrap token.
	apreq := tok.APReq
	if err := apreq.DecryptAuthenticator(key); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKerberos, err)
	}
	c.sessionKey, c.auth = key, apreq.Authenticator
	b, err := tok.Marshal()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKerberos, err)
	}
	return b, nil
}

// checkAPRep verifies mutual authentication: only the service's key opens
// the ticket that holds the session key the AP-REP is encrypted in.
func (c *GSSAPIClient) checkAPRep(token []byte) error {
	var tok spnego.KRB5Token
	if err := tok.Unmarshal(token); err != nil {
		return fmt.Errorf("%w: %w: %v", ErrKerberos, ErrProtocol, err)
	}
	if tok.IsKRBError() {
		return fmt.Errorf("%w: %w: server answered %v", ErrKerberos, ErrAuthFailed, tok.KRBError.Error())
	}
	if !tok.IsAPRep() {
		return fmt.Errorf("%w: %w: expected an AP-REP", ErrKerberos, ErrProtocol)
	}
	plain, err := crypto.DecryptEncPart(tok.APRep.EncPart, c.sessionKey, keyusage.AP_REP_ENCPART)
	if err != nil {
		return fmt.Errorf("%w: %w: AP-REP does not decrypt: %v", ErrKerberos, ErrAuthFailed, err)
	}
	var part messages.EncAPRepPart
	if err := part.Unmarshal(plain); err != nil {
		return fmt.Errorf("%w: %w: %v", ErrKerberos, ErrProtocol, err)
	}
	if !part.CTime.Equal(c.auth.CTime) || part.Cusec != c.auth.Cusec {
		return fmt.Errorf("%w: %w: AP-REP time does not match our authenticator", ErrKerberos, ErrAuthFailed)
	}
	if part.Subkey.KeyType != 0 {
		return fmt.Errorf("%w: %w: acceptor subkeys are not supported", ErrKerberos, ErrProtocol)
	}
	c.peerSeq = uint64(uint32(part.SequenceNumber))
	return nil
}

// key is the wrap tokens' key: our subkey if the authenticator has one,
// the session key otherwise.
func (c *GSSAPIClient) key() types.EncryptionKey {
	if c.auth.SubKey.KeyType != 0 {
		return c.auth.SubKey
	}
	return c.sessionKey
}

func (c *GSSAPIClient) choose(token []byte) ([]byte, error) {
	var wt gssapi.WrapToken
	if err := wt.Unmarshal(token, true); err != nil {
		return nil, fmt.Errorf("%w: %w: %v", ErrKerberos, ErrProtocol, err)
	}
	if wt.Flags&0x06 != 0 || wt.RRC != 0 {
		return nil, fmt.Errorf("%w: %w: sealed, rotated or acceptor-subkey wrap tokens are not supported", ErrKerberos, ErrProtocol)
	}
	if ok, err := wt.Verify(c.key(), keyusage.GSSAPI_ACCEPTOR_SEAL); !ok {
		return nil, fmt.Errorf("%w: %w: layer offer: %v", ErrKerberos, ErrAuthFailed, err)
	}
	if wt.SndSeqNum != c.peerSeq {
		return nil, fmt.Errorf("%w: %w: layer offer out of sequence", ErrKerberos, ErrProtocol)
	}
	if len(wt.Payload) != 4 {
		return nil, fmt.Errorf("%w: %w: layer offer of %d bytes", ErrKerberos, ErrProtocol, len(wt.Payload))
	}
	if wt.Payload[0]&gssLayerNone == 0 {
		return nil, fmt.Errorf("%w: server requires a security layer (%#x); zkit supports none", ErrUnsupportedQOP, wt.Payload[0])
	}
	payload := append([]byte{gssLayerNone, 0, 0, 0}, c.authzid...)
	et, err := crypto.GetEtype(c.key().KeyType)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKerberos, err)
	}
	out := gssapi.WrapToken{
		EC:        uint16(et.GetHMACBitLength() / 8),
		SndSeqNum: uint64(uint32(c.auth.SeqNumber)),
		Payload:   payload,
	}
	if err := out.SetCheckSum(c.key(), keyusage.GSSAPI_INITIATOR_SEAL); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKerberos, err)
	}
	b, err := out.Marshal()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKerberos, err)
	}
	return b, nil
}

// KerberosLogin logs principal ("user@REALM", or "user" in the default
// realm) in from a keytab, as Krb5LoginModule with useKeyTab=true does,
// with the Kerberos configuration at krb5Conf. The caller must Destroy
// the client: gokrb5 renews the login from a goroutine.
func KerberosLogin(krb5Conf, keytabPath, principal string) (*krbclient.Client, error) {
	cfg, err := krbconfig.Load(krb5Conf)
	if err != nil {
		return nil, fmt.Errorf("%w: kerberos configuration %s: %v", ErrKerberos, krb5Conf, err)
	}
	kt, err := keytab.Load(keytabPath)
	if err != nil {
		return nil, fmt.Errorf("%w: keyTab %s: %v", ErrKerberos, keytabPath, err)
	}
	user, realm, _ := strings.Cut(principal, "@")
	if realm == "" {
		realm = cfg.LibDefaults.DefaultRealm
	}
	cl := krbclient.NewWithKeytab(user, realm, kt, cfg, krbclient.DisablePAFXFAST(true))
	if err := cl.Login(); err != nil {
		cl.Destroy()
		return nil, fmt.Errorf("%w: login as %s@%s: %v", ErrKerberos, user, realm, err)
	}
	return cl, nil
}
