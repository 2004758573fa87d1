package quorumauth

import (
	"errors"
	"fmt"
	"strings"
)

// Kerberos (GSSAPI) names, as Java's QuorumAuth and SecurityUtils have them.
const (
	// DefaultServicePrincipal is quorum.auth.kerberos.servicePrincipal's
	// default: the principal a learner asks a ticket for.
	DefaultServicePrincipal = "zkquorum/localhost"
	// HostPattern in the service principal's host part stands for the
	// host of the server being connected to.
	HostPattern = "_HOST"
)

// ErrUnauthorizedHost reports a Kerberos learner whose principal's host is
// not one of the ensemble's hosts (or whose principal has no host).
var ErrUnauthorizedHost = errors.New("quorumauth: learner not authorized to join the ensemble")

// InitialResponder is a LearnerMechanism that speaks first (GSSAPI's
// AP-REQ; Java's SaslClient.hasInitialResponse). Learner.Start then
// sends Step(empty)'s token instead of an empty one.
type InitialResponder interface {
	HasInitialResponse() bool
}

// ServicePrincipal is SecurityUtils.getServerPrincipal: when config is
// exactly "service/_HOST" the host part becomes host in lower case;
// anything else (a realm after _HOST included) is returned unchanged.
func ServicePrincipal(config, host string) string {
	service, rest, ok := strings.Cut(config, "/")
	if !ok || strings.Contains(rest, "/") || rest != HostPattern {
		return config
	}
	return service + "/" + strings.ToLower(host)
}

// HostAuthorizer is SaslQuorumServerCallbackHandler's check for a
// Kerberos learner: the requested id must be the authenticated principal,
// of the form service/host@REALM, with host one of hosts (the ensemble's
// server.N hosts, as written in the configuration). It returns the
// authorized id, or ErrUnauthorizedHost.
func HostAuthorizer(hosts []string) func(authcid, requested string) (string, error) {
	allowed := make(map[string]bool, len(hosts))
	for _, h := range hosts {
		allowed[h] = true
	}
	return func(authcid, requested string) (string, error) {
		if authcid != requested {
			return "", fmt.Errorf("%w: %s asked to act as %s", ErrUnauthorizedHost, authcid, requested)
		}
		parts := javaSplit(requested)
		if len(parts) != 3 {
			return "", fmt.Errorf("%w: %s is not of the form service/host@REALM", ErrUnauthorizedHost, requested)
		}
		if !allowed[parts[1]] {
			return "", fmt.Errorf("%w: host %q of %s is not a server of the ensemble", ErrUnauthorizedHost, parts[1], requested)
		}
		return requested, nil
	}
}

// javaSplit is Java's s.split("[/@]"): empty parts kept, except trailing
// ones.
func javaSplit(s string) []string {
	var parts []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '/' || s[i] == '@' {
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	parts = append(parts, s[start:])
	for len(parts) > 0 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	return parts
}
