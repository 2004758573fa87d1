package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
)

// checkLogHandler turns what the server logs while `zkit server -check`
// validates a configuration into lines of the check's report
// ("zoo.cfg: warning: ..."), so a problem that does not stop the server
// (a JAAS file missing while SASL is configured, ssl.* settings without a
// TLS port) is shown next to the verdict instead of as a stray log line
// in another format.
type checkLogHandler struct {
	mu     *sync.Mutex // guards w
	w      io.Writer
	source string // the zoo.cfg path
	attrs  []slog.Attr
}

func newCheckLogHandler(w io.Writer, source string) *checkLogHandler {
	return &checkLogHandler{mu: new(sync.Mutex), w: w, source: source}
}

func (h *checkLogHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelInfo }

func (h *checkLogHandler) Handle(_ context.Context, r slog.Record) error {
	kind := "note"
	switch {
	case r.Level >= slog.LevelError:
		kind = "error"
	case r.Level >= slog.LevelWarn:
		kind = "warning"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s: %s", h.source, kind, r.Message)
	add := func(a slog.Attr) bool {
		if a.Equal(slog.Attr{}) {
			return true
		}
		v := a.Value.String()
		if v == "" || strings.ContainsAny(v, " \t\n\"=") {
			v = strconv.Quote(v)
		}
		fmt.Fprintf(&b, " %s=%s", a.Key, v)
		return true
	}
	for _, a := range h.attrs {
		add(a)
	}
	r.Attrs(add)
	b.WriteByte('\n')
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := io.WriteString(h.w, b.String())
	return err
}

func (h *checkLogHandler) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append(append([]slog.Attr{}, h.attrs...), as...)
	return &c
}

// WithGroup is not used by the server's configuration code; groups are
// flattened.
func (h *checkLogHandler) WithGroup(string) slog.Handler { return h }
