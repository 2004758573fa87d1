package testport

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
)

// Listen binds a loopback port below the kernel's ephemeral range and
// returns its listener; the caller closes it (or hands it to its server).
func Listen() (net.Listener, error) {
	lo := ephemeralLow()
	base := lo - 16000
	if base < 1024 {
		return net.Listen("tcp", "127.0.0.1:0")
	}
	start := rand.IntN(16000)
	var err error
	for i := 0; i < 2000; i++ {
		port := base + (start+i*7919)%16000
		var ln net.Listener
		if ln, err = net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port))); err == nil {
			return ln, nil
		}
	}
	return nil, err
}

// Free returns a loopback port below the ephemeral range that was free
// when it returned. Another process may take it before the caller binds
// it; callers that can keep the listener should use Listen.
func Free() (int, error) {
	ln, err := Listen()
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// ephemeralLow is the low end of the kernel's ephemeral port range.
func ephemeralLow() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 32768
	}
	var lo, hi int
	if _, err := fmt.Sscan(string(b), &lo, &hi); err != nil || lo <= 0 {
		return 32768
	}
	return lo
}
