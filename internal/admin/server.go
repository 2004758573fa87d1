package admin

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/zkit-go/zkit/internal/engine"
)

// Defaults, as ZooKeeper's JettyAdminServer.
const (
	DefaultPort       = 8080
	DefaultAddress    = "0.0.0.0"
	DefaultCommandURL = "/commands"
	DefaultIdle       = 30 * time.Second
)

// ErrStarted reports a second Start.
var ErrStarted = errors.New("admin: already started")

// Config configures a Server.
type Config struct {
	// Addr is host:port to listen on (admin.serverAddress, admin.serverPort).
	Addr string
	// CommandURL is the path prefix of the commands (admin.commandURL).
	CommandURL string
	// IdleTimeout closes idle keep-alive connections (admin.idleTimeout).
	IdleTimeout time.Duration
	Engine      *engine.Engine
	// EngineFunc, when Engine is nil, returns the engine serving now, or
	// nil while none does (an ensemble member between roles).
	EngineFunc func() *engine.Engine
	Info       Info
	Logger     *slog.Logger
	// Listen opens the listener; nil means net.Listen.
	Listen func(network, address string) (net.Listener, error)
}

// Server is a running AdminServer.
type Server struct {
	cfg  Config
	http *http.Server

	mu      sync.Mutex // guards ln and started
	ln      net.Listener
	started bool
	done    chan struct{} // closed when the serve goroutine returns
}

// New prepares a server; it binds nothing.
func New(cfg Config) (*Server, error) {
	if cfg.Engine == nil && cfg.EngineFunc == nil {
		return nil, errors.New("admin: no engine")
	}
	if cfg.CommandURL == "" {
		cfg.CommandURL = DefaultCommandURL
	}
	if !strings.HasPrefix(cfg.CommandURL, "/") {
		cfg.CommandURL = "/" + cfg.CommandURL
	}
	cfg.CommandURL = strings.TrimRight(cfg.CommandURL, "/")
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = DefaultIdle
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Listen == nil {
		cfg.Listen = net.Listen
	}
	s := &Server{cfg: cfg, done: make(chan struct{})}
	s.http = &http.Server{
		Handler:           s.Handler(),
		IdleTimeout:       cfg.IdleTimeout,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelWarn),
	}
	return s, nil
}

// Handler routes the command URL; see the package doc.
func (s *Server) Handler() http.Handler {
	if s.cfg.Engine != nil {
		return Handler(s.cfg.Engine, &s.cfg.Info, s.cfg.CommandURL)
	}
	return handler(s.cfg.EngineFunc, &s.cfg.Info, s.cfg.CommandURL)
}

// notServing is the error a command gets while no engine serves, in
// ZooKeeper's words.
const notServing = "This ZooKeeper instance is not currently serving requests"

// Handler serves the admin commands of e under commandURL.
func Handler(e *engine.Engine, info *Info, commandURL string) http.Handler {
	return handler(func() *engine.Engine { return e }, info, commandURL)
}

func handler(get func() *engine.Engine, info *Info, commandURL string) http.Handler {
	if commandURL == "" {
		commandURL = DefaultCommandURL
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rest, ok := strings.CutPrefix(r.URL.Path, commandURL)
		if !ok || (rest != "" && rest[0] != '/') {
			http.NotFound(w, r)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		name := strings.TrimPrefix(rest, "/")
		if name == "" {
			w.Header().Set("Content-Type", "text/html;charset=utf-8")
			var b strings.Builder
			for _, n := range PrimaryNames() {
				fmt.Fprintf(&b, "<a href=\"%s/%s\">%s</a>\n<br/>\n", commandURL, n, n)
			}
			w.Write([]byte(b.String()))
			return
		}
		args := make(map[string]string)
		for k, v := range r.URL.Query() {
			if len(v) > 0 {
				args[k] = v[0]
			}
		}
		var resp *Object
		if e := get(); e != nil {
			resp = Run(e, info, name, args)
		} else {
			resp = &Object{}
			resp.Set("command", name)
			resp.Set("error", notServing)
		}
		body, err := json.MarshalIndent(resp, "", "  ")
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	})
}

// Start binds the address and serves until Close.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return ErrStarted
	}
	ln, err := s.cfg.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("admin: listen on %s: %w", s.cfg.Addr, err)
	}
	s.started, s.ln = true, ln
	go func() {
		defer close(s.done)
		if err := s.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.cfg.Logger.Error("admin server stopped", "err", err)
		}
	}()
	return nil
}

// Addr returns the listener's address, or nil before Start.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return nil
	}
	return s.ln.Addr()
}

// Close stops serving and waits for the serve goroutine. It is idempotent.
func (s *Server) Close() error {
	s.mu.Lock()
	started := s.started
	s.mu.Unlock()
	err := s.http.Close()
	if started {
		<-s.done
	}
	return err
}
