package difftest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/zkit-go/zkit/internal/client/clienttest"
	"github.com/zkit-go/zkit/server"
	zktesting "github.com/zkit-go/zkit/testing"
)

// Scenario is a named script of steps. Known lists the steps whose
// difference between Java 3.8.0 and zkit is expected, with why.
type Scenario struct {
	Name  string
	Steps []Step
	Known map[int]string
}

// Difference is one step whose records differ.
type Difference struct {
	Scenario string
	Index    int
	Step     string
	Java     string
	Zkit     string
	Known    string // the reason, when the difference is expected
}

func (d Difference) String() string {
	s := fmt.Sprintf("%s step %d: %s\n  java: %s\n  zkit: %s", d.Scenario, d.Index, d.Step,
		indent(d.Java), indent(d.Zkit))
	if d.Known != "" {
		s += "\n  known: " + d.Known
	}
	return s
}

func indent(s string) string {
	out := ""
	for i, r := range s {
		if r == '\n' {
			out += "\n      "
			continue
		}
		out += s[i : i+len(string(r))]
	}
	return out
}

// Compare lines up two runs of sc step by step. A run cut short by a
// harness error leaves the remaining steps of the longer run unmatched,
// which shows as differences.
func Compare(sc Scenario, java, zkit []Record) []Difference {
	var out []Difference
	n := max(len(java), len(zkit))
	for i := range n {
		var j, z string
		step := ""
		if i < len(java) {
			j, step = java[i].String(), java[i].Step
		} else {
			j = "<not run>"
		}
		if i < len(zkit) {
			z, step = zkit[i].String(), zkit[i].Step
		} else {
			z = "<not run>"
		}
		if j != z {
			known := sc.Known[i]
			if known == "" && i < len(java) && i < len(zkit) {
				known = knownPattern(java[i], zkit[i])
			}
			out = append(out, Difference{Scenario: sc.Name, Index: i, Step: step, Java: j, Zkit: z, Known: known})
		}
	}
	return out
}

// Config lines both servers share beyond what clienttest.StartJavaServer
// and zktesting.StartServer already set alike (tickTime 2000, TTL nodes,
// every four-letter word).
const (
	SuperUser     = "super"
	SuperPassword = "secret"
	// ContainerCheck is znode.container.checkIntervalMs for both servers,
	// short so container and TTL scenarios finish quickly.
	ContainerCheck = 100 * time.Millisecond
)

// Pair is a fresh Java ZooKeeper and a fresh zkit server configured alike.
type Pair struct {
	Java string // addresses
	Zkit string
}

// StartPair starts both servers for the test, or skips it when Java
// ZooKeeper is not installed.
func StartPair(t testing.TB) Pair {
	t.Helper()
	superDigest := DigestID(SuperUser, SuperPassword)
	js, err := clienttest.StartJavaServerWith(t.TempDir(),
		[]string{fmt.Sprintf("-Dznode.container.checkIntervalMs=%d", ContainerCheck.Milliseconds())},
		"DigestAuthenticationProvider.superDigest="+superDigest)
	if errors.Is(err, clienttest.ErrNoJava) {
		t.Skipf("difftest: %v: %s is absent, so there is no oracle to compare zkit with", err, clienttest.JavaJar)
	}
	if err != nil {
		t.Fatalf("difftest: start java: %v", err)
	}
	t.Cleanup(js.Stop)
	zs := zktesting.StartServer(t, zktesting.WithConfig(func(c *server.Config) {
		c.TickTime = 2 * time.Second
		c.SuperDigest = superDigest
		c.ContainerCheckInterval = ContainerCheck
		c.ExtendedTypesEnabled = true
		c.FourLetterWords = []string{"*"}
	}))
	return Pair{Java: js.Addr, Zkit: zs.Addr()}
}

// Outcome is the result of running one scenario on both servers.
type Outcome struct {
	Java, Zkit []Record
	Diffs      []Difference
}

// RunBoth runs sc against both servers at once and compares the runs. A
// harness error on either side is returned with the partial comparison.
func RunBoth(ctx context.Context, p Pair, sc Scenario) (Outcome, error) {
	type res struct {
		recs []Record
		err  error
	}
	jc := make(chan res, 1)
	go func() {
		recs, err := Run(ctx, p.Java, sc.Steps)
		jc <- res{recs, err}
	}()
	zrecs, zerr := Run(ctx, p.Zkit, sc.Steps)
	j := <-jc
	out := Outcome{Java: j.recs, Zkit: zrecs, Diffs: Compare(sc, j.recs, zrecs)}
	switch {
	case j.err != nil:
		return out, fmt.Errorf("java: %w", j.err)
	case zerr != nil:
		return out, fmt.Errorf("zkit: %w", zerr)
	}
	return out, nil
}

// scale multiplies d by ZKIT_TEST_TIMEOUT_SCALE (default 1).
func scale(d time.Duration) time.Duration {
	if s, err := strconv.ParseFloat(os.Getenv("ZKIT_TEST_TIMEOUT_SCALE"), 64); err == nil && s > 0 {
		return time.Duration(float64(d) * s)
	}
	return d
}

// knownPattern recognises a known difference wherever it occurs (random
// scenarios cannot name their steps in advance) and returns its reason.
func knownPattern(java, zkit Record) string {
	// exists without a watch on a node the caller may not READ.
	if strings.HasPrefix(java.Step, "S") && strings.Contains(java.Step, " exists ") &&
		!strings.HasSuffix(java.Step, " watch") &&
		strings.HasPrefix(java.Reply, "ok ") && strings.HasPrefix(zkit.Reply, "err=-102(") &&
		slices.Equal(java.Events, zkit.Events) {
		return knownExistsACL
	}
	return ""
}
