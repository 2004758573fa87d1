package sasl

import (
	"testing"

	"github.com/jcmturner/gokrb5/v8/keytab"
)

// FuzzGSSAPIServerStep feeds arbitrary first and second tokens: a
// malformed token is an error, never a panic (the server parses them on
// the connection's reader goroutine).
func FuzzGSSAPIServerStep(f *testing.F) {
	f.Add([]byte{0x60, 0x0b, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02, 0x01, 0x00}, []byte{})
	f.Add([]byte{0x60, 0x80}, []byte{0x05, 0x04, 0x00, 0xff})
	f.Add([]byte{0x60, 0x82, 0x01, 0x00, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02, 0x01, 0x00, 0x6e, 0x82, 0x00, 0x10}, []byte{1})
	f.Fuzz(func(t *testing.T, first, second []byte) {
		s := NewGSSAPIServer(keytab.New(), "zookeeper/localhost@EXAMPLE.COM")
		if _, done, err := s.Step(first); err == nil || done {
			t.Fatalf("a forged first token was accepted")
		}
		s = NewGSSAPIServer(keytab.New(), "zookeeper/localhost")
		s.state = gssLayerSent
		s.key.KeyType = 18
		s.key.KeyValue = make([]byte, 32)
		_, _, _ = s.Step(second)
	})
}
