#!/usr/bin/env python3
"""trace-summary.py FUNC: reads `go tool trace -d=parsed TRACE` on stdin and
prints (1) where the goroutine that runs FUNC (the one whose stacks name it
most often, e.g. 'quorum.(*leaderRole).handleReady') spent the trace: running,
runnable, in which syscall, waiting on what; and (2) every syscall's
count and duration (enter to exit, as the Go tracer saw it) in the whole
process. Used by scripts/profile-ensemble.sh; see docs/performance.md."""
import collections
import re
import sys

EVENT = re.compile(r'^M=\S+ P=\S+ G=\S+ StateTransition Time=(\d+) GoID=(\d+) (\w+)->(\w+)(?: Reason="([^"]*)")?')


def parse(lines):
    """StateTransition events as [time, goid, from, to, reason, frames]."""
    events, cur = [], None
    for line in lines:
        if line.startswith('M='):
            m = EVENT.match(line)
            cur = [int(m.group(1)), m.group(2), m.group(3), m.group(4), m.group(5) or '', []] if m else None
            if cur:
                events.append(cur)
        elif cur is not None and line.startswith('\t') and ' @ ' in line:
            cur[5].append(line.strip().split(' @')[0])
    return events


def goroutine_states(events, func):
    named = collections.Counter(e[1] for e in events if any(func in f for f in e[5]))
    if not named:
        print(f"no goroutine runs {func}")
        return
    g = named.most_common(1)[0][0]
    mine = [e for e in events if e[1] == g]
    total = mine[-1][0] - mine[0][0]
    states, detail = collections.Counter(), collections.Counter()
    for a, b in zip(mine, mine[1:]):
        d = b[0] - a[0]
        states[a[3]] += d
        if a[3] in ('Waiting', 'Syscall'):
            frames = [f for f in a[5] if 'zkit' in f or f.startswith('syscall.')]
            detail[(a[3], a[4], frames[0] if frames else '?')] += d
    print(f"goroutine {g} ({func}), {total / 1e9:.2f} s:")
    for st, d in states.most_common():
        print(f"  {st:9s} {d / 1e6:8.1f} ms {100 * d / total:5.1f}%")
    for (st, reason, frame), d in detail.most_common(6):
        print(f"    {st:8s} {reason:13s} {d / 1e6:8.1f} ms {100 * d / total:5.1f}%  {frame}")


def syscalls(events):
    start, durs = {}, collections.defaultdict(list)
    for t, g, a, b, _, frames in events:
        if b == 'Syscall' and frames:
            start[g] = (frames[0], t)
        elif a == 'Syscall' and g in start:
            name, t0 = start.pop(g)
            durs[name].append(t - t0)
    print("syscalls (whole process):")
    for name, ds in sorted(durs.items(), key=lambda kv: -sum(kv[1])):
        ds.sort()
        n = len(ds)

        def q(p):
            return ds[min(n - 1, int(p * n))] / 1e6
        print(f"  {name:16s} n={n:6d} total={sum(ds) / 1e6:8.1f} ms mean={sum(ds) / n / 1e6:.3f} "
              f"p50={q(.5):.3f} p90={q(.9):.3f} p99={q(.99):.3f} max={ds[-1] / 1e6:.3f} ms")


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    events = parse(sys.stdin)
    goroutine_states(events, sys.argv[1])
    syscalls(events)


if __name__ == '__main__':
    main()
