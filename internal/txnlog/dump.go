package txnlog

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/zkit-go/zkit/internal/jute"
	"github.com/zkit-go/zkit/internal/proto"
	"github.com/zkit-go/zkit/internal/vfs"
)

// txnHeaderSize is the encoded size of a TxnHeader.
const txnHeaderSize = 32

// Dump writes a log file in the format of ZooKeeper's TxnLogToolkit dump
// mode (zkTxnLogToolkit.sh): a header line, one line per txn, and "EOF
// reached after N txns.". Times are shown in loc (nil means time.Local) in
// the en-US short-date/long-time form Java 17 prints ("12/1/25, 3:04:05 PM
// UTC"). An entry with a bad checksum is printed twice, first prefixed with
// "CRC ERROR - ", and the dump goes on, as the toolkit does.
func Dump(w io.Writer, fs vfs.FS, path string, loc *time.Location) error {
	if loc == nil {
		loc = time.Local
	}
	f, err := fs.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	s := &scanner{f: f, br: bufio.NewReaderSize(f, 64<<10)}
	bw := bufio.NewWriter(w)
	var h proto.FileHeader
	hb := make([]byte, HeaderSize)
	if _, err := io.ReadFull(s.br, hb); err != nil {
		return fmt.Errorf("%w: %s: short header", ErrCorrupt, path)
	}
	if err := jute.Unmarshal(hb, &h); err != nil || h.Magic != proto.TxnLogMagic {
		return fmt.Errorf("%w: invalid magic number for %s", ErrCorrupt, path)
	}
	fmt.Fprintf(bw, "ZooKeeper Transactional Log File with dbid %d txnlog format version %d\n", h.DBID, h.Version)
	count := 0
	for {
		raw, crcOK, st, err := s.next()
		if err != nil {
			bw.Flush()
			return err
		}
		if st == stEnd {
			break
		}
		line, err := FormatEntry(raw, loc)
		if err != nil {
			bw.Flush()
			return err
		}
		if !crcOK {
			bw.WriteString("CRC ERROR - ")
			bw.WriteString(line)
		}
		bw.WriteString(line)
		count++
	}
	fmt.Fprintf(bw, "EOF reached after %d txns.\n", count)
	return bw.Flush()
}

// FormatEntry formats one log entry as TxnLogToolkit prints it, ending in
// a newline.
func FormatEntry(raw []byte, loc *time.Location) (string, error) {
	hdr, rec, _, err := proto.DecodeTxnEntry(raw)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	if hdr.Type == proto.OpCloseSession && len(raw) == txnHeaderSize {
		rec = nil // a closeSession from before 3.6 has no body
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s session 0x%x cxid 0x%x zxid 0x%x %s %s",
		time.UnixMilli(hdr.Time).In(loc).Format("1/2/06, 3:04:05 PM MST"),
		uint64(hdr.ClientID), uint64(int64(hdr.Cxid)), uint64(hdr.Zxid),
		opString(hdr.Type), formatTxn(rec))
	if !strings.HasSuffix(b.String(), "\n") {
		b.WriteByte('\n')
	}
	return b.String(), nil
}

// opString is Request.op2String, whose names differ from proto.OpCode's in
// places ("createTtl", "unknown N").
func opString(op proto.OpCode) string {
	switch op {
	case proto.OpCreateTTL:
		return "createTtl"
	case proto.OpAddWatch:
		return "unknown " + strconv.Itoa(int(op))
	}
	s := op.String()
	if strings.HasPrefix(s, "op(") {
		return "unknown " + strconv.Itoa(int(op))
	}
	return s
}

// javaString decodes bytes as Java 17's new String(b, UTF_8) does. Java
// replaces each malformed sequence with one U+FFFD, and its idea of a
// sequence's length differs from Go's (one byte per error) and from
// Unicode's maximal subparts: a truncated sequence at the end of the input
// is one U+FFFD, and so is an encoded surrogate (ED A0..BF xx).
func javaString(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	var sb strings.Builder
	sb.Grow(len(b) + 8)
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r != utf8.RuneError || n > 1 {
			sb.WriteString(string(b[i : i+n]))
			i += n
			continue
		}
		sb.WriteRune(utf8.RuneError)
		i += javaMalformedLen(b[i:])
	}
	return sb.String()
}

func isCont(c byte) bool { return c&0xc0 == 0x80 }

// javaMalformedLen is how many bytes Java's decoder replaces with one
// U+FFFD at the start of p, which holds a malformed sequence.
func javaMalformedLen(p []byte) int {
	c := p[0]
	switch {
	case c >= 0xe0 && c <= 0xef:
		bad2 := func(b2 byte) bool { return (c == 0xe0 && b2&0xe0 == 0x80) || !isCont(b2) }
		if len(p) >= 3 {
			switch {
			case bad2(p[1]):
				return 1
			case !isCont(p[2]):
				return 2
			}
			return 3 // well formed bits: an encoded surrogate
		}
		if len(p) == 2 && bad2(p[1]) {
			return 1
		}
		return len(p) // truncated at the end: the rest is one error
	case c >= 0xf0 && c <= 0xf4:
		bad2 := func(b2 byte) bool {
			return (c == 0xf0 && (b2 < 0x90 || b2 > 0xbf)) || (c == 0xf4 && b2&0xf0 != 0x80) || !isCont(b2)
		}
		if len(p) >= 4 {
			switch {
			case bad2(p[1]):
				return 1
			case !isCont(p[2]):
				return 2
			}
			return 3
		}
		switch {
		case len(p) >= 2 && bad2(p[1]):
			return 1
		case len(p) >= 3 && !isCont(p[2]):
			return 2
		}
		return len(p)
	}
	return 1
}

func formatTxn(rec jute.Record) string {
	switch r := rec.(type) {
	case nil:
		return ""
	case *proto.CreateTxn:
		return fmt.Sprintf("%s,%s,%s,%t,%d", r.Path, javaString(r.Data), aclListString(r.ACL), r.Ephemeral, r.ParentCVersion)
	case *proto.SetDataTxn:
		return fmt.Sprintf("%s,%s,%d", r.Path, javaString(r.Data), r.Version)
	case *proto.CreateContainerTxn:
		return fmt.Sprintf("%s,%s,%s,%d", r.Path, javaString(r.Data), aclListString(r.ACL), r.ParentCVersion)
	case *proto.CreateTTLTxn:
		return fmt.Sprintf("%s,%s,%s,%d,%d", r.Path, javaString(r.Data), aclListString(r.ACL), r.ParentCVersion, r.TTL)
	case *proto.MultiTxn:
		var b strings.Builder
		for i, t := range r.Txns {
			if i > 0 {
				b.WriteByte(';')
			}
			b.WriteString(opString(t.Type))
			b.WriteByte(':')
			b.WriteString(javaString(t.Data))
		}
		return b.String()
	}
	return RecordString(rec)
}

// aclListString is java.util.List<ACL>.toString.
func aclListString(acl []proto.ACL) string {
	var b strings.Builder
	b.WriteByte('[')
	for i := range acl {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(RecordString(&acl[i]))
	}
	b.WriteByte(']')
	return b.String()
}

// RecordString renders a txn record as jute's generated toString does
// (ToStringOutputArchive): fields separated by commas, strings with a
// leading quote and %-escapes, buffers as '#' and per-byte hex, nested
// records in s{...}, vectors in v{...}, and a trailing newline.
func RecordString(rec jute.Record) string {
	var t tsw
	switch r := rec.(type) {
	case *proto.CreateSessionTxn:
		t.long(int64(r.TimeOut))
	case *proto.CloseSessionTxn:
		t.startVector()
		for _, p := range r.Paths2Delete {
			t.str(p)
		}
		t.end()
	case *proto.PathRequest: // DeleteTxn
		t.str(r.Path)
	case *proto.PathVersionRequest: // CheckVersionTxn
		t.str(r.Path)
		t.long(int64(r.Version))
	case *proto.ErrorResponse: // ErrorTxn
		t.long(int64(r.Err))
	case *proto.SetACLTxn:
		t.str(r.Path)
		t.acls(r.ACL)
		t.long(int64(r.Version))
	case *proto.SetDataTxn:
		t.str(r.Path)
		t.buf(r.Data)
		t.long(int64(r.Version))
	case *proto.CreateTxn:
		t.str(r.Path)
		t.buf(r.Data)
		t.acls(r.ACL)
		t.bool(r.Ephemeral)
		t.long(int64(r.ParentCVersion))
	case *proto.CreateContainerTxn:
		t.str(r.Path)
		t.buf(r.Data)
		t.acls(r.ACL)
		t.long(int64(r.ParentCVersion))
	case *proto.CreateTTLTxn:
		t.str(r.Path)
		t.buf(r.Data)
		t.acls(r.ACL)
		t.long(int64(r.ParentCVersion))
		t.long(r.TTL)
	case *proto.ACL:
		t.acl(r, false)
	case *proto.MultiTxn:
		t.startVector()
		for _, x := range r.Txns {
			t.startRecord()
			t.long(int64(x.Type))
			t.buf(x.Data)
			t.end()
		}
		t.end()
	default:
		return fmt.Sprintf("%v\n", rec)
	}
	t.b.WriteByte('\n')
	return t.b.String()
}

// tsw is a ToStringOutputArchive.
type tsw struct {
	b       strings.Builder
	notLead bool
}

func (t *tsw) sep() {
	if t.notLead {
		t.b.WriteByte(',')
	}
	t.notLead = true
}

func (t *tsw) long(v int64) { t.sep(); t.b.WriteString(strconv.FormatInt(v, 10)) }

func (t *tsw) bool(v bool) {
	t.sep()
	if v {
		t.b.WriteByte('T')
	} else {
		t.b.WriteByte('F')
	}
}

func (t *tsw) str(s string) {
	t.sep()
	t.b.WriteByte('\'')
	for _, c := range s {
		switch c {
		case 0:
			t.b.WriteString("%00")
		case '\n':
			t.b.WriteString("%0A")
		case '\r':
			t.b.WriteString("%0D")
		case ',':
			t.b.WriteString("%2C")
		case '}':
			t.b.WriteString("%7D")
		case '%':
			t.b.WriteString("%25")
		default:
			t.b.WriteRune(c)
		}
	}
}

// buf writes Integer.toHexString of each signed byte: one or two digits,
// or eight for a negative byte.
func (t *tsw) buf(p []byte) {
	t.sep()
	if len(p) == 0 {
		return
	}
	t.b.WriteByte('#')
	for _, c := range p {
		t.b.WriteString(strconv.FormatUint(uint64(uint32(int32(int8(c)))), 16))
	}
}

func (t *tsw) startRecord() { t.sep(); t.b.WriteString("s{"); t.notLead = false }
func (t *tsw) startVector() { t.sep(); t.b.WriteString("v{"); t.notLead = false }
func (t *tsw) end()         { t.b.WriteByte('}'); t.notLead = true }

func (t *tsw) acl(a *proto.ACL, nested bool) {
	if nested {
		t.startRecord()
	}
	t.long(int64(a.Perms))
	t.startRecord()
	t.str(a.ID.Scheme)
	t.str(a.ID.ID)
	t.end()
	if nested {
		t.end()
	}
}

func (t *tsw) acls(v []proto.ACL) {
	t.startVector()
	for i := range v {
		t.acl(&v[i], true)
	}
	t.end()
}
