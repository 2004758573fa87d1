package jaas

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"unicode/utf8"
)

// Errors; every error wraps one and names the file (and line when there is one).
var (
	// ErrSyntax: the file does not parse as Java's ConfigFile parses it.
	ErrSyntax = errors.New("jaas: syntax error")
	// ErrRead: the file cannot be read.
	ErrRead = errors.New("jaas: cannot read login configuration")
	// ErrNoSection: a section the server needs is not in the file.
	ErrNoSection = errors.New("jaas: section not found")
	// ErrUnsupported: a section asks for something zkit cannot honour
	// (a login module other than DigestLoginModule, e.g. Kerberos).
	ErrUnsupported = errors.New("jaas: unsupported login configuration")
	// ErrCredentials: a section lacks the credentials it needs.
	ErrCredentials = errors.New("jaas: missing credentials")
)

// Flag is a login module's control flag.
type Flag string

// The control flags Java accepts (case-insensitively).
const (
	Required   Flag = "required"
	Requisite  Flag = "requisite"
	Sufficient Flag = "sufficient"
	Optional   Flag = "optional"
)

// Entry is one "LoginModule flag key=value ...;" line of a section.
type Entry struct {
	LoginModule string
	Flag        Flag
	Options     map[string]string
	Line        int // where the entry starts, for messages
}

// Config is a parsed login configuration file.
type Config struct {
	File     string
	sections map[string][]Entry
	lines    map[string]int
	order    []string
}

// Section returns the entries of the section called name (case-sensitive,
// as Java). ok is false when the file has no such section or the section
// is empty (Java's getAppConfigurationEntry returns null for both).
func (c *Config) Section(name string) ([]Entry, bool) {
	e := c.sections[name]
	return e, len(e) > 0
}

// Sections lists the section names in file order.
func (c *Config) Sections() []string { return append([]string(nil), c.order...) }

// Expander resolves ${name} in option values (Java expands system
// properties there when policy.expandProperties is true, its default).
// ok is false for an unknown name.
type Expander func(name string) (value string, ok bool)

// PathFromProperty turns a java.security.auth.login.config value into a
// file path: a leading '=' (from "-Dkey==file", which in Java means "use
// only this file") is dropped, and file: URLs become their path.
func PathFromProperty(v string) (string, error) {
	v = strings.TrimSpace(v)
	v = strings.TrimPrefix(v, "=")
	if strings.HasPrefix(v, "file:") {
		u, err := url.Parse(v)
		if err != nil {
			return "", fmt.Errorf("%w: %s: %v", ErrRead, v, err)
		}
		if u.Path != "" {
			return u.Path, nil
		}
		return u.Opaque, nil
	}
	if i := strings.Index(v, "://"); i > 0 {
		return "", fmt.Errorf("%w: %s: only files are supported, not %s URLs", ErrRead, v, v[:i])
	}
	if v == "" {
		return "", fmt.Errorf("%w: empty path", ErrRead)
	}
	return v, nil
}

// Load reads and parses the file at path.
func Load(path string, expand Expander) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrRead, err)
	}
	return Parse(path, data, expand)
}

// Parse parses a login configuration with the grammar of Java's
// sun.security.provider.ConfigFile (see the package doc). file names the
// source in errors.
func Parse(file string, data []byte, expand Expander) (*Config, error) {
	p := &parser{file: file, lex: lexer{src: data, line: 1}, expand: expand}
	cfg := &Config{File: file, sections: map[string][]Entry{}, lines: map[string]int{}}
	if err := p.advance(); err != nil {
		return nil, err
	}
	for p.tok.kind != tokEOF {
		if err := p.section(cfg); err != nil {
			return nil, err
		}
	}
	return cfg, nil
}

type parser struct {
	file   string
	lex    lexer
	tok    token
	expand Expander
}

func (p *parser) advance() error {
	t, err := p.lex.next()
	if err != nil {
		return fmt.Errorf("%w: %s:%d: %v", ErrSyntax, p.file, p.lex.line, err)
	}
	p.tok = t
	return nil
}

func (p *parser) errorf(format string, args ...any) error {
	return fmt.Errorf("%w: %s:%d: %s", ErrSyntax, p.file, p.tok.line, fmt.Sprintf(format, args...))
}

// word takes a word or quoted string.
func (p *parser) word(what string) (string, error) {
	if p.tok.kind == tokSingleQuoted {
		return "", p.errorf("expected %s, found a single-quoted string (only double quotes are accepted)", what)
	}
	if p.tok.kind != tokWord && p.tok.kind != tokQuoted {
		return "", p.errorf("expected %s, found %s", what, p.tok.describe())
	}
	v := p.tok.text
	return v, p.advance()
}

func (p *parser) punct(c byte) error {
	if p.tok.kind != tokPunct || p.tok.text[0] != c {
		return p.errorf("expected '%c', found %s", c, p.tok.describe())
	}
	return p.advance()
}

func (p *parser) peekPunct(c byte) bool {
	return p.tok.kind == tokPunct && p.tok.text[0] == c
}

func (p *parser) section(cfg *Config) error {
	line := p.tok.line
	name, err := p.word("a section name")
	if err != nil {
		return err
	}
	if err := p.punct('{'); err != nil {
		return err
	}
	var entries []Entry
	for !p.peekPunct('}') {
		if p.tok.kind == tokEOF {
			return p.errorf("expected a login module class name or '}', found end of file")
		}
		e := Entry{Line: p.tok.line, Options: map[string]string{}}
		if e.LoginModule, err = p.word("a login module class name"); err != nil {
			return err
		}
		flag, err := p.word("a control flag (required, requisite, sufficient or optional)")
		if err != nil {
			return err
		}
		switch f := Flag(strings.ToLower(flag)); f {
		case Required, Requisite, Sufficient, Optional:
			e.Flag = f
		default:
			return fmt.Errorf("%w: %s:%d: invalid control flag %q (want required, requisite, sufficient or optional)", ErrSyntax, p.file, e.Line, flag)
		}
		for !p.peekPunct(';') {
			key, err := p.word("an option name or ';'")
			if err != nil {
				return err
			}
			if err := p.punct('='); err != nil {
				return err
			}
			valueLine := p.tok.line
			value, err := p.word("the value of option " + key)
			if err != nil {
				return err
			}
			if value, err = p.expandValue(value, valueLine); err != nil {
				return err
			}
			// Java keeps options in a HashMap: a repeated key keeps its last value.
			e.Options[key] = value
		}
		if err := p.advance(); err != nil { // ';'
			return err
		}
		entries = append(entries, e)
	}
	if err := p.punct('}'); err != nil {
		return err
	}
	if err := p.punct(';'); err != nil {
		return err
	}
	if _, dup := cfg.lines[name]; dup {
		return fmt.Errorf("%w: %s:%d: section %q is defined twice (first at line %d)", ErrSyntax, p.file, line, name, cfg.lines[name])
	}
	cfg.sections[name] = entries
	cfg.lines[name] = line
	cfg.order = append(cfg.order, name)
	return nil
}

// expandValue replaces ${name} as Java's PropertyExpander: ${/} is the
// file separator; an unknown name, or an empty result, is an error.
func (p *parser) expandValue(v string, line int) (string, error) {
	if v == "" || !strings.Contains(v, "${") {
		return v, nil
	}
	var sb strings.Builder
	rest := v
	for {
		i := strings.Index(rest, "${")
		if i < 0 {
			sb.WriteString(rest)
			break
		}
		sb.WriteString(rest[:i])
		end := strings.IndexByte(rest[i:], '}')
		if end < 0 {
			sb.WriteString(rest[i:]) // Java leaves an unterminated ${ as is
			break
		}
		name := rest[i+2 : i+end]
		switch {
		case name == "/":
			sb.WriteByte(os.PathSeparator)
		case p.expand != nil:
			val, ok := p.expand(name)
			if !ok {
				return "", fmt.Errorf("%w: %s:%d: unable to expand property %q", ErrSyntax, p.file, line, name)
			}
			sb.WriteString(val)
		default:
			return "", fmt.Errorf("%w: %s:%d: unable to expand property %q", ErrSyntax, p.file, line, name)
		}
		rest = rest[i+end+1:]
	}
	if sb.Len() == 0 {
		return "", fmt.Errorf("%w: %s:%d: %q expanded to an empty value", ErrSyntax, p.file, line, v)
	}
	return sb.String(), nil
}

type tokKind int

const (
	tokEOF tokKind = iota
	tokWord
	tokQuoted
	tokSingleQuoted // tokenized as a string, but the grammar takes none
	tokPunct        // any other single character: { } ; = and the rest
	tokNumber       // a bare token starting like a number, which Java's tokenizer reads as one
)

type token struct {
	kind tokKind
	text string
	line int
}

func (t token) describe() string {
	switch t.kind {
	case tokEOF:
		return "end of file"
	case tokNumber:
		return fmt.Sprintf("%q (a value starting with a digit, '.' or '-' must be quoted)", t.text)
	case tokPunct:
		return fmt.Sprintf("'%s'", t.text)
	}
	return fmt.Sprintf("%q", t.text)
}

// lexer is java.io.StreamTokenizer as ConfigFile sets it up: words of
// letters, digits, '.', '-', '$', '_', '*' and characters from U+00A0 up;
// strings in double or single quotes with C-like escapes (the grammar
// then accepts only double-quoted ones); // and /* */ comments, and a
// lone '/' comments out the rest of its line; whitespace is every byte up
// to ' '. A token starting with a digit, '.' or '-' is a number there,
// which no part of the grammar accepts.
type lexer struct {
	src  []byte
	pos  int
	line int
}

func isWordStart(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '$' || r == '_' || r == '*' || r >= 0xA0
}

func isWordPart(r rune) bool {
	return isWordStart(r) || r >= '0' && r <= '9' || r == '.' || r == '-'
}

func (l *lexer) peekRune() (rune, int) {
	if l.pos >= len(l.src) {
		return -1, 0
	}
	r, n := utf8.DecodeRune(l.src[l.pos:])
	return r, n
}

func (l *lexer) next() (token, error) {
	for {
		r, n := l.peekRune()
		switch {
		case r < 0:
			return token{kind: tokEOF, line: l.line}, nil
		case r == '\n':
			l.line++
			l.pos += n
		case r == '\r':
			l.pos += n
			if l.pos < len(l.src) && l.src[l.pos] == '\n' {
				l.pos++
			}
			l.line++
		case r <= ' ':
			l.pos += n
		case r == '/':
			l.pos++
			if l.pos < len(l.src) && l.src[l.pos] == '*' {
				l.pos++
				start := l.line
				for {
					if l.pos >= len(l.src) {
						return token{}, fmt.Errorf("comment opened at line %d is not closed", start)
					}
					if l.src[l.pos] == '*' && l.pos+1 < len(l.src) && l.src[l.pos+1] == '/' {
						l.pos += 2
						break
					}
					if l.src[l.pos] == '\n' {
						l.line++
					}
					l.pos++
				}
				continue
			}
			// "//" or a lone '/': the rest of the line is a comment.
			for l.pos < len(l.src) && l.src[l.pos] != '\n' && l.src[l.pos] != '\r' {
				l.pos++
			}
		case r == '"' || r == '\'':
			return l.quoted(byte(r))
		case r >= '0' && r <= '9' || r == '.' || r == '-':
			start := l.pos
			for {
				r, n := l.peekRune()
				if r < 0 || !isWordPart(r) {
					break
				}
				l.pos += n
			}
			return token{kind: tokNumber, text: string(l.src[start:l.pos]), line: l.line}, nil
		case isWordStart(r):
			start := l.pos
			for {
				r, n := l.peekRune()
				if r < 0 || !isWordPart(r) {
					break
				}
				l.pos += n
			}
			return token{kind: tokWord, text: string(l.src[start:l.pos]), line: l.line}, nil
		default:
			l.pos += n
			return token{kind: tokPunct, text: string(r), line: l.line}, nil
		}
	}
}

// quoted reads a quoted string. StreamTokenizer's escapes: \a \b \f \n \r
// \t \v, up to three octal digits, and \ before anything else is that
// character. Java ends an unterminated string at the end of the line
// without a word; that silently changes a security setting, so it is an
// error here.
func (l *lexer) quoted(q byte) (token, error) {
	line := l.line
	l.pos++
	var sb strings.Builder
	for {
		if l.pos >= len(l.src) || l.src[l.pos] == '\n' || l.src[l.pos] == '\r' {
			return token{}, fmt.Errorf("string opened at line %d is not closed on its line", line)
		}
		c := l.src[l.pos]
		if c == q {
			l.pos++
			kind := tokQuoted
			if q == '\'' {
				kind = tokSingleQuoted
			}
			return token{kind: kind, text: sb.String(), line: line}, nil
		}
		if c != '\\' {
			sb.WriteByte(c)
			l.pos++
			continue
		}
		l.pos++
		if l.pos >= len(l.src) {
			return token{}, fmt.Errorf("string opened at line %d is not closed", line)
		}
		c = l.src[l.pos]
		l.pos++
		switch c {
		case 'a':
			sb.WriteByte(7)
		case 'b':
			sb.WriteByte('\b')
		case 'f':
			sb.WriteByte('\f')
		case 'n':
			sb.WriteByte('\n')
		case 'r':
			sb.WriteByte('\r')
		case 't':
			sb.WriteByte('\t')
		case 'v':
			sb.WriteByte('\v')
		default:
			if c >= '0' && c <= '7' {
				v := int(c - '0')
				max := 2
				if c > '3' {
					max = 1
				}
				for i := 0; i < max && l.pos < len(l.src) && l.src[l.pos] >= '0' && l.src[l.pos] <= '7'; i++ {
					v = v*8 + int(l.src[l.pos]-'0')
					l.pos++
				}
				sb.WriteRune(rune(v))
			} else {
				sb.WriteByte(c)
			}
		}
	}
}
