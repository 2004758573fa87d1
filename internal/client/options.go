package client

import (
	"context"
	"net"
	"time"

	"github.com/zkit-go/zkit/internal/jute"
)

// Option configures Dial.
type Option func(*options)

type options struct {
	timeout      time.Duration
	sessionID    int64
	passwd       []byte
	lastZxid     int64
	readOnly     bool
	oldHandshake bool
	maxBuffer    int
	eventBuffer  int
	dial         func(ctx context.Context, network, addr string) (net.Conn, error)
	sasl         *SASLCredentials // WithSASL (sasl.go)
}

func defaultOptions() options {
	var d net.Dialer
	return options{
		timeout:     10 * time.Second,
		maxBuffer:   jute.DefaultMaxBuffer,
		eventBuffer: 1024,
		dial:        d.DialContext,
	}
}

// WithSessionTimeout sets the requested session timeout (default 10s); the
// server clamps it to its [minSessionTimeout, maxSessionTimeout].
func WithSessionTimeout(d time.Duration) Option { return func(o *options) { o.timeout = d } }

// WithSession resumes an existing session instead of creating one.
func WithSession(id int64, passwd []byte) Option {
	return func(o *options) {
		o.sessionID = id
		o.passwd = append([]byte(nil), passwd...)
	}
}

// WithLastZxid sets lastZxidSeen in the handshake (a server that has seen
// less refuses the connection) and the starting value of LastZxid.
func WithLastZxid(zxid int64) Option { return func(o *options) { o.lastZxid = zxid } }

// WithReadOnly sets the handshake's readOnly byte: the client accepts a
// read-only server.
func WithReadOnly(ro bool) Option { return func(o *options) { o.readOnly = ro } }

// WithOldHandshake leaves out the readOnly byte, as clients before 3.4 do.
func WithOldHandshake() Option { return func(o *options) { o.oldHandshake = true } }

// WithMaxBuffer sets the largest reply frame accepted (default
// jute.maxbuffer, 0xfffff); a larger one closes the connection.
func WithMaxBuffer(n int) Option { return func(o *options) { o.maxBuffer = n } }

// WithEventBuffer sets the capacity of the Events channel (default 1024).
func WithEventBuffer(n int) Option { return func(o *options) { o.eventBuffer = n } }

// WithDialer replaces net.Dialer, e.g. for tests that cut the network.
func WithDialer(dial func(ctx context.Context, network, addr string) (net.Conn, error)) Option {
	return func(o *options) { o.dial = dial }
}
