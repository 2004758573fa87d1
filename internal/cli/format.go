package cli

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/zkit-go/zkit/internal/proto"
)

// printStat writes a Stat as Java's StatPrinter does: one "name = value"
// line per field, zxids and the owner in lower-case hex, times as
// java.util.Date.toString.
func printStat(w io.Writer, s proto.Stat) {
	fmt.Fprintf(w, "cZxid = 0x%s\n", hexLong(s.Czxid))
	fmt.Fprintf(w, "ctime = %s\n", javaDate(s.Ctime))
	fmt.Fprintf(w, "mZxid = 0x%s\n", hexLong(s.Mzxid))
	fmt.Fprintf(w, "mtime = %s\n", javaDate(s.Mtime))
	fmt.Fprintf(w, "pZxid = 0x%s\n", hexLong(s.Pzxid))
	fmt.Fprintf(w, "cversion = %d\n", s.Cversion)
	fmt.Fprintf(w, "dataVersion = %d\n", s.Version)
	fmt.Fprintf(w, "aclVersion = %d\n", s.Aversion)
	fmt.Fprintf(w, "ephemeralOwner = 0x%s\n", hexLong(s.EphemeralOwner))
	fmt.Fprintf(w, "dataLength = %d\n", s.DataLength)
	fmt.Fprintf(w, "numChildren = %d\n", s.NumChildren)
}

// hexLong is Java's Long.toHexString: two's complement, no padding, so a
// negative owner (a container's or TTL node's) prints as 16 digits.
func hexLong(v int64) string { return strconv.FormatUint(uint64(v), 16) }

// javaDate formats milliseconds since the epoch as java.util.Date.toString
// ("EEE MMM dd HH:mm:ss zzz yyyy") in the local zone.
func javaDate(ms int64) string {
	t := time.UnixMilli(ms).In(time.Local)
	zone, off := t.Zone()
	if zone == "" || zone[0] == '+' || zone[0] == '-' {
		// Java names a zone without an abbreviation by its offset.
		zone = "GMT"
		if off != 0 {
			sign := '+'
			if off < 0 {
				sign, off = '-', -off
			}
			zone = fmt.Sprintf("GMT%c%02d:%02d", sign, off/3600, off/60%60)
		}
	}
	return t.Format("Mon Jan 02 15:04:05 ") + zone + t.Format(" 2006")
}

// permString is ZKUtil.getPermString: the granted bits in the order c d r w a.
func permString(perms int32) string {
	var b strings.Builder
	for _, p := range []struct {
		bit int32
		c   byte
	}{{proto.PermCreate, 'c'}, {proto.PermDelete, 'd'}, {proto.PermRead, 'r'}, {proto.PermWrite, 'w'}, {proto.PermAdmin, 'a'}} {
		if perms&p.bit != 0 {
			b.WriteByte(p.c)
		}
	}
	return b.String()
}

// juteIDString is the generated toString of a jute Id record: each string
// field quoted with a leading ' and escaped, fields joined by commas, and
// a newline at the end of the top-level record. getAcl prints it followed
// by ": perms", which is why its output spans two lines.
func juteIDString(id proto.ID) string {
	return juteEscape(id.Scheme) + "," + juteEscape(id.ID) + "\n"
}

func juteEscape(s string) string {
	var b strings.Builder
	b.WriteByte('\'')
	for _, r := range s {
		switch r {
		case 0:
			b.WriteString("%00")
		case '\n':
			b.WriteString("%0A")
		case '\r':
			b.WriteString("%0D")
		case ',':
			b.WriteString("%2C")
		case '}':
			b.WriteString("%7D")
		case '%':
			b.WriteString("%25")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// parseACL is Java's AclParser: comma-separated scheme:id:perms entries,
// the id running from the first to the last colon. A malformed entry or
// an unknown permission letter is reported on errw and skipped.
func parseACL(s string, errw io.Writer) []proto.ACL {
	var acl []proto.ACL
	for _, a := range strings.Split(s, ",") {
		first, last := strings.IndexByte(a, ':'), strings.LastIndexByte(a, ':')
		if first == -1 || first == last {
			fmt.Fprintf(errw, "%s does not have the form scheme:id:perm\n", a)
			continue
		}
		var perms int32
		for _, c := range a[last+1:] {
			switch c {
			case 'r':
				perms |= proto.PermRead
			case 'w':
				perms |= proto.PermWrite
			case 'c':
				perms |= proto.PermCreate
			case 'd':
				perms |= proto.PermDelete
			case 'a':
				perms |= proto.PermAdmin
			default:
				fmt.Fprintf(errw, "Unknown perm type: %c\n", c)
			}
		}
		acl = append(acl, proto.ACL{Perms: perms, ID: proto.ID{Scheme: a[:first], ID: a[first+1 : last]}})
	}
	return acl
}

// javaStringList is AbstractCollection.toString: "[a, b]".
func javaStringList(items []string) string {
	return "[" + strings.Join(items, ", ") + "]"
}

// Names Java prints for event types and keeper states
// (Watcher.Event.EventType and KeeperState enum constants).
var eventTypeNames = map[proto.EventType]string{
	proto.EventNone: "None", proto.EventNodeCreated: "NodeCreated",
	proto.EventNodeDeleted: "NodeDeleted", proto.EventNodeDataChanged: "NodeDataChanged",
	proto.EventNodeChildrenChanged: "NodeChildrenChanged", proto.EventDataWatchRemoved: "DataWatchRemoved",
	proto.EventChildWatchRemoved: "ChildWatchRemoved", proto.EventPersistentWatchRemoved: "PersistentWatchRemoved",
}

var keeperStateNames = map[int32]string{
	proto.StateDisconnected: "Disconnected", proto.StateSyncConnected: "SyncConnected",
	proto.StateAuthFailed: "AuthFailed", proto.StateConnectedReadOnly: "ConnectedReadOnly",
	6: "SaslAuthenticated", proto.StateExpired: "Expired", proto.StateClosed: "Closed",
}

// Event is a watch notification or session event as the shell sees it:
// path already stripped of the chroot, NoPath for session events (Java
// prints their path as null).
type Event struct {
	Type   proto.EventType
	State  int32
	Path   string
	NoPath bool
}

// String is WatchedEvent.toString.
func (e Event) String() string {
	typ, ok := eventTypeNames[e.Type]
	if !ok {
		typ = strconv.Itoa(int(e.Type))
	}
	st, ok := keeperStateNames[e.State]
	if !ok {
		st = strconv.Itoa(int(e.State))
	}
	path := e.Path
	if e.NoPath {
		path = "null"
	}
	return "WatchedEvent state:" + st + " type:" + typ + " path:" + path
}

// codeMessage is KeeperException.getCodeMessage.
func codeMessage(c proto.Code) string {
	switch c {
	case proto.OK:
		return "ok"
	case proto.ErrSystemError:
		return "SystemError"
	case proto.ErrRuntimeInconsistency:
		return "RuntimeInconsistency"
	case proto.ErrDataInconsistency:
		return "DataInconsistency"
	case proto.ErrConnectionLoss:
		return "ConnectionLoss"
	case proto.ErrMarshallingError:
		return "MarshallingError"
	case proto.ErrNewConfigNoQuorum:
		return "NewConfigNoQuorum"
	case proto.ErrReconfigInProgress:
		return "ReconfigInProgress"
	case proto.ErrUnimplemented:
		return "Unimplemented"
	case proto.ErrOperationTimeout:
		return "OperationTimeout"
	case proto.ErrBadArguments:
		return "BadArguments"
	case proto.ErrAPIError:
		return "APIError"
	case proto.ErrNoNode:
		return "NoNode"
	case proto.ErrNoAuth:
		return "NoAuth"
	case proto.ErrBadVersion:
		return "BadVersion"
	case proto.ErrNoChildrenForEphemerals:
		return "NoChildrenForEphemerals"
	case proto.ErrNodeExists:
		return "NodeExists"
	case proto.ErrInvalidACL:
		return "InvalidACL"
	case proto.ErrAuthFailed:
		return "AuthFailed"
	case proto.ErrNotEmpty:
		return "Directory not empty"
	case proto.ErrSessionExpired:
		return "Session expired"
	case proto.ErrInvalidCallback:
		return "Invalid callback"
	case proto.ErrSessionMoved:
		return "Session moved"
	case proto.ErrNotReadOnly:
		return "Not a read-only call"
	case proto.ErrEphemeralOnLocalSession:
		return "Ephemeral node on local session"
	case proto.ErrNoWatcher:
		return "No such watcher"
	case proto.ErrReconfigDisabled:
		return "Reconfig is disabled"
	case proto.ErrSessionClosedRequireSASL:
		return "Session closed because client failed to authenticate"
	case proto.ErrQuotaExceeded:
		return "Quota has exceeded"
	case proto.ErrThrottledOp:
		return "Op throttled due to high load"
	case proto.ErrUnknownSession:
		return "Unknown error UNKNOWNSESSION"
	case proto.ErrRequestTimeout:
		return "Unknown error REQUESTTIMEOUT"
	}
	return "Unknown error " + strconv.Itoa(int(c))
}

// keeperError is a KeeperException: a code and, usually, the client path.
type keeperError struct {
	code    proto.Code
	path    string
	hasPath bool
}

// Error is KeeperException.getMessage.
func (e *keeperError) Error() string {
	if !e.hasPath || e.path == "" {
		return "KeeperErrorCode = " + codeMessage(e.code)
	}
	return "KeeperErrorCode = " + codeMessage(e.code) + " for " + e.path
}

func (e *keeperError) Unwrap() error { return e.code }

// javaPath renders a KeeperException's path as Java string concatenation
// does, "null" when there is none.
func (e *keeperError) javaPath() string {
	if !e.hasPath {
		return "null"
	}
	return e.path
}

// wrapperMessage is CliWrapperException's message for a KeeperException.
func wrapperMessage(e *keeperError) string {
	p := e.javaPath()
	switch e.code {
	case proto.ErrNoNode:
		return "Node does not exist: " + p
	case proto.ErrNoChildrenForEphemerals:
		return "Ephemerals cannot have children: " + p
	case proto.ErrNodeExists:
		return "Node already exists: " + p
	case proto.ErrNotEmpty:
		return "Node not empty: " + p
	case proto.ErrNotReadOnly:
		return "Not a read-only call: " + p
	case proto.ErrInvalidACL:
		return "Acl is not valid : " + p
	case proto.ErrNoAuth:
		return "Insufficient permission : " + p
	case proto.ErrBadArguments:
		return "Arguments are not valid : " + p
	case proto.ErrBadVersion:
		return "version No is not valid : " + p
	case proto.ErrReconfigInProgress:
		return "Another reconfiguration is in progress -- concurrent reconfigs not supported (yet)"
	case proto.ErrNewConfigNoQuorum:
		return "No quorum of new config is connected and up-to-date with the leader of last commmitted config - try invoking reconfiguration after new servers are connected and synced"
	case proto.ErrQuotaExceeded:
		return "Quota has exceeded : " + p
	}
	return e.Error()
}

// validatePath is Java's PathUtils.validatePath, with its messages. It
// works on UTF-16 code units as Java does, so "@i" positions match.
func validatePath(path string) error {
	if path == "" {
		return pathError("Path length must be > 0")
	}
	if path[0] != '/' {
		return pathError("Path must start with / character")
	}
	if len(path) == 1 {
		return nil
	}
	if path[len(path)-1] == '/' {
		return pathError("Path must not end with / character")
	}
	chars := utf16.Encode([]rune(path))
	reason := ""
	last := uint16('/')
	for i := 1; i < len(chars); last, i = chars[i], i+1 {
		c := chars[i]
		switch {
		case c == 0:
			reason = fmt.Sprintf("null character not allowed @%d", i)
		case c == '/' && last == '/':
			reason = fmt.Sprintf("empty node name specified @%d", i)
		case c == '.' && last == '.':
			if chars[i-2] == '/' && (i+1 == len(chars) || chars[i+1] == '/') {
				reason = fmt.Sprintf("relative paths not allowed @%d", i)
			}
		case c == '.':
			if chars[i-1] == '/' && (i+1 == len(chars) || chars[i+1] == '/') {
				reason = fmt.Sprintf("relative paths not allowed @%d", i)
			}
		case c > 0 && c <= 0x1f, c >= 0x7f && c <= 0x9f, c >= 0xd800 && c <= 0xf8ff, c >= 0xfff0:
			reason = fmt.Sprintf("invalid character @%d", i)
		}
		if reason != "" {
			return pathError(fmt.Sprintf("Invalid path string \"%s\" caused by %s", path, reason))
		}
	}
	return nil
}

// pathError is the IllegalArgumentException the Java client throws for a
// bad path; commands turn it into MalformedPathException (exit code 1).
type pathError string

func (e pathError) Error() string { return string(e) }

// clientConfigString is ConfigUtils.getClientConfigStr: "version addr,addr"
// from a dynamic configuration, each addr a server's client address.
func clientConfigString(cfg string) string {
	version := ""
	var addrs []string
	for _, line := range strings.Split(cfg, "\n") {
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if k == "version" {
			version = v
		}
		if !strings.HasPrefix(k, "server.") {
			continue
		}
		_, client, ok := strings.Cut(v, ";")
		if !ok {
			addrs = append(addrs, "")
			continue
		}
		client = strings.TrimSpace(client)
		if !strings.Contains(client, ":") {
			client = "0.0.0.0:" + client
		}
		addrs = append(addrs, client)
	}
	return version + " " + strings.Join(addrs, ",")
}
