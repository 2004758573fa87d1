package server

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestRegistryKnowsWhatIsRead: every setting the TLS, SASL and quorum
// security code reads is known to the registry, so a configuration using
// it is neither refused as a typo nor told it is ignored.
func TestRegistryKnowsWhatIsRead(t *testing.T) {
	read := map[string]string{
		"ssl.allowReverseDnsLookup":                          "true",
		"ssl.quorum.allowReverseDnsLookup":                   "false",
		"zookeeper.client.certReload":                        "true",
		"zookeeper.netty.server.outstandingHandshake.limit":  "100",
		"zookeeper.superUser":                                "admin",
		"zookeeper.superUser.1":                              "ops",
		"zookeeper.SASLAuthenticationProvider.superPassword": "pw",
		"zookeeper.X509AuthenticationProvider.superUser":     "CN=admin",
		"sslQuorumReloadCertFiles":                           "true",
		"ssl.handshakeDetectionTimeoutMillis":                "500",
		"zookeeper.sasl.serverconfig":                        "Server",
		"kerberos.removeHostFromPrincipal":                   "true",
		"quorum.auth.kerberos.servicePrincipal":              "zkquorum/localhost",
	}
	for k, v := range read {
		c := Config{Properties: map[string]string{k: v}}
		warnings, err := c.Check()
		assert.NoError(t, err, k)
		assert.Empty(t, warnings, k)
	}
}
