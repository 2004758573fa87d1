package zab

// LearnerCounts is what ZooKeeper's leader gauges count (Leader's
// learners, forwardingFollowers, observingLearners and pendingSyncs).
type LearnerCounts struct {
	// Learners is every connected learner, synced or not.
	Learners int
	// SyncedFollowers are the followers the leader forwards proposals to
	// (sync sent), voting or not; SyncedNonVoting are those of them the
	// configuration does not count as voters.
	SyncedFollowers, SyncedNonVoting int
	// SyncedObservers are the observers the leader informs (sync sent).
	SyncedObservers int
	// PendingSyncs is how many distinct zxids learners' syncs wait for.
	PendingSyncs int
}

// LearnerCounts reads the learners' stages. Like every Leader method, it
// runs on the goroutine that owns the core.
func (l *Leader) LearnerCounts() LearnerCounts {
	c := LearnerCounts{Learners: len(l.handlers), PendingSyncs: len(l.syncs)}
	for _, h := range l.handlers {
		if h.stage < stageSynced {
			continue
		}
		switch {
		case h.observer:
			c.SyncedObservers++
		case !isVoter(l.cfg.Voters, h.sid):
			c.SyncedFollowers++
			c.SyncedNonVoting++
		default:
			c.SyncedFollowers++
		}
	}
	return c
}
