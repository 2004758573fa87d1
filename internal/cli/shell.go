package cli

import (
	"bufio"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zkit-go/zkit/internal/proto"
)

// Options configure a Shell; they mirror zkCli's command-line flags.
type Options struct {
	Server   string        // -server: connect string, optionally with a chroot (default localhost:2181)
	Timeout  time.Duration // -timeout: session timeout (default 30s)
	ReadOnly bool          // -r: accept a read-only server
	// Properties are the client's Java properties (ClientProperties):
	// CLIENT_JVMFLAGS -D options and the -client-configuration file.
	Properties map[string]string
	// TLS, when set, makes every connection TLS (ClientTLS).
	TLS *tls.Config
	// SASL is the client's SASL login (sasl.go).
	SASL SASLSetup
}

// Shell is one zkCli session: the client handle, the command history and
// the output streams. Its methods are for one goroutine (the one reading
// commands); session and watch events are printed from the session's
// goroutine under the same output lock.
type Shell struct {
	opts     Options
	outMu    *sync.Mutex // guards writes to out and errw, so events and command output do not interleave mid-line
	out      io.Writer
	errw     io.Writer
	sess     *session
	host     string
	watching atomic.Bool // printwatches
	// beforeEvent and afterEvent, if set, are called with outMu held
	// around an event's text, so a line editor can wipe and redraw the
	// line being edited.
	beforeEvent, afterEvent func()

	history  map[int]string
	count    int
	exitCode int
	quit     bool
}

// NewShell makes a shell; it does not connect until Connect or the first
// command that needs the server.
func NewShell(opts Options, stdout, stderr io.Writer) *Shell {
	if opts.Server == "" {
		opts.Server = "localhost:2181"
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 30 * time.Second
	}
	sh := &Shell{opts: opts, outMu: new(sync.Mutex), out: stdout, errw: stderr, history: map[int]string{}}
	sh.watching.Store(true)
	return sh
}

func (sh *Shell) outf(format string, a ...any) {
	sh.outMu.Lock()
	defer sh.outMu.Unlock()
	fmt.Fprintf(sh.out, format, a...)
}

func (sh *Shell) errf(format string, a ...any) {
	sh.outMu.Lock()
	defer sh.outMu.Unlock()
	fmt.Fprintf(sh.errw, format, a...)
}

// lockedWriter writes to w under the shell's output lock.
type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (sh *Shell) errWriter() io.Writer { return lockedWriter{sh.outMu, sh.errw} }

func (sh *Shell) printStat(s proto.Stat) {
	sh.outMu.Lock()
	defer sh.outMu.Unlock()
	printStat(sh.out, s)
}

// event prints a watch or session event as zkCli's watcher does, unless
// printwatches is off.
func (sh *Shell) event(e Event) {
	if !sh.watching.Load() {
		return
	}
	sh.outMu.Lock()
	defer sh.outMu.Unlock()
	if sh.beforeEvent != nil {
		sh.beforeEvent()
	}
	io.WriteString(sh.out, "\nWATCHER::\n\n"+e.String()+"\n")
	if sh.afterEvent != nil {
		sh.afterEvent()
	}
}

// Connect replaces the session with a new one to server (zkCli's
// connectToZK). In one-shot mode the dial waits for the first request.
func (sh *Shell) Connect(server string, now bool) error {
	if sh.sess != nil && sh.sess.State().alive() {
		sh.sess.close(true)
	}
	sh.host = server
	cs, err := parseConnectString(server)
	if err != nil {
		return err
	}
	sh.sess = newSession(cs, sh.opts.Timeout, sh.opts.ReadOnly, sh.event)
	sh.sess.sasl = sh.opts.SASL
	sh.sess.tls = sh.opts.TLS
	if now {
		sh.sess.start()
	}
	return nil
}

// Close ends the session quietly (quit).
func (sh *Shell) Close() {
	if sh.sess != nil {
		sh.sess.close(false)
	}
}

// Abandon stops the client but leaves the session to time out at the
// server, as zkCli does when it exits at the end of input or after a
// one-shot command: its ephemeral nodes outlive the process for the
// session timeout.
func (sh *Shell) Abandon() {
	if sh.sess != nil {
		sh.sess.abandon()
	}
}

// Prompt is zkCli's prompt: "[zk: host(STATE) n] ".
func (sh *Shell) Prompt() string {
	state := "CLOSED"
	if sh.sess != nil {
		state = sh.sess.State().String()
	}
	return "[zk: " + sh.host + "(" + state + ") " + strconv.Itoa(sh.count) + "] "
}

// ExitCode is the code zkCli would exit with now: that of the last command.
func (sh *Shell) ExitCode() int { return sh.exitCode }

// Quit reports whether the quit command ran.
func (sh *Shell) Quit() bool { return sh.quit }

// ExecuteLine runs one interactive line (zkCli's executeLine): blank
// lines are ignored, others go into the history and run.
func (sh *Shell) ExecuteLine(line string) {
	if line == "" {
		return
	}
	tokens := splitLine(line)
	sh.history[sh.count] = line
	sh.process(tokens)
	sh.count++
}

// HistoryLines returns the lines entered so far, oldest first.
func (sh *Shell) HistoryLines() []string {
	out := make([]string, 0, sh.count)
	for i := 0; i < sh.count; i++ {
		out = append(out, sh.history[i])
	}
	return out
}

// process runs one command and records its exit code (processCmd).
func (sh *Shell) process(tokens []string) {
	err := sh.processZK(tokens)
	if sh.sess != nil {
		sh.sess.flush()
	}
	if sh.quit {
		return // zkCli exits with the code of the command before quit
	}
	if err == nil {
		sh.exitCode = 0
		return
	}
	var ce *cliError
	if errors.As(err, &ce) {
		sh.exitCode = ce.code
		sh.errf("%s\n", ce.msg)
		return
	}
	// An exception zkCli does not catch (a bad number): Java prints it and
	// dies; the shell prints it the same way and goes on.
	sh.exitCode = 1
	sh.errf("%s\n", err.Error())
}

// processZK is processZKCmd: the shell's own commands, then the "Not
// connected" check, then the command table.
func (sh *Shell) processZK(args []string) error {
	if len(args) < 1 {
		sh.errf("%s", usageText())
		return cliErr("No command entered")
	}
	cmd := args[0]
	c, ok := commands[cmd]
	if !ok {
		sh.errf("%s", usageText())
		return &cliError{msg: "Command not found: Command not found " + cmd, code: 127}
	}
	switch {
	case cmd == "quit":
		sh.quit = true
		return nil
	case cmd == "redo" && len(args) >= 2:
		i, err := parseJavaDecode(args[1])
		if err != nil {
			return err
		}
		if sh.count <= i || i < 0 {
			return cliErr("Command index out of range")
		}
		line := sh.history[i]
		tokens := splitLine(line)
		if len(tokens) > 0 && tokens[0] == "redo" {
			return cliErr("No redoing redos")
		}
		sh.history[sh.count] = line
		sh.process(tokens)
	case cmd == "history":
		for i := sh.count - 10; i <= sh.count; i++ {
			if i < 0 {
				continue
			}
			line, ok := sh.history[i]
			if !ok {
				line = "null"
			}
			sh.outf("%d - %s\n", i, line)
		}
	case cmd == "printwatches":
		if len(args) == 1 {
			state := "off"
			if sh.watching.Load() {
				state = "on"
			}
			sh.outf("printwatches is %s\n", state)
		} else {
			sh.watching.Store(args[1] == "on")
		}
	case cmd == "connect":
		server := sh.host
		if len(args) >= 2 {
			server = args[1]
		}
		if err := sh.Connect(server, true); err != nil {
			return cliErr(err.Error())
		}
	}
	if sh.sess == nil || !sh.sess.State().alive() {
		sh.outf("Not connected\n")
		return nil
	}
	if c.run == nil {
		return nil
	}
	return c.run(sh, append([]string(nil), args...))
}

// parseJavaDecode is Integer.decode: decimal, 0x/#-hex or 0-octal, signed.
func parseJavaDecode(s string) (int, error) {
	t := s
	neg := false
	if strings.HasPrefix(t, "-") || strings.HasPrefix(t, "+") {
		neg, t = t[0] == '-', t[1:]
	}
	base := 10
	switch {
	case strings.HasPrefix(t, "0x"), strings.HasPrefix(t, "0X"):
		base, t = 16, t[2:]
	case strings.HasPrefix(t, "#"):
		base, t = 16, t[1:]
	case strings.HasPrefix(t, "0") && len(t) > 1:
		base, t = 8, t[1:]
	}
	v, err := strconv.ParseInt(t, base, 32)
	if err != nil || t == "" || t[0] == '-' || t[0] == '+' {
		return 0, numberFormatError(s)
	}
	if neg {
		v = -v
	}
	return int(v), nil
}

// Main runs `zkit cli` with zkCli.sh's arguments and returns the exit code.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	opts := Options{Server: "localhost:2181", Timeout: 30 * time.Second}
	var cmd []string
	var configPath string
	for i := 0; i < len(args); i++ {
		a := args[i]
		needs := func() (string, bool) {
			if i+1 >= len(args) {
				fmt.Fprintf(stderr, "Error: no argument found for option %s\n", a)
				return "", false
			}
			i++
			return args[i], true
		}
		switch a {
		case "-server":
			if v, ok := needs(); ok {
				opts.Server = v
			}
			continue
		case "-timeout":
			if v, ok := needs(); ok {
				ms, err := strconv.Atoi(v)
				if err != nil {
					fmt.Fprintf(stderr, "Exception in thread \"main\" java.lang.NumberFormatException: For input string: \"%s\"\n", v)
					return 1
				}
				opts.Timeout = time.Duration(ms) * time.Millisecond
			}
			continue
		case "-r":
			opts.ReadOnly = true
			continue
		case "-client-configuration":
			if v, ok := needs(); ok {
				configPath = v
			}
			continue
		case "-waitforconnection":
			continue
		}
		if !strings.HasPrefix(a, "-") {
			cmd = args[i:]
			break
		}
	}
	// zkCli.sh passes $CLIENT_JVMFLAGS $JVMFLAGS to Java: the later wins.
	props, err := ClientProperties(os.Getenv("CLIENT_JVMFLAGS")+" "+os.Getenv("JVMFLAGS"), configPath)
	if err == nil {
		opts.Properties = props
		opts.TLS, err = ClientTLS(props)
	}
	if err != nil {
		fmt.Fprintf(stderr, "Exception in thread \"main\" %v\n", err)
		return 1
	}
	// ClientProperties has parsed these flags without error above.
	sys, _ := JVMSystemProperties(os.Getenv("CLIENT_JVMFLAGS") + " " + os.Getenv("JVMFLAGS"))
	opts.SASL = ResolveSASL(sys, props)
	if opts.SASL.LoginErr != nil {
		// Java logs this and goes on without SASL (an AuthFailed event).
		fmt.Fprintf(stderr, "SASL configuration failed: %v Will continue connection to Zookeeper server without SASL authentication, if Zookeeper server allows it.\n", opts.SASL.LoginErr)
	}
	sh := NewShell(opts, stdout, stderr)
	fmt.Fprintf(stdout, "Connecting to %s\n", opts.Server)
	if err := sh.Connect(opts.Server, cmd == nil); err != nil {
		fmt.Fprintf(stderr, "Exception in thread \"main\" java.lang.IllegalArgumentException: %v\n", err)
		return 1
	}
	defer func() {
		if sh.quit {
			sh.Close()
		} else {
			sh.Abandon()
		}
	}()
	if cmd != nil {
		sh.process(cmd)
		return sh.exitCode
	}
	sh.outf("Welcome to ZooKeeper!\n") // the session may already be printing events
	if f, ok := stdin.(*os.File); ok && isTerminal(f) {
		sh.outf("JLine support is enabled\n")
		return runTerminal(sh, f, stdout)
	}
	sh.outf("JLine support is disabled\n")
	r := bufio.NewReader(stdin)
	for !sh.quit {
		line, err := r.ReadString('\n')
		if line != "" || err == nil {
			sh.ExecuteLine(strings.TrimRight(line, "\r\n"))
		}
		if err != nil {
			break
		}
	}
	return sh.exitCode
}
