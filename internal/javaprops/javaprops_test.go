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

func TestParseUnicodeEscapes(t *testing.T) {
	props, err := Load(strings.NewReader("name=caf\\u00e9\nk\\u0041y=v\nemoji=\\uD83D\\uDE00!\nlone=\\uD83D.\n"))
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"name": "café", "kAy": "v", "emoji": "😀!", "lone": "\uFFFD."}, props)

	for _, bad := range []string{"a=\\u12\n", "a=\\u12g4\n", "a=x\\u\n", "\\uzzzz=1\n"} {
		_, err := Load(strings.NewReader(bad))
		assert.ErrorIs(t, err, ErrMalformedUnicode, bad)
		assert.ErrorContains(t, err, "line 1", bad)
	}
}
