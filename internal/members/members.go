package members

import (
	"errors"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
)

// ErrBadLine reports a member line or configuration text that does not parse.
var ErrBadLine = errors.New("members: bad server line")

// Member is one server.N line.
type Member struct {
	ID           int64
	Host         string
	QuorumPort   int
	ElectionPort int
	Observer     bool
	// ClientAddr is the member's client host:port when the line names one.
	ClientAddr string
}

// lineForm is the shape every malformed line's error names.
const lineForm = "want host:quorumPort:electionPort[:participant|:observer][;[clientHost:]clientPort]"

// ParseID returns the id of a "server.N" key.
func ParseID(key string) (int64, error) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(key), "server.")
	id, err := strconv.ParseInt(rest, 10, 64)
	if !ok || err != nil || id < 0 {
		return 0, fmt.Errorf("%w: %q: the id after 'server.' must be a non-negative number", ErrBadLine, key)
	}
	return id, nil
}

// ParseLine parses a "server.N" key and its value.
func ParseLine(key, value string) (Member, error) {
	id, err := ParseID(key)
	if err != nil {
		return Member{}, err
	}
	return Parse(id, value)
}

// Parse parses the value of member id's line (QuorumServer's address string).
func Parse(id int64, value string) (Member, error) {
	bad := func(format string, a ...any) (Member, error) {
		return Member{}, fmt.Errorf("%w: server.%d=%s: %s", ErrBadLine, id, value, fmt.Sprintf(format, a...))
	}
	m := Member{ID: id}
	parts := strings.Split(strings.TrimSpace(value), ";")
	if len(parts) > 2 {
		return bad("a secure client address is not supported; %s", lineForm)
	}
	if strings.Contains(parts[0], "|") {
		return bad("multiple addresses are not supported; %s", lineForm)
	}
	addr := splitColons(parts[0])
	if len(addr) < 3 || len(addr) > 4 {
		return bad(lineForm)
	}
	host, ok := unbracket(addr[0])
	if !ok {
		return bad("bad host %q", addr[0])
	}
	m.Host = host
	var err error
	if m.QuorumPort, err = port(addr[1], 1); err != nil {
		return bad("quorum port: %v", err)
	}
	if m.ElectionPort, err = port(addr[2], 1); err != nil {
		return bad("election port: %v", err)
	}
	if m.QuorumPort == m.ElectionPort {
		return bad("the quorum and election ports must differ")
	}
	if len(addr) == 4 {
		switch strings.ToLower(strings.TrimSpace(addr[3])) {
		case "participant":
		case "observer":
			m.Observer = true
		default:
			return bad("unknown role %q (want participant or observer)", addr[3])
		}
	}
	if len(parts) == 2 && strings.TrimSpace(parts[1]) != "" {
		client := splitColons(strings.TrimSpace(parts[1]))
		chost, cport := "0.0.0.0", client[len(client)-1]
		switch len(client) {
		case 1:
		case 2:
			if chost, ok = unbracket(client[0]); !ok {
				return bad("bad client host %q", client[0])
			}
		default:
			return bad("client address: want [clientHost:]clientPort")
		}
		p, err := port(cport, 0)
		if err != nil {
			return bad("client port: %v", err)
		}
		m.ClientAddr = net.JoinHostPort(chost, strconv.Itoa(p))
	}
	return m, nil
}

// unbracket trims a host and the brackets of an IPv6 literal; it reports
// false for an empty host or one with brackets, spaces or separators left.
func unbracket(h string) (string, bool) {
	h = strings.TrimSpace(h)
	if strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]") {
		h = h[1 : len(h)-1]
	}
	return h, h != "" && !strings.ContainsAny(h, "[]; \t|=,")
}

func port(s string, lowest int) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < lowest || n > 65535 {
		return 0, fmt.Errorf("%q is not a number %d-65535", s, lowest)
	}
	return n, nil
}

// splitColons splits on ':' outside IPv6 brackets.
func splitColons(s string) []string {
	var parts []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '[':
			depth++
		case ']':
			depth--
		case ':':
			if depth == 0 {
				parts = append(parts, s[start:i])
				start = i + 1
			}
		}
	}
	return append(parts, s[start:])
}

// DelimitedHost brackets an IPv6 literal (QuorumServer.delimitedHostString).
func DelimitedHost(h string) string {
	if strings.Contains(h, ":") {
		return "[" + h + "]"
	}
	return h
}

// QuorumAddr is the host:port of the member's quorum (learner) port.
func (m Member) QuorumAddr() string {
	return net.JoinHostPort(m.Host, strconv.Itoa(m.QuorumPort))
}

// ElectionAddr is the host:port of the member's election port.
func (m Member) ElectionAddr() string {
	return net.JoinHostPort(m.Host, strconv.Itoa(m.ElectionPort))
}

// Key is the member's "server.N".
func (m Member) Key() string { return "server." + strconv.FormatInt(m.ID, 10) }

// Value is the member's line value as Java prints it: the role always
// named, the client address only when the line has one.
func (m Member) Value() string {
	role := "participant"
	if m.Observer {
		role = "observer"
	}
	v := fmt.Sprintf("%s:%d:%d:%s", DelimitedHost(m.Host), m.QuorumPort, m.ElectionPort, role)
	if m.ClientAddr != "" {
		v += ";" + m.ClientAddr
	}
	return v
}

// Format is the member's whole line, "server.N=value".
func (m Member) Format() string { return m.Key() + "=" + m.Value() }

// Sorted returns a copy of ms ordered by id.
func Sorted(ms []Member) []Member {
	out := append([]Member(nil), ms...)
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// ConfigText is QuorumVerifier's text: the member lines by id, each
// ending in a newline, then "version=<hex>" without one.
func ConfigText(ms []Member, version int64) []byte {
	var b strings.Builder
	for _, m := range Sorted(ms) {
		b.WriteString(m.Format())
		b.WriteByte('\n')
	}
	b.WriteString("version=")
	b.WriteString(strconv.FormatInt(version, 16))
	return []byte(b.String())
}

// DynamicFileText is a dynamic configuration file's text
// (QuorumPeerConfig.writeDynamicConfig): the member lines sorted as
// strings, joined by newlines, no version line and no final newline.
func DynamicFileText(ms []Member) []byte {
	lines := make([]string, len(ms))
	for i, m := range ms {
		lines[i] = m.Format()
	}
	return sortedLines(lines)
}

// NextFileText is the text of a .dynamic.next file: ConfigText's lines,
// the version's included, sorted as strings and joined by newlines.
func NextFileText(ms []Member, version int64) []byte {
	return sortedLines(strings.Split(string(ConfigText(ms, version)), "\n"))
}

func sortedLines(lines []string) []byte {
	sort.Strings(lines)
	return []byte(strings.Join(lines, "\n"))
}

// ParseText parses configuration text or a reconfig's newMembers:
// server.N lines and an optional hex version line, separated by newlines
// or commas. Blank lines, # comments and other keys are skipped; an id
// given twice is an error. The members come back ordered by id.
func ParseText(text string) ([]Member, int64, error) {
	var ms []Member
	var version int64
	seen := map[int64]bool{}
	for _, line := range strings.FieldsFunc(text, func(r rune) bool { return r == '\n' || r == ',' || r == '\r' }) {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return nil, 0, fmt.Errorf("%w: %q is not key=value", ErrBadLine, line)
		}
		switch k = strings.TrimSpace(k); {
		case k == "version":
			n, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			if err != nil {
				return nil, 0, fmt.Errorf("%w: version %q is not a hex number", ErrBadLine, v)
			}
			version = int64(n)
		case strings.HasPrefix(k, "server."):
			m, err := ParseLine(k, v)
			if err != nil {
				return nil, 0, err
			}
			if seen[m.ID] {
				return nil, 0, fmt.Errorf("%w: server.%d given twice", ErrBadLine, m.ID)
			}
			seen[m.ID] = true
			ms = append(ms, m)
		}
	}
	return Sorted(ms), version, nil
}

// Quorum is how many of n voters make a majority (QuorumMaj's half + 1).
func Quorum(n int) int { return n/2 + 1 }

// IsQuorum reports whether the acknowledging ids hold a majority of voters.
func IsQuorum(voters []int64, acked map[int64]bool) bool {
	n := 0
	for _, v := range voters {
		if acked[v] {
			n++
		}
	}
	return n >= Quorum(len(voters))
}
