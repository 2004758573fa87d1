package javaprops

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The cases server.ParseJVMFlags and cli.JVMSystemProperties rely on; the
// shell quoting rules are covered in server's configcheck tests.
func TestParseJVMFlags(t *testing.T) {
	got, err := ParseJVMFlags(`-Da=flag -Dz='with space' -Xmx1g -Dempty -Da=later "-Dq=x y"`)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"a": "later", "z": "with space", "empty": "", "q": "x y"}, got)
	for _, bad := range []string{`-Dk="open`, `-Dk='open`, `-D`, `-D=x`} {
		_, err := ParseJVMFlags(bad)
		assert.ErrorIs(t, err, ErrJVMFlags, bad)
	}
}
