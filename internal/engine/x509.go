package engine

import (
	"github.com/zkit-go/zkit/internal/acl"
	"github.com/zkit-go/zkit/internal/proto"
)

// reauthX509 answers an auth packet of the x509 scheme on a connection
// whose client certificate already authenticated it: Java's
// X509AuthenticationProvider authenticates the connection's certificate
// chain whatever the packet carries, so it succeeds and adds the ids the
// connection already holds. Without a certificate (or without the
// scheme) it reports false and the packet fails as any unknown login.
func (c *conn) reauthX509(scheme string) bool {
	if scheme != acl.SchemeX509 || !c.e.cfg.X509.Enabled {
		return false
	}
	a, ok := c.nc.(interface{ AuthIDs() []proto.ID })
	return ok && len(a.AuthIDs()) > 0
}
