package quorum

// State is a peer's state: looking for a leader, establishing a role
// (leading, following, observing: syncing, no engine serves yet), or
// serving in one (leader, follower, observer), or serving read-only
// clients while looking.
type State int

// The peer states. The zero value is Looking.
const (
	Looking State = iota
	Leading
	Following
	Observing
	Leader
	Follower
	Observer
	ReadOnly
)

var stateNames = [...]string{
	Looking:   "looking",
	Leading:   "leading",
	Following: "following",
	Observing: "observing",
	Leader:    "leader",
	Follower:  "follower",
	Observer:  "observer",
	ReadOnly:  "read-only",
}

// String is the state as the peer logs it; a serving state is srvr's Mode.
func (s State) String() string {
	if s >= 0 && int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "unknown"
}
