package linearizability

import (
	"fmt"
	"math"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/anishathalye/porcupine"
)

// Kind is an operation's kind.
type Kind uint8

// Operation kinds.
const (
	Create Kind = iota
	Set
	Read
)

func (k Kind) String() string {
	switch k {
	case Create:
		return "create"
	case Set:
		return "set"
	case Read:
		return "read"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Input is what a client asked.
type Input struct {
	Kind  Kind
	Key   string
	Value string // Create and Set
}

// Output is what it was told.
type Output struct {
	// Unknown: the outcome is not known (the write may or may not apply).
	Unknown bool
	// OK: Create created, Set set; for Read, the node exists.
	OK bool
	// Value is a Read's data.
	Value string
}

// Recorder collects a history; its methods are safe for concurrent use.
type Recorder struct {
	start time.Time

	mu  sync.Mutex // guards ops
	ops []porcupine.Operation
}

// NewRecorder starts a history now.
func NewRecorder() *Recorder { return &Recorder{start: time.Now()} }

// Pending is one operation in flight.
type Pending struct {
	r      *Recorder
	client int
	in     Input
	call   int64
}

func (r *Recorder) now() int64 { return int64(time.Since(r.start)) }

// Call records an operation's invocation.
func (r *Recorder) Call(client int, in Input) *Pending {
	return &Pending{r: r, client: client, in: in, call: r.now()}
}

// Ok records a definite answer.
func (p *Pending) Ok(out Output) { p.finish(out, p.r.now()) }

// Unknown records a write whose outcome is unknown: pending forever.
func (p *Pending) Unknown() { p.finish(Output{Unknown: true}, math.MaxInt64) }

// Forget drops a read that failed.
func (p *Pending) Forget() {}

func (p *Pending) finish(out Output, ret int64) {
	op := porcupine.Operation{ClientId: p.client, Input: p.in, Call: p.call, Output: out, Return: ret}
	p.r.mu.Lock()
	p.r.ops = append(p.r.ops, op)
	p.r.mu.Unlock()
}

// History returns a copy of the operations recorded so far.
func (r *Recorder) History() []porcupine.Operation {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]porcupine.Operation(nil), r.ops...)
}

// Counts summarises a history: operations by kind and how many writes
// had an unknown outcome.
func Counts(h []porcupine.Operation) (byKind map[Kind]int, unknown int) {
	byKind = make(map[Kind]int)
	for _, op := range h {
		byKind[op.Input.(Input).Kind]++
		if op.Output.(Output).Unknown {
			unknown++
		}
	}
	return byKind, unknown
}

// node is the model state of one key.
type node struct {
	exists bool
	value  string
}

// Model is the sequential specification of one znode per key.
var Model = porcupine.Model{
	Partition: func(h []porcupine.Operation) [][]porcupine.Operation {
		byKey := make(map[string][]porcupine.Operation)
		for _, op := range h {
			k := op.Input.(Input).Key
			byKey[k] = append(byKey[k], op)
		}
		keys := make([]string, 0, len(byKey))
		for k := range byKey {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		out := make([][]porcupine.Operation, 0, len(keys))
		for _, k := range keys {
			out = append(out, byKey[k])
		}
		return out
	},
	Init: func() any { return node{} },
	Step: func(state, input, output any) (bool, any) {
		s, in, out := state.(node), input.(Input), output.(Output)
		switch in.Kind {
		case Create:
			if out.Unknown {
				if s.exists {
					return true, s // it failed with NodeExists
				}
				return true, node{exists: true, value: in.Value}
			}
			if out.OK {
				return !s.exists, node{exists: true, value: in.Value}
			}
			return s.exists, s
		case Set:
			if out.Unknown {
				if !s.exists {
					return true, s // it failed with NoNode
				}
				return true, node{exists: true, value: in.Value}
			}
			if out.OK {
				return s.exists, node{exists: true, value: in.Value}
			}
			return !s.exists, s
		case Read:
			if !out.OK {
				return !s.exists, s
			}
			return s.exists && s.value == out.Value, s
		}
		return false, s
	},
	DescribeOperation: func(input, output any) string {
		in, out := input.(Input), output.(Output)
		res := "ok"
		switch {
		case out.Unknown:
			res = "?"
		case in.Kind == Read && out.OK:
			res = fmt.Sprintf("%q", out.Value)
		case in.Kind == Read:
			res = "nonode"
		case !out.OK && in.Kind == Create:
			res = "exists"
		case !out.OK:
			res = "nonode"
		}
		if in.Kind == Read {
			return fmt.Sprintf("read(%s) → %s", in.Key, res)
		}
		return fmt.Sprintf("%s(%s, %q) → %s", in.Kind, in.Key, in.Value, res)
	},
	DescribeState: func(state any) string {
		s := state.(node)
		if !s.exists {
			return "(none)"
		}
		return fmt.Sprintf("%q", s.value)
	},
}

// Result is a check's outcome.
type Result struct {
	porcupine.CheckResult
	info porcupine.LinearizationInfo
}

// Check checks h against Model; a check that runs out of time reports
// porcupine.Unknown.
func Check(h []porcupine.Operation, timeout time.Duration) Result {
	res, info := porcupine.CheckOperationsVerbose(Model, h, timeout)
	return Result{CheckResult: res, info: info}
}

// Visualize writes porcupine's HTML view of the checked history to a new
// file in dir named after pattern (os.CreateTemp) and returns its path.
func (r Result) Visualize(dir, pattern string) (string, error) {
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return "", err
	}
	defer f.Close()
	if err := porcupine.Visualize(Model, r.info, f); err != nil {
		return "", err
	}
	return f.Name(), f.Close()
}
