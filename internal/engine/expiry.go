package engine

import (
	"time"

	"github.com/zkit-go/zkit/internal/proto"
)

// expiryLoop closes sessions whose timeout passed without a touch. Expiry
// is in tick buckets, as ZooKeeper's ExpiryQueue: a session expires at the
// first tick boundary after its deadline.
func (e *Engine) expiryLoop() {
	timer := time.NewTimer(e.cfg.TickTime)
	defer timer.Stop()
	for {
		select {
		case <-timer.C:
		case <-e.stop:
			return
		}
		now := time.Now()
		for _, s := range e.sessions.Expired(now.UnixMilli()) {
			e.stats.staleSessionsExpired.Inc()
			e.log.Info("session expired", "session", hex(s.ID), "timeout_ms", s.Timeout)
			if !e.submit(&request{sessionID: s.ID, op: proto.OpCloseSession, internal: true, received: now}) {
				return
			}
		}
		wait := e.cfg.TickTime
		if next := e.sessions.NextExpiry(); next > 0 {
			if d := time.Until(time.UnixMilli(next)); d < wait {
				wait = d
			}
		}
		if wait < time.Millisecond {
			wait = time.Millisecond
		}
		timer.Reset(wait)
	}
}

// containerLoop deletes containers whose last child went and TTL nodes
// whose time ran out, as ZooKeeper's ContainerManager, at most
// ContainerMaxPerMinute per minute.
func (e *Engine) containerLoop() {
	ticker := time.NewTicker(e.cfg.ContainerCheckInterval)
	defer ticker.Stop()
	minGap := time.Minute / time.Duration(e.cfg.ContainerMaxPerMinute)
	for {
		select {
		case <-ticker.C:
		case <-e.stop:
			return
		}
		e.treeMu.RLock()
		paths := e.tree.ContainerCandidates(time.Now().UnixMilli(), 0)
		e.treeMu.RUnlock()
		for _, p := range paths {
			r := &request{op: proto.OpDeleteContainer, rec: &proto.PathRequest{Path: p}, internal: true, received: time.Now()}
			if !e.submit(r) {
				return
			}
			if minGap > 0 {
				select {
				case <-time.After(minGap):
				case <-e.stop:
					return
				}
			}
		}
	}
}
