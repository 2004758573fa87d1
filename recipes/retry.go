package recipes

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/go-zookeeper/zk"
)

// RetryPolicy makes the backoff for one operation. Each operation calls
// NewBackOff once, on its first retryable failure, and stops retrying when
// the backoff returns backoff.Stop.
type RetryPolicy interface {
	NewBackOff() backoff.BackOff
}

// RetryPolicyFunc adapts a function to RetryPolicy.
type RetryPolicyFunc func() backoff.BackOff

// NewBackOff calls f.
func (f RetryPolicyFunc) NewBackOff() backoff.BackOff { return f() }

// ExponentialRetry retries with exponentially growing, jittered waits
// (±50%) starting at initial and capped at maxInterval, at most maxRetries
// times and for at most maxElapsed in total (zero: no bound of that kind).
func ExponentialRetry(initial, maxInterval time.Duration, maxRetries int, maxElapsed time.Duration) RetryPolicy {
	return RetryPolicyFunc(func() backoff.BackOff {
		b := &backoff.ExponentialBackOff{
			InitialInterval:     initial,
			RandomizationFactor: 0.5,
			Multiplier:          2,
			MaxInterval:         maxInterval,
			MaxElapsedTime:      maxElapsed,
			Stop:                backoff.Stop,
			Clock:               backoff.SystemClock,
		}
		b.Reset()
		if maxRetries > 0 {
			return backoff.WithMaxRetries(b, uint64(maxRetries))
		}
		return b
	})
}

// DefaultRetry is the policy used without WithRetry: from 50ms up to 2s
// between attempts, at most 20 retries within 30s.
func DefaultRetry() RetryPolicy {
	return ExponentialRetry(50*time.Millisecond, 2*time.Second, 20, 30*time.Second)
}

// NoRetry never retries.
func NoRetry() RetryPolicy {
	return RetryPolicyFunc(func() backoff.BackOff { return &backoff.StopBackOff{} })
}

// isRetryable reports whether err means "the request may not have reached
// the server, or its answer did not reach us": connection loss, an
// operation timeout, a moved session, or a session that expired under it
// (the retry then runs on go-zk's new session, as in Curator).
func isRetryable(err error) bool {
	// go-zk hands a request whose socket write failed the raw network error
	// (write: broken pipe, connection reset) before closing the connection;
	// the request may have reached the server, so it is a connection loss.
	var opErr *net.OpError
	return errors.As(err, &opErr) ||
		errors.Is(err, zk.ErrConnectionClosed) ||
		errors.Is(err, zk.ErrNoServer) ||
		errors.Is(err, zk.ErrSessionMoved) ||
		errors.Is(err, zk.ErrSessionExpired) ||
		errors.Is(err, zk.ErrClosing) ||
		errors.Is(err, ErrOperationTimeout) ||
		isCode(err, -4) // ConnectionLoss sent by a server
}

// mayHaveApplied reports whether a request that failed with the retryable
// err may nevertheless have been applied by the server.
func mayHaveApplied(err error) bool {
	return !errors.Is(err, zk.ErrNoServer) && !errors.Is(err, zk.ErrSessionMoved)
}

// isCode matches go-zk's "unknown error: <code>" for codes it has no
// sentinel for.
func isCode(err error, code int32) bool {
	return err != nil && err.Error() == fmt.Sprintf("unknown error: %v", zk.ErrCode(code))
}

// normalize turns go-zk's unnamed error codes into this package's sentinels.
func normalize(err error) error {
	switch {
	case isCode(err, -6):
		return ErrUnimplemented
	case isCode(err, -7):
		return ErrOperationTimeout
	}
	return err
}

// attemptFunc is one attempt of an operation on a connection. maybeApplied
// is true when an earlier attempt failed in a way that may have been
// applied all the same.
type attemptFunc func(conn *zk.Conn, maybeApplied bool) error

// retry runs fn until it succeeds, fails with an error that is not
// retryable, the policy gives up, ctx ends or the client closes. write
// marks operations whose outcome becomes ambiguous after a lost reply.
// lastDone, when not nil, receives a channel closed when the last attempt
// has really finished (it may outlive retry when ctx ends).
func (c *Client) retry(ctx context.Context, op string, write bool, fn attemptFunc, lastDone *<-chan struct{}) error {
	var (
		b            backoff.BackOff
		maybeApplied bool
		lastErr      error
	)
	for attempt := 1; ; attempt++ {
		rec, err := c.waitReady(ctx)
		if err != nil {
			return withLast(err, lastErr)
		}
		applied := maybeApplied
		errc := make(chan error, 1)
		done := make(chan struct{})
		if lastDone != nil {
			*lastDone = done
		}
		if !c.goTracked(func() {
			defer close(done)
			errc <- normalize(fn(rec.conn, applied))
		}) {
			close(done)
			return ErrClosed
		}
		select {
		case err = <-errc:
		case <-ctx.Done():
			return withLast(ctx.Err(), lastErr)
		}
		if err == nil {
			return nil
		}
		if c.isClosed() {
			return ErrClosed
		}
		if !isRetryable(err) {
			if write && maybeApplied && !errors.Is(err, ErrAmbiguous) {
				return fmt.Errorf("%w: %s: %w", ErrAmbiguous, op, err)
			}
			return err
		}
		if mayHaveApplied(err) {
			maybeApplied = true
		}
		lastErr = err
		if b == nil {
			b = c.opts.retry.NewBackOff()
		}
		d := b.NextBackOff()
		if d == backoff.Stop {
			return fmt.Errorf("%w: %s after %d attempts: %w", ErrRetriesExhausted, op, attempt, err)
		}
		c.log.Debug("retrying", "op", op, "attempt", attempt, "err", err, "wait", d)
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return withLast(ctx.Err(), lastErr)
		case <-c.closing:
			t.Stop()
			return ErrClosed
		}
	}
}

// withLast wraps a ctx error (or ErrClosed) with the last retryable error
// seen, for the message only.
func withLast(err, last error) error {
	if last == nil || errors.Is(err, ErrClosed) {
		return err
	}
	return fmt.Errorf("%w (last error: %v)", err, last)
}

// waitReady returns the current connection once its session is usable.
func (c *Client) waitReady(ctx context.Context) (*connRecord, error) {
	for {
		c.mu.Lock()
		rec, closed := c.rec, c.closed
		c.mu.Unlock()
		if closed {
			return nil, ErrClosed
		}
		select {
		case <-rec.ready:
			return rec, nil
		case <-rec.replaced:
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-c.closing:
			return nil, ErrClosed
		}
	}
}
