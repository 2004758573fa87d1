package cli

import (
	"bytes"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEditorKeys(t *testing.T) {
	const (
		up, down, left, right = "\x1b[A", "\x1b[B", "\x1b[D", "\x1b[C"
		home, end, del        = "\x1b[H", "\x1b[F", "\x1b[3~"
	)
	for _, tc := range []struct {
		name    string
		history []string
		keys    string
		want    string
		err     error
	}{
		{"plain", nil, "ls /\r", "ls /", nil},
		{"newline ends too", nil, "ls /\n", "ls /", nil},
		{"backspace", nil, "lsx\x7f /\r", "ls /", nil},
		{"ctrl-h", nil, "lsx\x08 /\r", "ls /", nil},
		{"insert after left", nil, "l /" + left + left + "s\r", "ls /", nil},
		{"ctrl-a ctrl-e", nil, "s /\x01l\x05a\r", "ls /a", nil},
		{"home end", nil, "s /" + home + "l" + end + "a\r", "ls /a", nil},
		{"right past end", nil, "ab" + right + right + "c\r", "abc", nil},
		{"delete key", nil, "lxs" + left + left + del + "\r", "ls", nil},
		{"ctrl-d deletes under cursor", nil, "lxs" + left + left + "\x04\r", "ls", nil},
		{"ctrl-k", nil, "ls /abc" + left + left + left + "\x0b\r", "ls /", nil},
		{"ctrl-u", nil, "junk ls /" + left + left + left + left + "\x15\r", "ls /", nil},
		{"ctrl-w", nil, "ls /a /b\x17\r", "ls /a ", nil},
		{"history up", []string{"get /a", "ls /"}, up + "\r", "ls /", nil},
		{"history up up", []string{"get /a", "ls /"}, up + up + "\r", "get /a", nil},
		{"history beyond oldest", []string{"get /a"}, up + up + up + "\r", "get /a", nil},
		{"history down restores typing", []string{"get /a"}, "sta" + up + down + "t /\r", "stat /", nil},
		{"ctrl-p ctrl-n", []string{"a", "b"}, "\x10\x10\x0e\r", "b", nil},
		{"edit recalled line", []string{"get /a"}, up + "\x7fb\r", "get /b", nil},
		{"utf-8", nil, "set /a héllo" + left + "\x7f\r", "set /a hélo", nil},
		{"ctrl-d on empty line", nil, "\x04", "", io.EOF},
		{"end of input", nil, "", "", io.EOF},
		{"end of input mid line", nil, "ls /", "ls /", nil},
		{"ctrl-c", nil, "ls\x03", "", errInterrupted},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			ed := newEditor(strings.NewReader(tc.keys), &out, new(sync.Mutex))
			ed.history = tc.history
			line, err := ed.readLine(func() string { return "[zk: x(CONNECTED) 0] " })
			assert.Equal(t, tc.want, line)
			assert.Equal(t, tc.err, err)
			assert.True(t, strings.HasPrefix(out.String(), "\r[zk: x(CONNECTED) 0] "))
		})
	}
}

func TestEditorHistory(t *testing.T) {
	ed := newEditor(strings.NewReader(""), io.Discard, new(sync.Mutex))
	for _, l := range []string{"ls /", "ls /", "", "  ", "get /a", "ls /"} {
		ed.addHistory(l)
	}
	assert.Equal(t, []string{"ls /", "get /a", "ls /"}, ed.history)
}

func TestEditorRedrawsAroundEvents(t *testing.T) {
	r, w := io.Pipe()
	out := &syncBuffer{}
	mu := new(sync.Mutex)
	ed := newEditor(r, out, mu)
	got := make(chan string, 1)
	go func() {
		line, _ := ed.readLine(func() string { return "P> " })
		got <- line
	}()
	_, err := io.WriteString(w, "ls")
	require.NoError(t, err)
	waitFor(t, out, "P> ls", 1)
	mu.Lock()
	ed.beforeEvent()
	io.WriteString(out, "EVENT\n")
	ed.afterEvent()
	mu.Unlock()
	_, err = io.WriteString(w, " /\r")
	require.NoError(t, err)
	assert.Equal(t, "ls /", <-got)
	assert.Contains(t, out.String(), "\rP> ls\x1b[K\r\x1b[KEVENT\n\rP> ls\x1b[K")
}
