package logging

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewOptions(t *testing.T) {
	for _, tc := range []struct {
		level, format string
		err           string
	}{
		{"", "", ""}, {"debug", "json", ""}, {"WARN", "text", ""}, {"error", "JSON", ""},
		{"verbose", "text", `unknown log level "verbose"`},
		{"info", "xml", `unknown log format "xml"`},
	} {
		_, err := New(&bytes.Buffer{}, Options{Level: tc.level, Format: tc.format})
		if tc.err == "" {
			assert.NoError(t, err, "%+v", tc)
		} else {
			assert.ErrorIs(t, err, ErrOption)
			assert.ErrorContains(t, err, tc.err)
		}
	}
}

func TestLevelAndJSON(t *testing.T) {
	var b bytes.Buffer
	l, err := New(&b, Options{Level: "warn", Format: "json"})
	require.NoError(t, err)
	l.Info("hidden")
	l.With("myid", 1).Warn("shown", "peer", 2)
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	require.Len(t, lines, 1)
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &m))
	assert.Equal(t, "shown", m["msg"])
	assert.Equal(t, 1.0, m["myid"])
	assert.Equal(t, 2.0, m["peer"])
}

func TestRepeatsLimited(t *testing.T) {
	var b bytes.Buffer
	now := time.Unix(0, 0)
	l, err := New(&b, Options{Window: time.Second, Burst: 2, Now: func() time.Time { return now }})
	require.NoError(t, err)
	derived := l.With("myid", 3) // shares the limit
	for range 5 {
		derived.Warn("cannot connect to peer", "peer", 2)
	}
	l.Warn("another message")
	assert.Equal(t, 3, strings.Count(b.String(), "\n"), "two repeats and the other message:\n%s", b.String())
	now = now.Add(time.Second)
	b.Reset()
	l.Warn("cannot connect to peer", "peer", 2)
	assert.Contains(t, b.String(), "suppressed=3")
	b.Reset()
	l.Warn("cannot connect to peer", "peer", 2)
	assert.NotContains(t, b.String(), "suppressed")
}

func TestLimitOff(t *testing.T) {
	var b bytes.Buffer
	l, err := New(&b, Options{Burst: -1})
	require.NoError(t, err)
	for range 20 {
		l.Info("same")
	}
	assert.Equal(t, 20, strings.Count(b.String(), "\n"))
}
