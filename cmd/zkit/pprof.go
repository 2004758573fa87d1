package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"
)

// pprofEnv names the environment variable that turns on `zkit server`'s
// profiling endpoint: a loopback host:port (port 0 picks a free one, which
// the server logs). Unset, nothing listens. It serves Go's net/http/pprof
// handlers under /debug/pprof/ (CPU profile, heap, goroutines, execution
// trace) for measuring the server, as docs/performance.md does; it is not
// for production, so only a loopback address is accepted.
const pprofEnv = "ZKIT_PPROF_ADDR"

// errPprofAddr: the endpoint's address is not a loopback host:port.
var errPprofAddr = errors.New("zkit server: " + pprofEnv + " wants a loopback host:port (127.0.0.1:0, [::1]:6060)")

// pprofServer is the running endpoint; stop ends it and waits for it.
type pprofServer struct {
	srv  *http.Server
	done chan struct{}
}

// startPprof starts the endpoint on addr ("" starts nothing and returns
// nil). A non-loopback address is refused: the handlers expose the
// process's memory and let anyone load it.
func startPprof(addr string, logger *slog.Logger) (*pprofServer, error) {
	if addr == "" {
		return nil, nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("%w: %q: %v", errPprofAddr, addr, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("%w: %q", errPprofAddr, addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("zkit server: %s: %w", pprofEnv, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	p := &pprofServer{
		srv:  &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second},
		done: make(chan struct{}),
	}
	go func() {
		defer close(p.done)
		if err := p.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Warn("pprof endpoint stopped", "err", err)
		}
	}()
	logger.Info("pprof endpoint listening (profiling only, "+pprofEnv+")", "addr", "http://"+ln.Addr().String()+"/debug/pprof/")
	return p, nil
}

// stop closes the endpoint (cutting any profile in progress) and waits
// for its goroutine.
func (p *pprofServer) stop() {
	if p == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := p.srv.Shutdown(ctx); err != nil {
		p.srv.Close()
	}
	<-p.done
}
