// Package javaprops reads Java .properties files (java.util.Properties.load),
// the syntax of zoo.cfg and of zkCli's -client-configuration file:
//
//	# comment            ! comment
//	key=value            key: value            key value
//	long.value=first \
//	    second           (a line ending in an odd number of '\' continues)
//
// Leading blanks (space, tab, form feed) are dropped from every line, the
// separator is the first unescaped '=', ':' or blank (blanks around it
// are dropped), and \t \n \r \f, \uXXXX (exactly four hex digits, a
// UTF-16 pair of them making one character; anything else is
// ErrMalformedUnicode, as Java fails) and \x (x itself) are unescaped in
// keys and values. A repeated key keeps its last value.
//
// zoo.cfg (server.ParseConfig) and zkCli's -client-configuration file
// (internal/cli) are both read here. Java reads both as ISO-8859-1 bytes;
// here they are read as UTF-8 text.
package javaprops
