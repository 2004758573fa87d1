package txnlog

import (
	"encoding/hex"
	"testing"

	"github.com/stretchr/testify/assert"
)

// Vectors printed by Java 17: new String(bytes, UTF_8).codePoints().
func TestJavaStringMalformed(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"ffffffff", "\ufffd\ufffd\ufffd\ufffd"},
		{"61ff62", "a\ufffdb"},
		{"c3", "\ufffd"},
		{"c341", "\ufffdA"},
		{"c080", "\ufffd\ufffd"},
		{"e282", "\ufffd"},
		{"e28241", "\ufffdA"},
		{"e24141", "\ufffdAA"},
		{"e08080", "\ufffd\ufffd\ufffd"},
		{"eda080", "\ufffd"},
		{"f09f98", "\ufffd"},
		{"f09f9841", "\ufffdA"},
		{"f0808080", "\ufffd\ufffd\ufffd\ufffd"},
		{"f4908080", "\ufffd\ufffd\ufffd\ufffd"},
		{"f580", "\ufffd\ufffd"},
		{"8080", "\ufffd\ufffd"},
		{"e282ac", "\u20ac"},
		{"f09f9880", "\U0001f600"},
		{"f09f", "\ufffd"},
		{"f0", "\ufffd"},
		{"e2", "\ufffd"},
		{"f09f4141", "\ufffdAA"},
		{"000000062fffffffff00", "\x00\x00\x00\x06/\ufffd\ufffd\ufffd\ufffd\x00"},
		{"ed9fbf", "\ud7ff"},
		{"efbf", "\ufffd"},
		{"f48fbf", "\ufffd"},
		{"f888808080", "\ufffd\ufffd\ufffd\ufffd\ufffd"},
	} {
		b, err := hex.DecodeString(tc.in)
		if assert.NoError(t, err) {
			assert.Equal(t, tc.want, javaString(b), tc.in)
		}
	}
}
