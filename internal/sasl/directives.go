package sasl

import (
	"bytes"
	"fmt"
	"strings"
)

// directives is one parsed digest-challenge or digest-response: lower-cased
// directive names to raw values (quotes and escapes removed). Repeated
// realm directives in a challenge are kept in realms; any other repeated
// directive is a protocol violation, as in Java's parseDirectives.
type directives struct {
	values map[string][]byte
	realms [][]byte
}

func (d *directives) get(name string) ([]byte, bool) {
	v, ok := d.values[name]
	return v, ok
}

// parseDirectives reads RFC 2831's 1#( name "=" ( token | quoted-string ) )
// list the way Java's DigestMD5Base.parseDirectives does: linear white
// space (CR, LF, SP, HT) around names and separators is skipped, empty list
// elements are allowed, a backslash in a quoted string escapes the next
// byte, and names are matched case-insensitively.
func parseDirectives(buf []byte, allowRealmList bool) (*directives, error) {
	d := &directives{values: make(map[string][]byte)}
	var key, value bytes.Buffer
	gettingKey, quoted, expectSeparator := true, false, false

	finish := func() error {
		name := strings.ToLower(key.String())
		v := bytes.Clone(value.Bytes())
		if v == nil {
			v = []byte{}
		}
		key.Reset()
		value.Reset()
		if prev, dup := d.values[name]; dup {
			if !(allowRealmList && name == "realm") {
				return fmt.Errorf("%w: more than one %s directive", ErrProtocol, name)
			}
			if len(d.realms) == 0 {
				d.realms = append(d.realms, prev)
			}
			d.realms = append(d.realms, v)
			return nil
		}
		d.values[name] = v
		return nil
	}

	i := skipLWS(buf, 0)
	for i < len(buf) {
		b := buf[i]
		switch {
		case gettingKey:
			switch {
			case b == ',':
				if key.Len() != 0 {
					return nil, fmt.Errorf("%w: directive name contains ','", ErrProtocol)
				}
				i = skipLWS(buf, i+1)
			case b == '=':
				if key.Len() == 0 {
					return nil, fmt.Errorf("%w: empty directive name", ErrProtocol)
				}
				gettingKey = false
				i = skipLWS(buf, i+1)
				if i >= len(buf) {
					return nil, fmt.Errorf("%w: directive %q has no value", ErrProtocol, key.String())
				}
				if buf[i] == '"' {
					quoted = true
					i++
				}
			case isLWS(b):
				i = skipLWS(buf, i+1)
				if i >= len(buf) || buf[i] != '=' {
					return nil, fmt.Errorf("%w: '=' expected after %q", ErrProtocol, key.String())
				}
			default:
				key.WriteByte(b)
				i++
			}
		case quoted:
			switch b {
			case '\\':
				i++
				if i >= len(buf) {
					return nil, fmt.Errorf("%w: unterminated quoted value of %q", ErrProtocol, key.String())
				}
				value.WriteByte(buf[i])
				i++
			case '"':
				i++
				quoted = false
				expectSeparator = true
			default:
				value.WriteByte(b)
				i++
			}
		case isLWS(b) || b == ',':
			if err := finish(); err != nil {
				return nil, err
			}
			gettingKey, quoted, expectSeparator = true, false, false
			i = skipLWS(buf, i+1)
		case expectSeparator:
			return nil, fmt.Errorf("%w: ',' expected after quoted value of %q", ErrProtocol, key.String())
		default:
			value.WriteByte(b)
			i++
		}
	}
	if quoted {
		return nil, fmt.Errorf("%w: unterminated quoted value of %q", ErrProtocol, key.String())
	}
	if !gettingKey && key.Len() > 0 {
		if err := finish(); err != nil {
			return nil, err
		}
	} else if key.Len() > 0 {
		return nil, fmt.Errorf("%w: directive %q has no value", ErrProtocol, key.String())
	}
	return d, nil
}

func isLWS(b byte) bool { return b == '\r' || b == '\n' || b == ' ' || b == '\t' }

func skipLWS(buf []byte, i int) int {
	for i < len(buf) && isLWS(buf[i]) {
		i++
	}
	return i
}

// writeQuoted appends v as the inside of an RFC 2831 quoted-string,
// escaping '"', '\\', DEL and the control bytes other than CR, HT and LF
// as Java's writeQuotedStringValue does.
func writeQuoted(out *bytes.Buffer, v []byte) {
	for _, b := range v {
		if b == '"' || b == '\\' || b == 127 || (b <= 31 && b != '\r' && b != '\t' && b != '\n') {
			out.WriteByte('\\')
		}
		out.WriteByte(b)
	}
}

// writeQuotedDirective appends name="value", with a trailing comma when
// comma is set.
func writeQuotedDirective(out *bytes.Buffer, name string, v []byte, comma bool) {
	out.WriteString(name)
	out.WriteString(`="`)
	writeQuoted(out, v)
	out.WriteByte('"')
	if comma {
		out.WriteByte(',')
	}
}
