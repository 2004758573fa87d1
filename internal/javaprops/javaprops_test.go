package javaprops

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParse(t *testing.T) {
	keys, props, err := Parse(strings.NewReader("# comment\n! also\n  a=1\nb : 2\nc 3\nd=x\\\n   y\ne\\=f=g\\th\nzookeeper.sasl.clientconfig=Client\na=last\n"))
	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b", "c", "d", "e=f", "zookeeper.sasl.clientconfig"}, keys)
	assert.Equal(t, map[string]string{"a": "last", "b": "2", "c": "3", "d": "xy", "e=f": "g\th", "zookeeper.sasl.clientconfig": "Client"}, props)
}
