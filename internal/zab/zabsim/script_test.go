package zabsim

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var rewrite = flag.Bool("rewrite", false, "rewrite testdata expected output")

// TestScenarios runs testdata/*.txt: lines are commands; each command is
// followed by its expected output, then a line "----". The first line
// "sim voters=N observers=M commitlog=K disksync=B" configures the ensemble.
func TestScenarios(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txt")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			raw, err := os.ReadFile(file)
			require.NoError(t, err)
			blocks := strings.Split(string(raw), "----\n")
			var s *Sim
			var out strings.Builder
			for _, blk := range blocks {
				if strings.TrimSpace(blk) == "" {
					continue
				}
				cmd, want, _ := strings.Cut(blk, "\n")
				var got string
				if strings.HasPrefix(cmd, "sim ") {
					s = New(parseSim(t, cmd))
				} else {
					require.NotNil(t, s, "first command must be sim")
					got, err = s.Run(cmd)
					require.NoError(t, err, cmd)
				}
				out.WriteString(cmd + "\n" + got + "----\n")
				if !*rewrite {
					require.Equal(t, want, got, "%s: command %q", file, cmd)
				}
			}
			if *rewrite {
				require.NoError(t, os.WriteFile(file, []byte(out.String()), 0o644))
			}
			require.Empty(t, s.Violations)
		})
	}
}

func parseSim(t *testing.T, line string) Options {
	o := Options{Seed: 1, Voters: 3, MaxDelay: 1}
	for _, kv := range strings.Fields(line)[1:] {
		k, v, _ := strings.Cut(kv, "=")
		n := 0
		for _, c := range v {
			n = n*10 + int(c-'0')
		}
		switch k {
		case "voters":
			o.Voters = n
		case "observers":
			o.Observers = n
		case "commitlog":
			o.CommitLog = n
		case "disksync":
			o.DiskSync = v == "true"
		case "batch":
			o.Batch = v == "true"
		case "seed":
			o.Seed = uint64(n)
		default:
			t.Fatalf("unknown sim option %q", k)
		}
	}
	return o
}
