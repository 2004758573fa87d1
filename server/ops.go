package server

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/zkit-go/zkit/internal/admin"
	"github.com/zkit-go/zkit/internal/engine"
	"github.com/zkit-go/zkit/internal/metrics"
)

// The operations endpoints: ZooKeeper's AdminServer (admin.* keys) and its
// Prometheus metrics provider (metricsProvider.* keys), both read from
// Config.Properties with ZooKeeper's defaults. The AdminServer is on by
// default, as in ZooKeeper, for a configuration read from a zoo.cfg;
// DefaultConfig (the embedded configuration, and so testing.StartServer)
// turns it off, so tests and embedders never fight over port 8080.

// PrometheusProvider is the metricsProvider.className that turns on the
// /metrics endpoint.
const PrometheusProvider = "org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider"

// metricsProviders that export nothing (ZooKeeper's default and null).
var silentProviders = map[string]bool{
	"": true,
	"org.apache.zookeeper.metrics.impl.DefaultMetricsProvider": true,
	"org.apache.zookeeper.metrics.impl.NullMetricsProvider":    true,
}

// opsConfig is what the operations endpoints are configured to do.
type opsConfig struct {
	adminEnabled bool
	adminAddr    string
	commandURL   string
	adminIdle    time.Duration
	metricsOn    bool
	metricsAddr  string
}

// parseOpsConfig reads the admin.* and metricsProvider.* keys.
func parseOpsConfig(props map[string]string) (opsConfig, error) {
	get := func(k, def string) string {
		if v, ok := (Config{Properties: props}).Property(k); ok {
			return v
		}
		return def
	}
	o := opsConfig{commandURL: get("admin.commandURL", admin.DefaultCommandURL)}
	var err error
	bad := func(k string, err error) error { return &ConfigError{Key: k, Value: props[k], Err: err} }
	// ZooKeeper's Boolean.parseBoolean: anything but "true" is false.
	o.adminEnabled = strings.EqualFold(get("admin.enableServer", "true"), "true")
	port, err := parsePort(get("admin.serverPort", strconv.Itoa(admin.DefaultPort)))
	if err != nil {
		return o, bad("admin.serverPort", err)
	}
	o.adminAddr = net.JoinHostPort(get("admin.serverAddress", admin.DefaultAddress), strconv.Itoa(port))
	idle, err := strconv.Atoi(get("admin.idleTimeout", "30000"))
	if err != nil || idle <= 0 {
		return o, bad("admin.idleTimeout", errors.New("want a positive number of milliseconds"))
	}
	o.adminIdle = time.Duration(idle) * time.Millisecond

	class := get("metricsProvider.className", "")
	switch {
	case class == PrometheusProvider:
		o.metricsOn = true
	case !silentProviders[class]:
		return o, bad("metricsProvider.className", fmt.Errorf("unknown metrics provider (zkit knows %s)", PrometheusProvider))
	}
	mport, err := parsePort(get("metricsProvider.httpPort", "7000"))
	if err != nil {
		return o, bad("metricsProvider.httpPort", err)
	}
	o.metricsAddr = net.JoinHostPort(get("metricsProvider.httpHost", "0.0.0.0"), strconv.Itoa(mport))
	return o, nil
}

// initialConfig renders the properties as zoo.cfg lines, sorted by key
// (the original line order is not kept).
func initialConfig(props map[string]string) string {
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%s\n", k, props[k])
	}
	return b.String()
}

// opsServers are the running operations endpoints.
type opsServers struct {
	admin       *admin.Server
	metrics     *http.Server
	metricsLn   net.Listener
	metricsDone chan struct{}
}

// startOps starts what cfg enables; on error it stops what it started.
// e returns the engine serving now, or nil (an ensemble member between roles).
func startOps(cfg Config, oc opsConfig, e func() *engine.Engine) (*opsServers, error) {
	o := &opsServers{}
	if oc.adminEnabled {
		a, err := admin.New(admin.Config{
			Addr:        oc.adminAddr,
			CommandURL:  oc.commandURL,
			IdleTimeout: oc.adminIdle,
			EngineFunc:  e,
			Info:        admin.Info{InitialConfig: initialConfig(cfg.Properties), Properties: cfg.Properties},
			Logger:      cfg.Logger,
			Listen:      cfg.Listen,
		})
		if err != nil {
			return nil, err
		}
		if err := a.Start(); err != nil {
			return nil, fmt.Errorf("server: admin server: %w", err)
		}
		o.admin = a
		cfg.Logger.Info("admin server listening", "addr", a.Addr().String(), "commandURL", oc.commandURL)
	}
	if oc.metricsOn {
		ln, err := cfg.Listen("tcp", oc.metricsAddr)
		if err != nil {
			o.close()
			return nil, fmt.Errorf("server: metrics endpoint: listen on %s: %w", oc.metricsAddr, err)
		}
		// A registry of the server's own (no global state): the engine's
		// metrics, read from whichever engine serves at scrape time, plus
		// the Go runtime and process collectors.
		reg := metrics.NewPrometheusRegistry(func() *metrics.Registry {
			if cur := e(); cur != nil {
				return cur.Metrics()
			}
			return nil
		})
		promHandler := metrics.Handler(reg)
		mux := http.NewServeMux()
		mux.Handle("/metrics", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if e() == nil {
				http.Error(w, "This ZooKeeper instance is not currently serving requests", http.StatusServiceUnavailable)
				return
			}
			promHandler.ServeHTTP(w, r)
		}))
		o.metrics = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		o.metricsLn = ln
		o.metricsDone = make(chan struct{})
		go func() {
			defer close(o.metricsDone)
			o.metrics.Serve(ln)
		}()
		cfg.Logger.Info("metrics endpoint listening", "addr", ln.Addr().String()+"/metrics")
	}
	return o, nil
}

// close stops the endpoints and waits for their goroutines.
func (o *opsServers) close() {
	if o == nil {
		return
	}
	if o.admin != nil {
		o.admin.Close()
	}
	if o.metrics != nil {
		o.metrics.Close()
		<-o.metricsDone
	}
}

// AdminAddr returns the AdminServer's address, or nil when it is not
// running.
func (s *Server) AdminAddr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ops == nil || s.ops.admin == nil {
		return nil
	}
	return s.ops.admin.Addr()
}

// MetricsAddr returns the Prometheus endpoint's address, or nil when it is
// not running.
func (s *Server) MetricsAddr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ops == nil || s.ops.metricsLn == nil {
		return nil
	}
	return s.ops.metricsLn.Addr()
}
