package server

import "strings"

// Property returns a setting by its zoo.cfg key or by its Java system
// property name, with ZooKeeper's equivalence between the two: a zoo.cfg key
// K that QuorumPeerConfig does not know becomes the system property
// "zookeeper.K", so "ssl.keyStore.location" and
// "zookeeper.ssl.keyStore.location" name one setting. The exact name wins
// when both are present. Values are trimmed as Java trims zoo.cfg values.
func (c Config) Property(name string) (string, bool) {
	if v, ok := c.Properties[name]; ok {
		return strings.TrimSpace(v), true
	}
	other := "zookeeper." + name
	if bare, ok := strings.CutPrefix(name, "zookeeper."); ok {
		other = bare
	}
	if v, ok := c.Properties[other]; ok {
		return strings.TrimSpace(v), true
	}
	return "", false
}
