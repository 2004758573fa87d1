package zab

// SyncMode is how the leader brings a learner up to date.
type SyncMode int

// Sync modes (LearnerHandler.syncFollower).
const (
	ModeDiff SyncMode = iota
	ModeTrunc
	ModeSnap
)

func (m SyncMode) String() string {
	return [...]string{"DIFF", "TRUNC", "SNAP"}[m]
}

// SyncPlan is the leader's decision for one learner: the op packet (DIFF or
// TRUNC to OpZxid, or SNAP of LastProcessed), then PROPOSAL+COMMIT for each
// of Proposals. Through is the zxid the learner will be at; forwarding of
// outstanding proposals starts after it.
type SyncPlan struct {
	Mode      SyncMode
	OpZxid    int64
	Proposals []Entry
	Through   int64
}

// HistoryReader reads logged txns older than the in-memory committed log
// (on-disk sync, C6a case 5). From returns the logged entries in order,
// starting at the newest entry ≤ zxid (or the oldest entry if none is), in
// order, or nil if they are not available (or too large to send: Java's
// snapshotSizeFactor limit); nil makes the leader send a snapshot.
type HistoryReader interface {
	From(zxid int64) []Entry
}

// PlanSync decides DIFF / TRUNC / TRUNC+DIFF / SNAP exactly as
// LearnerHandler.syncFollower: committed is the in-memory committed log
// (oldest first), lastProcessed the leader's last applied zxid.
func PlanSync(peerLastZxid, lastProcessed int64, committed []Entry, older HistoryReader, forceSnap bool) SyncPlan {
	isNewEpochZxid := CounterOf(peerLastZxid) == 0
	minC, maxC := lastProcessed, lastProcessed
	if len(committed) > 0 {
		minC, maxC = committed[0].Zxid, committed[len(committed)-1].Zxid
	}
	snap := SyncPlan{Mode: ModeSnap, OpZxid: lastProcessed, Through: lastProcessed}
	switch {
	case forceSnap:
		return snap
	case lastProcessed == peerLastZxid:
		return SyncPlan{Mode: ModeDiff, OpZxid: peerLastZxid, Through: peerLastZxid}
	case peerLastZxid > maxC && !isNewEpochZxid:
		return SyncPlan{Mode: ModeTrunc, OpZxid: maxC, Through: maxC}
	case minC <= peerLastZxid && peerLastZxid <= maxC:
		q := queuer{peer: peerLastZxid}
		q.queue(committed, nil, maxC)
		if q.needOp {
			return snap
		}
		return q.plan
	case peerLastZxid < minC && older != nil:
		logged := older.From(peerLastZxid)
		if len(logged) == 0 {
			return snap
		}
		q := queuer{peer: peerLastZxid}
		through := q.queue(logged, &minC, maxC)
		if through < minC {
			return snap // gap between the txn log and the committed log
		}
		through = q.queueFrom(committed, through, maxC)
		if q.needOp {
			return snap
		}
		q.plan.Through = through
		return q.plan
	}
	return snap
}

// queuer is queueCommittedProposals: it emits the op packet when it finds
// where the peer's history meets the leader's, then the later proposals.
type queuer struct {
	peer   int64
	needOp bool
	inited bool
	plan   SyncPlan
}

func (q *queuer) queue(itr []Entry, maxZxid *int64, lastCommitted int64) int64 {
	q.needOp = true
	q.inited = true
	return q.queueFrom2(itr, q.peer, maxZxid, lastCommitted)
}

// queueFrom continues with a second source from queued zxid 'from'.
func (q *queuer) queueFrom(itr []Entry, from, lastCommitted int64) int64 {
	return q.queueFrom2(itr, from, nil, lastCommitted)
}

func (q *queuer) queueFrom2(itr []Entry, peer int64, maxZxid *int64, lastCommitted int64) int64 {
	isNewEpochZxid := CounterOf(peer) == 0
	queued := peer
	prev := int64(-1)
	for _, p := range itr {
		z := p.Zxid
		if maxZxid != nil && z > *maxZxid {
			break
		}
		if z < peer {
			prev = z
			continue
		}
		if q.needOp {
			if z == peer {
				q.plan = SyncPlan{Mode: ModeDiff, OpZxid: lastCommitted}
				q.needOp = false
				continue
			}
			if isNewEpochZxid {
				q.plan = SyncPlan{Mode: ModeDiff, OpZxid: lastCommitted}
				q.needOp = false
			} else if z > peer {
				if EpochOf(z) != EpochOf(peer) {
					return queued
				}
				q.plan = SyncPlan{Mode: ModeTrunc, OpZxid: prev}
				q.needOp = false
			}
		}
		if z <= queued {
			continue
		}
		q.plan.Proposals = append(q.plan.Proposals, p)
		queued = z
	}
	if q.needOp && isNewEpochZxid {
		q.plan = SyncPlan{Mode: ModeDiff, OpZxid: lastCommitted}
		q.needOp = false
	}
	q.plan.Through = queued
	return queued
}
