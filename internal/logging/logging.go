package logging

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// ErrOption reports a bad level or format.
var ErrOption = errors.New("logging")

// Formats are the accepted Options.Format values.
var Formats = []string{"text", "json"}

// Options configure New.
type Options struct {
	// Level is debug, info, warn or error (case-insensitive); "" is info.
	Level string
	// Format is text or json; "" is text.
	Format string
	// Window and Burst limit repeats: at most Burst records with the same
	// level and message per Window. Zero values mean 10s and 5; a negative
	// Burst turns the limit off.
	Window time.Duration
	Burst  int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// ParseLevel reads a level name.
func ParseLevel(s string) (slog.Level, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "debug":
		return slog.LevelDebug, nil
	case "", "info":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("%w: unknown log level %q (want debug, info, warn or error)", ErrOption, s)
}

// New returns a logger writing to w as o says.
func New(w io.Writer, o Options) (*slog.Logger, error) {
	level, err := ParseLevel(o.Level)
	if err != nil {
		return nil, err
	}
	ho := &slog.HandlerOptions{Level: level}
	var h slog.Handler
	switch strings.ToLower(o.Format) {
	case "", "text":
		h = slog.NewTextHandler(w, ho)
	case "json":
		h = slog.NewJSONHandler(w, ho)
	default:
		return nil, fmt.Errorf("%w: unknown log format %q (want text or json)", ErrOption, o.Format)
	}
	if o.Burst >= 0 {
		h = NewRateLimited(h, o.Window, o.Burst, o.Now)
	}
	return slog.New(h), nil
}

// NewRateLimited wraps h with the repeat limit (see the package doc).
func NewRateLimited(h slog.Handler, window time.Duration, burst int, now func() time.Time) slog.Handler {
	if window <= 0 {
		window = 10 * time.Second
	}
	if burst <= 0 {
		burst = 5
	}
	if now == nil {
		now = time.Now
	}
	return &rateLimited{inner: h, st: &limiter{window: window, burst: burst, now: now, seen: map[limitKey]*limitState{}}}
}

type limitKey struct {
	level slog.Level
	msg   string
}

type limitState struct {
	start      time.Time
	count      int // records in the current window
	suppressed int // dropped in the current window
}

// limiter is shared by a handler and everything derived from it.
type limiter struct {
	window time.Duration
	burst  int
	now    func() time.Time
	mu     sync.Mutex // guards seen
	seen   map[limitKey]*limitState
}

// admit decides whether a record goes out and how many were dropped
// before it.
func (l *limiter) admit(k limitKey) (ok bool, dropped int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	t := l.now()
	s := l.seen[k]
	if s == nil {
		if len(l.seen) > 4096 { // bound memory on ever-new messages
			for key, st := range l.seen {
				if t.Sub(st.start) >= l.window {
					delete(l.seen, key)
				}
			}
		}
		s = &limitState{start: t}
		l.seen[k] = s
	}
	if t.Sub(s.start) >= l.window {
		dropped = s.suppressed
		*s = limitState{start: t}
	}
	if s.count >= l.burst {
		s.suppressed++
		return false, 0
	}
	s.count++
	return true, dropped
}

type rateLimited struct {
	inner slog.Handler
	st    *limiter
}

func (h *rateLimited) Enabled(ctx context.Context, l slog.Level) bool {
	return h.inner.Enabled(ctx, l)
}

func (h *rateLimited) Handle(ctx context.Context, r slog.Record) error {
	ok, dropped := h.st.admit(limitKey{r.Level, r.Message})
	if !ok {
		return nil
	}
	if dropped > 0 {
		r = r.Clone()
		r.AddAttrs(slog.Int("suppressed", dropped))
	}
	return h.inner.Handle(ctx, r)
}

func (h *rateLimited) WithAttrs(as []slog.Attr) slog.Handler {
	return &rateLimited{inner: h.inner.WithAttrs(as), st: h.st}
}

func (h *rateLimited) WithGroup(name string) slog.Handler {
	return &rateLimited{inner: h.inner.WithGroup(name), st: h.st}
}
