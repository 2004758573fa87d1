// Package group is group membership on ZooKeeper, Apache Curator's
// GroupMember with its layout: each member is an ephemeral node named by
// its id under the group's path, holding the member's data.
//
//	m, err := group.NewMember(ctx, c, "/groups/indexers", hostname, []byte(addr))
//	if err != nil { ... }
//	defer m.Close(context.Background())
//	for id, data := range m.Members() { ... }
//
// # Nodes
//
//	<group>/<id>    ephemeral, data: the member's data
//
// Missing parents of <group> are created as container nodes, so an empty
// group's node goes away by itself.
//
// # Connection states
//
// The member's node is a node.Persistent: it is re-created after a session
// loss (once the client has a new session and the server has deleted the
// old node) and whenever someone deletes it. The member list is a
// recipes.ChildrenCache: on Suspended and Lost it keeps the last list read;
// on Reconnected it reads the group again. Members always includes this
// member.
//
// NewMember returns when this member's node exists and the list is loaded.
// Close stops both and waits for their goroutines.
package group
