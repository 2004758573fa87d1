package tlsconf

import (
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"strings"
)

// rfc2253Keywords are the attribute types Java's X500Principal.getName()
// (RFC 2253 format) writes by keyword; any other type is written as its
// dotted OID with the value as '#' and the hex of its DER encoding.
var rfc2253Keywords = map[string]string{
	"2.5.4.3":                    "CN",
	"2.5.4.6":                    "C",
	"2.5.4.7":                    "L",
	"2.5.4.8":                    "ST",
	"2.5.4.10":                   "O",
	"2.5.4.11":                   "OU",
	"2.5.4.9":                    "STREET",
	"0.9.2342.19200300.100.1.25": "DC",
	"0.9.2342.19200300.100.1.1":  "UID",
}

// rawATV is an AttributeTypeAndValue with its value kept as DER.
type rawATV struct {
	Type  asn1.ObjectIdentifier
	Value asn1.RawValue
}

// rawRDNSET is one RelativeDistinguishedName (a SET OF; the type name's
// SET suffix tells encoding/asn1).
type rawRDNSET []rawATV

// DER string tags Java's AVA writes as text (AVA.isDerString, not canonical).
const (
	tagUTF8String      = 12
	tagPrintableString = 19
	tagT61String       = 20
	tagIA5String       = 22
	tagGeneralString   = 27
	tagBMPString       = 30
)

// X509ID is Java's X500Principal.getName() (RFC 2253) of the subject:
// the id the x509 scheme gives a client certificate. RDNs are written last
// first, joined by ','; the AVAs of a multi-valued RDN in their encoded
// order joined by '+'. Values of string types are written as text with
// Java's escapes (a backslash before any of ,=+<>#;"\ and before leading
// or trailing spaces, \00 for NUL); other values and unknown attribute
// types as '#' and hex DER.
func X509ID(cert *x509.Certificate) string {
	return rfc2253Name(cert.RawSubject)
}

func rfc2253Name(rawName []byte) string {
	var rdns []rawRDNSET
	if rest, err := asn1.Unmarshal(rawName, &rdns); err != nil || len(rest) > 0 {
		return ""
	}
	var sb strings.Builder
	for i := len(rdns) - 1; i >= 0; i-- {
		if i != len(rdns)-1 {
			sb.WriteByte(',')
		}
		for j, atv := range rdns[i] {
			if j > 0 {
				sb.WriteByte('+')
			}
			writeAVA(&sb, atv)
		}
	}
	return sb.String()
}

func writeAVA(sb *strings.Builder, atv rawATV) {
	oid := atv.Type.String()
	kw, known := rfc2253Keywords[oid]
	if !known {
		kw = oid
	}
	sb.WriteString(kw)
	sb.WriteByte('=')
	v := atv.Value
	if !known || v.Class != asn1.ClassUniversal || !isDERString(v.Tag) {
		sb.WriteByte('#')
		sb.WriteString(hex.EncodeToString(v.FullBytes))
		return
	}
	text := derText(v)
	const escapees = ",=+<>#;\"\\"
	var esc []rune
	for _, c := range text {
		switch {
		case strings.ContainsRune(escapees, c):
			esc = append(esc, '\\', c)
		case c == 0:
			esc = append(esc, '\\', '0', '0')
		default:
			esc = append(esc, c)
		}
	}
	lead := 0
	for lead < len(esc) && (esc[lead] == ' ' || esc[lead] == '\r') {
		lead++
	}
	trail := len(esc) - 1
	for trail >= 0 && (esc[trail] == ' ' || esc[trail] == '\r') {
		trail--
	}
	for i, c := range esc {
		if i < lead || i > trail {
			sb.WriteByte('\\')
		}
		sb.WriteRune(c)
	}
}

func isDERString(tag int) bool {
	switch tag {
	case tagUTF8String, tagPrintableString, tagT61String, tagIA5String, tagGeneralString, tagBMPString:
		return true
	}
	return false
}

// derText is the value's bytes read as UTF-8 whatever the string type,
// as Java's AVA does (so a BMPString's UTF-16 comes out as NULs and
// replacement characters, exactly as Java prints it); ranging over the
// result turns each invalid byte into U+FFFD, as Java's decoder does.
func derText(v asn1.RawValue) string { return string(v.Bytes) }
