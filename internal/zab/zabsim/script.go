package zabsim

import (
	"fmt"
	"strconv"
	"strings"
)

// Run executes one scripted command against the sim and returns its output.
// Commands (one per line in testdata scripts):
//
//	stabilize [steps]   run until quiet (default 400 steps), print sync traffic
//	write N             N client writes at the leader, then stabilize
//	crash ID            crash a member
//	crash-after-ack ID  crash ID right after it sends its NEWLEADER ACK
//	crash-before-fsync ID  crash leader ID after it sends its next PROPOSALs, before its fsync
//	crash-after-proposal-ack ID  crash learner ID right after it ACKs a PROPOSAL
//	crash-after-early-commit ID  crash ID in a Ready with entries to log, after its
//	                    early COMMITs are sent (leader) or applied, before its fsync
//	restart ID          restart a crashed member
//	cut A B / heal      partition / heal the network
//	isolate ID          cut ID from every other member
//	log ID              print a member's durable log (zxids) and epochs
//	check               print invariant violations (or "ok")
func (s *Sim) Run(line string) (string, error) {
	f := strings.Fields(line)
	if len(f) == 0 {
		return "", nil
	}
	id := func(i int) (int64, error) {
		if len(f) <= i {
			return 0, fmt.Errorf("zabsim: %s: missing argument", f[0])
		}
		v, err := strconv.ParseInt(f[i], 10, 64)
		if err == nil && s.byID[v] == nil {
			err = fmt.Errorf("zabsim: no member %d", v)
		}
		return v, err
	}
	switch f[0] {
	case "stabilize":
		n := 400
		if len(f) > 1 {
			n, _ = strconv.Atoi(f[1])
		}
		return s.stabilize(n), nil
	case "write":
		n, err := strconv.Atoi(f[1])
		if err != nil {
			return "", err
		}
		ok := 0
		s.opt.Trace = true
		start := len(s.Trace)
		for range n {
			if s.Write() {
				ok++
			}
			s.Step()
		}
		out := fmt.Sprintf("%d of %d writes proposed\n", ok, n)
		for _, l := range s.Trace[start:] {
			if strings.Contains(l, " crashes ") {
				out += l + "\n"
			}
		}
		return out + s.stabilize(200), nil
	case "crash", "restart", "crash-after-ack", "crash-before-fsync", "crash-after-proposal-ack", "crash-after-early-commit", "log", "isolate":
		v, err := id(1)
		if err != nil {
			return "", err
		}
		m := s.byID[v]
		switch f[0] {
		case "crash":
			s.crash(m, "scripted")
			m.downUntil = 0
		case "restart":
			s.start(m)
		case "crash-after-ack":
			m.crashOnAck = true
		case "crash-before-fsync":
			m.crashBeforeFsync = true
		case "crash-after-proposal-ack":
			m.crashOnProposalAck = true
		case "crash-after-early-commit":
			m.crashAfterEarlyCommit = true
		case "isolate":
			for _, o := range s.members {
				if o.id != v {
					s.Cut(v, o.id)
				}
			}
		case "log":
			return s.describe(m), nil
		}
		return "", nil
	case "cut":
		a, err := id(1)
		if err != nil {
			return "", err
		}
		b, err := id(2)
		if err != nil {
			return "", err
		}
		s.Cut(a, b)
		return "", nil
	case "heal":
		s.Heal()
		return "", nil
	case "check":
		if len(s.Violations) == 0 {
			return "ok\n", nil
		}
		return strings.Join(s.Violations, "\n") + "\n", nil
	}
	return "", fmt.Errorf("zabsim: unknown command %q", f[0])
}

func (s *Sim) describe(m *member) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d: up=%v accepted=%d current=%d log=[", m.id, m.up, m.accepted, m.current)
	for i, e := range m.log {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%x", e.Zxid)
	}
	b.WriteString("]\n")
	return b.String()
}

// stabilize runs n steps and reports the interesting events (sync packets,
// roles, crashes, role ends) from the trace, skipping pings and broadcast.
func (s *Sim) stabilize(n int) string {
	s.opt.Trace = true
	start := len(s.Trace)
	for range n {
		s.Step()
	}
	var b strings.Builder
	for _, l := range s.Trace[start:] {
		if strings.Contains(l, " PING ") || strings.Contains(l, " PROPOSAL ") && !strings.Contains(l, "sync") ||
			strings.Contains(l, " COMMIT ") || strings.Contains(l, " proposes ") || strings.Contains(l, " INFORM ") {
			continue
		}
		b.WriteString(l)
		b.WriteByte('\n')
	}
	ld := s.Leader()
	fmt.Fprintf(&b, "leader=%d committed=%d violations=%d\n", ld, len(s.history), len(s.Violations))
	return b.String()
}
