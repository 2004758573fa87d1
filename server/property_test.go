package server

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestPropertyEquivalence(t *testing.T) {
	c := Config{Properties: map[string]string{
		"ssl.keyStore.location":         " /etc/zk/ks.p12 ",
		"zookeeper.authProvider.1":      "org.apache.zookeeper.server.auth.SASLAuthenticationProvider",
		"secureClientPort":              "2281",
		"zookeeper.secureClientPort":    "9999",
		"zookeeper.ssl.trustStore.type": "PEM",
		"ssl.trustStore.type":           "JKS",
	}}
	for _, tc := range []struct {
		name, want string
		ok         bool
	}{
		{"ssl.keyStore.location", "/etc/zk/ks.p12", true},
		{"zookeeper.ssl.keyStore.location", "/etc/zk/ks.p12", true},
		{"authProvider.1", "org.apache.zookeeper.server.auth.SASLAuthenticationProvider", true},
		{"secureClientPort", "2281", true},
		{"zookeeper.secureClientPort", "9999", true},
		{"zookeeper.ssl.trustStore.type", "PEM", true},
		{"ssl.trustStore.type", "JKS", true},
		{"ssl.clientAuth", "", false},
	} {
		v, ok := c.Property(tc.name)
		assert.Equal(t, tc.ok, ok, tc.name)
		assert.Equal(t, tc.want, v, tc.name)
	}
}
