package cli

import (
	"strings"
)

// optSpec lists a command's one-letter options: the letter, and whether
// it takes a value.
type optSpec map[byte]bool

// parsedArgs is what commons-cli's DefaultParser hands a command: the
// options seen (first value of each) and the remaining arguments, the
// command name first.
type parsedArgs struct {
	opts  map[byte]string
	order []byte // options in the order they were seen, repeats included
	args  []string
}

func (p *parsedArgs) has(c byte) bool { _, ok := p.opts[c]; return ok }

func (p *parsedArgs) value(c byte) string { return p.opts[c] }

// parseError is commons-cli's ParseException as zkCli prints it: the
// exception's class name and message.
type parseError string

func (e parseError) Error() string { return string(e) }

func unrecognized(tok string) error {
	return parseError("org.apache.commons.cli.UnrecognizedOptionException: Unrecognized option: " + tok)
}

func missingArg(c byte) error {
	return parseError("org.apache.commons.cli.MissingArgumentException: Missing argument for option: " + string(c))
}

// parseOpts follows DefaultParser without stopAtNonOption: options may
// come anywhere, "--" ends them, "-" alone is an argument, "-ab" bundles
// flags, "-v5" and "-v 5" give a value, and an option expecting a value
// takes the next token unless that token is itself an option.
func parseOpts(spec optSpec, tokens []string) (*parsedArgs, error) {
	p := &parsedArgs{opts: map[byte]string{}}
	var pending byte // option waiting for its value
	set := func(c byte, v string) {
		p.order = append(p.order, c)
		if _, ok := p.opts[c]; !ok {
			p.opts[c] = v
		}
	}
	isOption := func(tok string) bool {
		return len(tok) >= 2 && tok[0] == '-' && tok != "--" && tok[1] != '-' && hasOpt(spec, tok[1])
	}
	for i, tok := range tokens {
		if pending != 0 {
			if !isOption(tok) || isNegativeNumber(tok) {
				set(pending, tok)
				pending = 0
				continue
			}
			return nil, missingArg(pending)
		}
		switch {
		case tok == "--":
			p.args = append(p.args, tokens[i+1:]...)
			return p, nil
		case tok == "-" || !strings.HasPrefix(tok, "-"):
			p.args = append(p.args, tok)
		case strings.HasPrefix(tok, "--"):
			return nil, unrecognized(tok)
		default:
			name := tok[1:]
			if len(name) == 1 {
				takesArg, ok := spec[name[0]]
				if !ok {
					return nil, unrecognized(tok)
				}
				if takesArg {
					pending = name[0]
				} else {
					set(name[0], "")
				}
				continue
			}
			if takesArg, ok := spec[name[0]]; ok && takesArg {
				set(name[0], name[1:]) // -v5
				continue
			}
			for j := 0; j < len(name); j++ {
				takesArg, ok := spec[name[j]]
				if !ok {
					return nil, unrecognized(tok)
				}
				if takesArg {
					if j+1 < len(name) {
						set(name[j], name[j+1:])
					} else {
						pending = name[j]
					}
					break
				}
				set(name[j], "")
			}
		}
	}
	if pending != 0 {
		return nil, missingArg(pending)
	}
	return p, nil
}

func hasOpt(spec optSpec, c byte) bool { _, ok := spec[c]; return ok }

func isNegativeNumber(s string) bool {
	if len(s) < 2 || s[0] != '-' {
		return false
	}
	dot := false
	for _, c := range s[1:] {
		switch {
		case c >= '0' && c <= '9':
		case c == '.' && !dot:
			dot = true
		default:
			return false
		}
	}
	return true
}

// splitLine is zkCli's parseCommand: tokens are runs of non-space
// characters, or text in matching double or single quotes (quotes
// removed). A quote with no partner is skipped, as Java's regex skips it.
func splitLine(line string) []string {
	var out []string
	isSpace := func(c byte) bool {
		return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
	}
	i := 0
	for i < len(line) {
		c := line[i]
		switch {
		case isSpace(c):
			i++
		case c == '"' || c == '\'':
			end := strings.IndexByte(line[i+1:], c)
			if end < 0 {
				i++ // no partner: the regex finds a match further on
				continue
			}
			out = append(out, line[i+1:i+1+end])
			i += end + 2
		default:
			j := i + 1
			for j < len(line) && !isSpace(line[j]) {
				j++
			}
			out = append(out, line[i:j])
			i = j
		}
	}
	return out
}
