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
// # Typed payloads
//
// Curator's payload is typed: ServiceInstance<T>.getPayload carries
// Jackson's @JsonTypeInfo(use = CLASS), so a ServiceDiscovery<T> built with
// JsonInstanceSerializer<T> expects the payload to be a JSON object that
// names its Java class in an "@class" property:
//
//	"payload":{"@class":"com.example.InstanceDetails","zone":"eu","weight":3}
//
// A payload without it decodes to a map, the serializer's cast to T throws
// ClassCastException, and Curator then cannot list that service at all,
// its own instances included. Instance.PayloadClass (or SetPayload) is
// written as that "@class" property, and is read back from it, so set it
// for every service that Java reads with a typed ServiceDiscovery. A
// ServiceDiscovery<Object> (or Map) reads payloads with or without it.
// Curator's default compatible serializer does not write "enabled"; a
// missing "enabled" reads as true. internal/curatortest checks both
// directions against Curator 5.4's ServiceDiscovery, typed and untyped.
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
// A Provider skips, as Curator's ServiceProvider does, instances rejected
// by a filter (WithInstanceFilter: Curator's InstanceFilter) and instances
// reported down: after DownInstancePolicy.ErrorThreshold calls of
// NoteError for an instance it is skipped until the policy's Timeout has
// passed since the first report (Curator's DownInstancePolicy; the default,
// as Curator's, is 2 errors and 30 seconds). Down reports are kept in the
// Provider's memory only.
//
// # Unique names
//
// UniqueName creates a persistent sequential node and returns its name,
// "<prefix>0000000042": unique under its parent, in creation order.
package naming
