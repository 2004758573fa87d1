package client

import (
	"context"
	"errors"
	"fmt"

	"github.com/zkit-go/zkit/internal/proto"
	"github.com/zkit-go/zkit/internal/sasl"
)

// ZooKeeper's fixed DIGEST-MD5 names on the client port.
const (
	SASLProtocol   = "zookeeper"
	SASLServerName = "zk-sasl-md5"
)

// ErrSASL reports a SASL login that did not complete; it wraps the
// server's code (proto.ErrAuthFailed, proto.ErrSessionClosedRequireSASL)
// or the mechanism's error.
var ErrSASL = errors.New("client: sasl login failed")

// SASLCredentials is a DIGEST-MD5 login: the JAAS Client section's
// username and password.
type SASLCredentials struct {
	User     string
	Password string
}

// WithSASL logs in with DIGEST-MD5 right after the handshake, before Dial
// returns, as Java's client does before it sends anything else. A failed
// login fails Dial.
func WithSASL(creds SASLCredentials) Option {
	return func(o *options) { o.sasl = &creds }
}

// SASLMechanism is the client side of a SASL mechanism
// (sasl.DigestClient, sasl.GSSAPIClient).
type SASLMechanism interface {
	Step(challenge []byte) (response []byte, done bool, err error)
}

// SASLLogin runs a DIGEST-MD5 exchange in op 102 as Java's
// ZooKeeperSaslClient does: an empty first token, the digest-response to
// the server's challenge, then a check of the server's rspauth (a server
// that does not know the password is refused). On success the session
// holds sasl:<id> at the server.
func (c *Conn) SASLLogin(ctx context.Context, creds SASLCredentials) error {
	err := c.SASLLoginWith(ctx, sasl.NewDigestClient(SASLProtocol, SASLServerName, creds.User, creds.Password))
	if err != nil {
		return fmt.Errorf("%w as %q: %w", ErrSASL, creds.User, err)
	}
	return nil
}

// SASLLoginWith runs mech's exchange in op 102: each response goes in a
// GetSASLRequest and the server's token comes back in the
// SetSASLResponse. A mechanism that finishes with a last token (GSSAPI)
// sends it and reads the server's final answer.
func (c *Conn) SASLLoginWith(ctx context.Context, mech SASLMechanism) error {
	token, done, err := mech.Step(nil)
	for err == nil && !(done && token == nil) {
		var resp proto.SetSASLResponse
		if _, err = c.Do(ctx, proto.OpSASL, &proto.GetSASLRequest{Token: token}, &resp); err != nil || done {
			break
		}
		token, done, err = mech.Step(resp.Token)
	}
	if err != nil && !errors.Is(err, ErrSASL) {
		return fmt.Errorf("%w: %w", ErrSASL, err)
	}
	return err
}
