//go:build linux

package cli

import (
	"errors"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	zktesting "github.com/zkit-go/zkit/testing"
)

// openPTY opens a pseudo-terminal pair (Linux /dev/ptmx).
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	var unlock int32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, m.Fd(), syscall.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock))); e != 0 {
		m.Close()
		t.Skipf("unlockpt: %v", e)
	}
	var n uint32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, m.Fd(), syscall.TIOCGPTN, uintptr(unsafe.Pointer(&n))); e != 0 {
		m.Close()
		t.Skipf("ptsname: %v", e)
	}
	s, err := os.OpenFile("/dev/pts/"+strconv.Itoa(int(n)), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		m.Close()
		t.Skipf("open pts: %v", err)
	}
	t.Cleanup(func() { s.Close(); m.Close() })
	return m, s
}

// TestTerminal runs the shell on a pseudo-terminal: prompt with the
// connection state, raw-mode editing, history recall, and watch events
// printed while a line is being typed.
func TestTerminal(t *testing.T) {
	if !isTerminal(os.Stdin) && !fileExists("/dev/ptmx") {
		t.Skip("no pseudo-terminals")
	}
	master, slave := openPTY(t)
	require.True(t, isTerminal(slave))
	srv := zktesting.StartServer(t)
	out, errb := &syncBuffer{}, &syncBuffer{}
	rc := make(chan int, 1)
	go func() { rc <- Main([]string{"-server", srv.Addr()}, slave, out, errb) }()
	// Drain what the terminal echoes back (nothing in raw mode, but the
	// master must not fill up).
	go func() { _, _ = io.Copy(io.Discard, master) }()

	prompt := "[zk: " + srv.Addr() + "(CONNECTED) "
	waitFor(t, out, "JLine support is enabled\n", 1)
	waitFor(t, out, prompt+"0] ", 1)
	type_ := func(s string) {
		_, err := master.WriteString(s)
		require.NoError(t, err)
	}
	type_("create /a hello\r")
	waitFor(t, errb, "Created /a\r\n", 1)
	waitFor(t, out, prompt+"1] ", 1)
	type_("get -w /b\x7fa\r") // a typo fixed with backspace
	waitFor(t, out, "hello\r\n", 1)
	waitFor(t, out, prompt+"2] ", 1)
	// Recall "create /a hello" and turn it into "set /a hello".
	type_("\x1b[A\x1b[A\x01" + strings.Repeat("\x1b[3~", 6) + "set\r")
	waitFor(t, out, "WatchedEvent state:SyncConnected type:NodeDataChanged path:/a\r\n", 1)
	waitFor(t, out, prompt+"3] ", 1)
	type_("history\r")
	waitFor(t, out, "2 - set /a hello\r\n", 1)
	waitFor(t, out, prompt+"4] ", 1)
	type_("ls /\x04\r") // ^D at the end of a line deletes nothing
	waitFor(t, out, "[a, zookeeper]\r\n", 1)
	waitFor(t, out, prompt+"5] ", 1)
	type_("\x04") // ^D on an empty line: end of input
	select {
	case code := <-rc:
		assert.Equal(t, 0, code)
	case <-time.After(zktesting.Scale(20 * time.Second)):
		t.Fatal("shell did not exit on ^D")
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return !errors.Is(err, os.ErrNotExist)
}
