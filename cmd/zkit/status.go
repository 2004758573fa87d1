package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/zkit-go/zkit/server"
)

func init() {
	register(command{
		name:    "status",
		summary: "status [zoo.cfg|host:port]\n                     ask a server its mode with srvr, as zkServer.sh status (default 127.0.0.1:2181)",
		run: func(args []string, _ io.Reader, stdout, stderr io.Writer) int {
			return runStatus(args, stdout, stderr, 5*time.Second)
		},
	})
}

// runStatus prints what zkServer.sh status prints: the client port it
// found, then the server's "Mode: ..." line, or an error and exit status 1
// when the server does not answer.
func runStatus(args []string, stdout, stderr io.Writer, timeout time.Duration) int {
	host, port, secure := "127.0.0.1", 2181, false
	switch len(args) {
	case 0:
	case 1:
		var err error
		if host, port, secure, err = statusTarget(args[0], stdout, stderr); err != nil {
			fmt.Fprintf(stderr, "zkit status: %v\n", err)
			return 2
		}
	default:
		fmt.Fprintln(stderr, "usage: zkit status [zoo.cfg|host:port]")
		return 2
	}
	fmt.Fprintf(stdout, "Client port found: %d. Client address: %s. Client SSL: %t.\n", port, host, secure)
	dial := plainDial
	if secure {
		dial = secureDial(os.Getenv("CLIENT_JVMFLAGS"))
	}
	mode, err := srvrMode(net.JoinHostPort(host, strconv.Itoa(port)), timeout, dial)
	if err != nil || mode == "" {
		if secure {
			fmt.Fprint(stdout, secureStatusNote(port))
		}
		fmt.Fprintln(stdout, "Error contacting service. It is probably not running.")
		return 1
	}
	fmt.Fprintln(stdout, mode)
	return 0
}

// statusTarget resolves the argument: an existing file is a zoo.cfg,
// anything else host:port.
func statusTarget(arg string, stdout, stderr io.Writer) (string, int, bool, error) {
	if _, err := os.Stat(arg); err != nil {
		h, p, err := net.SplitHostPort(arg)
		if err != nil {
			return "", 0, false, fmt.Errorf("%q is neither a zoo.cfg nor host:port", arg)
		}
		port, err := strconv.Atoi(p)
		if err != nil || port <= 0 || port > 65535 {
			return "", 0, false, fmt.Errorf("bad port in %q", arg)
		}
		return h, port, false, nil
	}
	fmt.Fprintf(stderr, "Using config: %s\n", arg)
	cfg, err := server.ParseConfig(arg)
	if err != nil {
		return "", 0, false, err
	}
	host := cfg.ClientPortAddress
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost" // zkServer.sh's default
	}
	if cfg.ClientPort != 0 {
		return host, cfg.ClientPort, false, nil
	}
	// As zkServer.sh: no clientPort, so take this member's client address
	// from its server.<myid> line.
	for _, s := range cfg.Servers {
		if s.ID == cfg.ServerID && s.ClientAddress != "" {
			h, p, _ := net.SplitHostPort(s.ClientAddress)
			port, _ := strconv.Atoi(p)
			if h == "0.0.0.0" || h == "::" {
				h = host
			}
			return h, port, false, nil
		}
	}
	if h, port, ok := secureStatusTarget(cfg, stdout); ok {
		return h, port, true, nil
	}
	return "", 0, false, fmt.Errorf("%s: client port not found in the server configs", arg)
}

// srvrMode sends srvr and returns its "Mode: ..." line.
func srvrMode(addr string, timeout time.Duration, dial func(addr string, timeout time.Duration) (net.Conn, error)) (string, error) {
	c, err := dial(addr, timeout)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(timeout))
	if _, err := c.Write([]byte("srvr")); err != nil {
		return "", err
	}
	sc := bufio.NewScanner(c)
	for sc.Scan() {
		if line := sc.Text(); strings.HasPrefix(line, "Mode: ") {
			return line, nil
		}
	}
	return "", sc.Err()
}
