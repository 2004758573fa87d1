// Package naming is a naming service and service discovery on ZooKeeper in
// the manner of Apache Curator's curator-x-discovery, on the recipes
// client.
//
// # Nodes
//
//	<base>/<service>/<instance id>   JSON of Instance; ephemeral for DYNAMIC
//	                                 instances, persistent otherwise
//
// The JSON has curator-x-discovery's ServiceInstance fields:
//
//	{"name":"api","id":"6f1c…","address":"10.0.0.7","port":8080,
//	 "registrationTimeUTC":1700000000000,"serviceType":"DYNAMIC",
//	 "enabled":true,"payload":{…},"metadata":{"zone":"a"}}
//
// so Curator's ServiceDiscovery (with JsonInstanceSerializer) and this
// package find each other's instances; "metadata" is ignored by Curator,
// and a Curator payload is kept as raw JSON.
//
// # Registering
//
// Discovery.Register writes an instance; Update rewrites it; Unregister
// and Close delete it. A dynamic instance's node is ephemeral: when the
// session is lost it disappears, and Discovery writes it again after the
// client reports Reconnected (it also replaces a node left by an old
// session of the same client). While the client is Suspended nothing is
// done: the node is probably still there.
//
// # Finding
//
// Discovery.Instances reads a service's instances once. A ServiceCache
// (Discovery.Cache) keeps them in memory with Added, Updated and Removed
// events; a Provider (Discovery.Provider) picks one enabled instance per
// call with a Strategy: Random, RoundRobin, or Sticky(inner), which keeps
// its choice while that instance exists. Caches keep their last list while
// disconnected and read again on Reconnected.
//
// # Unique names
//
// UniqueName creates a persistent sequential node and returns its name,
// "<prefix>0000000042": unique under its parent, in creation order.
package naming
