package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"unicode"
)

// errInterrupted is returned by readLine on ^C: the line is dropped.
var errInterrupted = errors.New("cli: interrupted")

// editor is a small line editor for a terminal in raw mode: insert and
// delete, cursor movement (arrows, ^A ^E ^B ^F, Home, End), ^K ^U ^W
// kills, history with up/down (and ^P ^N), ^D on an empty line for end
// of input, ^C to drop the line, ^L to clear the screen.
//
// Drawing happens under mu, the shell's output lock, so a watch event
// printed meanwhile can clear the line first and redraw it after.
type editor struct {
	in  *bufio.Reader
	out io.Writer
	mu  *sync.Mutex // the shell's output lock; guards everything below

	prompt  func() string
	buf     []rune
	pos     int
	active  bool // a line is being edited (events must redraw it)
	history []string
}

func newEditor(in io.Reader, out io.Writer, mu *sync.Mutex) *editor {
	return &editor{in: bufio.NewReader(in), out: out, mu: mu}
}

// addHistory appends a line unless it is blank or repeats the last one.
func (e *editor) addHistory(line string) {
	if strings.TrimSpace(line) == "" {
		return
	}
	if n := len(e.history); n > 0 && e.history[n-1] == line {
		return
	}
	e.history = append(e.history, line)
}

// refresh redraws the prompt and line and puts the cursor in place; mu
// must be held.
func (e *editor) refresh() {
	var b strings.Builder
	b.WriteString("\r")
	b.WriteString(e.prompt())
	b.WriteString(string(e.buf))
	b.WriteString("\x1b[K")
	if back := len(e.buf) - e.pos; back > 0 {
		fmt.Fprintf(&b, "\x1b[%dD", back)
	}
	io.WriteString(e.out, b.String())
}

// beforeEvent wipes the line being edited; mu is held by the caller.
func (e *editor) beforeEvent() {
	if e.active {
		io.WriteString(e.out, "\r\x1b[K")
	}
}

// afterEvent draws the line again below the event; mu is held.
func (e *editor) afterEvent() {
	if e.active {
		e.refresh()
	}
}

// readLine edits one line. It returns io.EOF on ^D at an empty line or
// at the end of input, errInterrupted on ^C.
func (e *editor) readLine(prompt func() string) (string, error) {
	e.mu.Lock()
	e.prompt, e.buf, e.pos, e.active = prompt, nil, 0, true
	e.refresh()
	e.mu.Unlock()
	hidx := len(e.history) // len = the line being typed
	saved := ""
	done := func(s string, err error) (string, error) {
		e.mu.Lock()
		e.active = false
		io.WriteString(e.out, "\r\n")
		e.mu.Unlock()
		return s, err
	}
	for {
		r, _, err := e.in.ReadRune()
		if err != nil {
			e.mu.Lock()
			line := string(e.buf)
			e.mu.Unlock()
			if line != "" {
				return done(line, nil)
			}
			return done("", io.EOF)
		}
		e.mu.Lock()
		switch r {
		case '\r', '\n':
			line := string(e.buf)
			e.mu.Unlock()
			return done(line, nil)
		case 3: // ^C
			e.mu.Unlock()
			io.WriteString(e.out, "^C")
			return done("", errInterrupted)
		case 4: // ^D
			if len(e.buf) == 0 {
				e.mu.Unlock()
				return done("", io.EOF)
			}
			e.deleteAt(e.pos)
		case 1: // ^A
			e.pos = 0
		case 5: // ^E
			e.pos = len(e.buf)
		case 2: // ^B
			e.left()
		case 6: // ^F
			e.right()
		case 0x7f, 8: // backspace
			if e.pos > 0 {
				e.pos--
				e.deleteAt(e.pos)
			}
		case 11: // ^K
			e.buf = e.buf[:e.pos]
		case 21: // ^U
			e.buf = append([]rune(nil), e.buf[e.pos:]...)
			e.pos = 0
		case 23: // ^W
			start := e.pos
			for start > 0 && unicode.IsSpace(e.buf[start-1]) {
				start--
			}
			for start > 0 && !unicode.IsSpace(e.buf[start-1]) {
				start--
			}
			e.buf = append(e.buf[:start], e.buf[e.pos:]...)
			e.pos = start
		case 12: // ^L
			io.WriteString(e.out, "\x1b[H\x1b[2J")
		case 16: // ^P
			hidx, saved = e.historyMove(hidx, -1, saved)
		case 14: // ^N
			hidx, saved = e.historyMove(hidx, 1, saved)
		case 0x1b:
			e.mu.Unlock()
			seq := e.readEscape()
			e.mu.Lock()
			switch seq {
			case "[A", "OA":
				hidx, saved = e.historyMove(hidx, -1, saved)
			case "[B", "OB":
				hidx, saved = e.historyMove(hidx, 1, saved)
			case "[C", "OC":
				e.right()
			case "[D", "OD":
				e.left()
			case "[H", "OH", "[1~", "[7~":
				e.pos = 0
			case "[F", "OF", "[4~", "[8~":
				e.pos = len(e.buf)
			case "[3~":
				e.deleteAt(e.pos)
			}
		default:
			if unicode.IsPrint(r) {
				e.buf = append(e.buf, 0)
				copy(e.buf[e.pos+1:], e.buf[e.pos:])
				e.buf[e.pos] = r
				e.pos++
			}
		}
		e.refresh()
		e.mu.Unlock()
	}
}

// readEscape reads the rest of an escape sequence: "[" or "O", then
// parameter bytes up to a final byte.
func (e *editor) readEscape() string {
	b, err := e.in.ReadByte()
	if err != nil || (b != '[' && b != 'O') {
		return ""
	}
	seq := []byte{b}
	for {
		c, err := e.in.ReadByte()
		if err != nil {
			return ""
		}
		seq = append(seq, c)
		if c >= 0x40 && c <= 0x7e {
			return string(seq)
		}
	}
}

func (e *editor) left() {
	if e.pos > 0 {
		e.pos--
	}
}

func (e *editor) right() {
	if e.pos < len(e.buf) {
		e.pos++
	}
}

func (e *editor) deleteAt(i int) {
	if i < len(e.buf) {
		e.buf = append(e.buf[:i], e.buf[i+1:]...)
	}
}

// historyMove steps through the history; the line being typed is kept
// in saved while the user looks at older ones.
func (e *editor) historyMove(hidx, step int, saved string) (int, string) {
	next := hidx + step
	if next < 0 || next > len(e.history) {
		return hidx, saved
	}
	if hidx == len(e.history) {
		saved = string(e.buf)
	}
	if next == len(e.history) {
		e.buf = []rune(saved)
	} else {
		e.buf = []rune(e.history[next])
	}
	e.pos = len(e.buf)
	return next, saved
}

// crlfWriter turns "\n" into "\r\n", for output to a terminal whose
// output post-processing raw mode switched off.
type crlfWriter struct{ w io.Writer }

func (c crlfWriter) Write(p []byte) (int, error) {
	if _, err := io.WriteString(c.w, strings.ReplaceAll(string(p), "\n", "\r\n")); err != nil {
		return 0, err
	}
	return len(p), nil
}

// runTerminal is the interactive loop on a terminal: raw mode while a
// line is edited, cooked while a command runs.
func runTerminal(sh *Shell, tty *os.File, stdout io.Writer) int {
	out := crlfWriter{stdout}
	sh.outMu.Lock()
	sh.out, sh.errw = out, crlfWriter{sh.errw}
	sh.outMu.Unlock()
	ed := newEditor(tty, out, sh.outMu)
	sh.outMu.Lock()
	sh.beforeEvent, sh.afterEvent = ed.beforeEvent, ed.afterEvent
	sh.outMu.Unlock()
	for !sh.quit {
		host, count := sh.host, sh.count
		sess := sh.sess
		prompt := func() string {
			state := "CLOSED"
			if sess != nil {
				state = sess.State().String()
			}
			return fmt.Sprintf("[zk: %s(%s) %d] ", host, state, count)
		}
		restore, err := makeRaw(tty)
		if err != nil {
			fmt.Fprintf(sh.errw, "zkit cli: %v\n", err)
			return 1
		}
		line, err := ed.readLine(prompt)
		restore()
		if errors.Is(err, errInterrupted) {
			continue
		}
		if err != nil {
			break
		}
		ed.addHistory(line)
		sh.ExecuteLine(line)
	}
	return sh.exitCode
}
