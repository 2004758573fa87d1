package recipes

import (
	"errors"
	"net"
	"syscall"
	"testing"

	"github.com/go-zookeeper/zk"
	"github.com/stretchr/testify/assert"
)

func TestIsRetryable(t *testing.T) {
	tests := []struct {
		name    string
		err     error
		retry   bool
		applied bool
	}{
		{"connection closed", zk.ErrConnectionClosed, true, true},
		{"no server", zk.ErrNoServer, true, false},
		{"session expired", zk.ErrSessionExpired, true, true},
		{"socket write failed", &net.OpError{Op: "write", Net: "tcp", Err: syscall.EPIPE}, true, true},
		{"no node", zk.ErrNoNode, false, true},
		{"other", errors.New("x"), false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.retry, isRetryable(tt.err))
			if tt.retry {
				assert.Equal(t, tt.applied, mayHaveApplied(tt.err))
			}
		})
	}
}
