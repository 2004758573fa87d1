package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/zkit-go/zkit/internal/buildinfo"
	"github.com/zkit-go/zkit/internal/logging"
	"github.com/zkit-go/zkit/server"
)

func init() {
	register(command{
		name: "server",
		summary: "server [flags] [zoo.cfg]\n                     run a ZooKeeper-compatible server; without a zoo.cfg it\n" +
			"                     serves standalone on 127.0.0.1:2181 with its data in ./data\n" +
			"                     (-port, -data-dir, -config, -log-level, -log-format, -check, -from-env)",
		run: func(args []string, _ io.Reader, stdout, stderr io.Writer) int {
			return runServer(args, stdout, stderr)
		},
		ownHelp: true,
	})
}

// serverOptions are `zkit server`'s flags and argument.
type serverOptions struct {
	config    string // zoo.cfg path, "" for the zero-config default
	port      int    // 0: from the file or the default
	dataDir   string // "": from the file or the default
	logLevel  string
	logFormat string
	check     bool
	fromEnv   bool
}

const serverUsage = `usage: zkit server [flags] [zoo.cfg]

Runs a ZooKeeper-compatible server. Without a zoo.cfg (argument or -config)
it serves standalone on 127.0.0.1:2181 with its data in ./data. Flags
override the file's clientPort and dataDir.

ZKIT_PPROF_ADDR=127.0.0.1:PORT in the environment serves Go's pprof
handlers (/debug/pprof/) on that loopback address, for profiling; port 0
picks one and logs it. Unset (the default), nothing listens.

flags:
`

// errReported is a usage error the flag package has already printed.
var errReported = errors.New("usage error")

// parseServerArgs reads `zkit server`'s command line. Flags may come
// before or after the zoo.cfg argument. It returns flag.ErrHelp for -h.
func parseServerArgs(args []string, stderr io.Writer) (serverOptions, error) {
	var o serverOptions
	fs := flag.NewFlagSet("zkit server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), serverUsage)
		fs.PrintDefaults()
	}
	fs.StringVar(&o.config, "config", "", "read the configuration from this zoo.cfg `file`")
	fs.Func("port", "client `port` (overrides clientPort; default 2181 without a zoo.cfg)", func(v string) error {
		p, err := strconv.Atoi(v)
		if err != nil || p < 1 || p > 65535 {
			return errors.New("want a port number from 1 to 65535")
		}
		o.port = p
		return nil
	})
	fs.StringVar(&o.dataDir, "data-dir", "", "data `directory` (overrides dataDir; default ./data without a zoo.cfg)")
	fs.StringVar(&o.logLevel, "log-level", "info", "log `level`: debug, info, warn or error")
	fs.StringVar(&o.logFormat, "log-format", "text", "log `format`: text or json")
	fs.BoolVar(&o.check, "check", false, "check the configuration, print any problem and exit (0: valid, 1: not)")
	fs.BoolVar(&o.fromEnv, "from-env", false, "write the -config file from the official ZooKeeper image's ZOO_* environment variables\nwhen it does not exist (and dataDir/myid from ZOO_MY_ID), then serve")
	var positional []string
	for rest := args; ; {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return o, err
			}
			return o, errReported // the flag package printed it, with the usage
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	switch {
	case len(positional) > 1:
		return o, fmt.Errorf("want at most one zoo.cfg, got %q", positional)
	case len(positional) == 1 && o.config != "" && positional[0] != o.config:
		return o, fmt.Errorf("zoo.cfg given twice: -config %q and argument %q", o.config, positional[0])
	case len(positional) == 1:
		o.config = positional[0]
	}
	if o.fromEnv && o.config == "" {
		return o, errors.New("-from-env needs -config, the zoo.cfg to write")
	}
	if o.check && o.config == "" {
		return o, errors.New("-check needs a zoo.cfg to check")
	}
	if _, err := logging.ParseLevel(o.logLevel); err != nil {
		return o, fmt.Errorf("-log-level: %w", err)
	}
	if f := strings.ToLower(o.logFormat); f != "text" && f != "json" {
		return o, fmt.Errorf("-log-format: %q is not text or json", o.logFormat)
	}
	return o, nil
}

// serverConfig builds the server's configuration: the zoo.cfg (or the
// zero-config default) with the flags on top.
func serverConfig(o serverOptions) (server.Config, error) {
	cfg := server.DefaultConfig()
	if o.config != "" {
		var err error
		if cfg, err = server.ParseConfig(o.config); err != nil {
			return cfg, err
		}
	}
	// Java's -D system properties, as zkServer.sh passes them
	// (SERVER_JVMFLAGS, set in conf/java.env); the flags below win.
	if err := cfg.ApplyJVMFlags(server.JVMFlagsFromEnv(os.Getenv)); err != nil {
		return cfg, err
	}
	if o.port != 0 {
		cfg.ClientPort = o.port
	}
	// A member's server line may name its client address; it wins over
	// clientPort, so -port would be silently ignored.
	for _, qs := range cfg.Servers {
		if o.port != 0 && qs.ID == cfg.ServerID && qs.ClientAddress != "" {
			return cfg, fmt.Errorf("-port %d: server.%d's line sets the client address (%s); change it there", o.port, qs.ID, qs.ClientAddress)
		}
	}
	if o.dataDir != "" {
		cfg.DataDir = o.dataDir
		if o.config != "" {
			// ParseConfig read myid from the file's dataDir; the member's
			// id lives in the directory it will use.
			id, err := readMyID(o.dataDir)
			if err != nil {
				return cfg, err
			}
			cfg.ServerID = id
		}
	}
	return cfg, nil
}

// readMyID reads dir/myid as ZooKeeper does; 0 when there is none.
func readMyID(dir string) (int64, error) {
	b, err := os.ReadFile(filepath.Join(dir, "myid"))
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	id, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s/myid: %q is not a server id", dir, strings.TrimSpace(string(b)))
	}
	return id, nil
}

func runServer(args []string, stdout, stderr io.Writer) int {
	o, err := parseServerArgs(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		if !errors.Is(err, errReported) {
			fmt.Fprintf(stderr, "zkit server: %v\nrun 'zkit server -h' for usage\n", err)
		}
		return 2
	}
	if o.fromEnv {
		if err := writeConfigFromEnv(o.config, os.Getenv); err != nil {
			fmt.Fprintf(stderr, "zkit server: -from-env: %v\n", err)
			return 1
		}
	}
	cfg, err := serverConfig(o)
	if o.check {
		if err == nil {
			cfg.Logger = slog.New(newCheckLogHandler(stdout, o.config))
			err = server.Validate(cfg)
		}
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", o.config, err)
			return 1
		}
		warnings, _ := cfg.Check() // Validate has reported Check's errors
		for _, w := range warnings {
			fmt.Fprintf(stdout, "%s: warning: %s\n", o.config, w)
		}
		fmt.Fprintf(stdout, "%s: OK\n", o.config)
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "zkit server: %v\n", err)
		return 1
	}
	logger, err := logging.New(stderr, logging.Options{Level: o.logLevel, Format: o.logFormat})
	if err != nil { // checked by parseServerArgs
		fmt.Fprintf(stderr, "zkit server: %v\n", err)
		return 2
	}
	cfg.Logger = logger
	in := buildinfo.Read()
	source := o.config
	if source == "" {
		source = "(none: zero-config default)"
	}
	logger.Info("zkit starting", "version", in.Module, "revision", in.ShortRevision(), "go", in.GoVersion, "config", source)
	prof, err := startPprof(os.Getenv(pprofEnv), logger)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	defer prof.stop()
	return serve(cfg, logger, stderr)
}

func serve(cfg server.Config, logger *slog.Logger, stderr io.Writer) int {
	// Catch the signals before serving: a signal arriving once clients can
	// connect stops the server cleanly.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	s, err := server.New(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "zkit server: %v\n", err)
		return 1
	}
	if err := s.Start(); err != nil {
		fmt.Fprintf(stderr, "zkit server: %v\n", err)
		return 1
	}
	select {
	case <-ctx.Done():
		logger.Info("shutting down on signal")
	case <-s.Done():
	}
	if err := s.Close(); err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintf(stderr, "zkit server: server stopped: %v\n", err)
		return 1
	}
	return 0
}
