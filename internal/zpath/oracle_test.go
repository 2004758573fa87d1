package zpath

import (
	"bufio"
	"context"
	"encoding/hex"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/zkit-go/zkit/internal/javatest"
)

// javaValidator reads hex-encoded byte strings, one a line, decodes each as
// the server does (new String(bytes, UTF_8)) and prints ok or bad after
// PathUtils.validatePath.
const javaValidator = `
import java.io.*;
import java.nio.charset.StandardCharsets;
import org.apache.zookeeper.common.PathUtils;

public class PathOracle {
    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
        PrintStream out = new PrintStream(new BufferedOutputStream(System.out), false, "US-ASCII");
        String line;
        while ((line = in.readLine()) != null) {
            byte[] b = new byte[line.length() / 2];
            for (int i = 0; i < b.length; i++) {
                b[i] = (byte) Integer.parseInt(line.substring(2 * i, 2 * i + 2), 16);
            }
            String path = new String(b, StandardCharsets.UTF_8);
            try {
                PathUtils.validatePath(path);
                out.println("ok");
            } catch (IllegalArgumentException e) {
                out.println("bad");
            }
        }
        out.flush();
    }
}
`

// runJava compiles src (class name class) against ZooKeeper's jar and runs
// it with input on stdin, skipping the test when Java is not installed.
func runJava(t *testing.T, class, src, input string) string {
	t.Helper()
	d := javatest.CompileSource(t, javatest.QuietClasspath, class, src)
	return javatest.Output(t, d.Command(context.Background(), nil, class), input)
}

func TestValidateAgainstJava(t *testing.T) {
	paths := make([]string, 0, 5000)
	for _, tc := range validateCases {
		paths = append(paths, tc.path)
	}
	// Random paths from an alphabet rich in the interesting bytes.
	alphabet := []string{"/", "/", "/", ".", ".", "a", "z", " ", "\x00", "\x01", "\x1f", "\x7f",
		"\u0080", "\u009f", "\u00a0", "\ud7ff", "\ue000", "\uf8ff", "\uf900", "\ufff0", "\uffef",
		"\ufffd", "\U0001F600", "\xff", "\xc0", "\x80", "\xed\xa0\x80", "\xe2\x82", "\xf0\x9f", "é"}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 5000 {
		var sb strings.Builder
		if rng.IntN(8) != 0 {
			sb.WriteByte('/')
		}
		for n := rng.IntN(8); n > 0; n-- {
			sb.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		paths = append(paths, sb.String())
	}
	var input strings.Builder
	for _, p := range paths {
		input.WriteString(hex.EncodeToString([]byte(p)))
		input.WriteByte('\n')
	}
	out := runJava(t, "PathOracle", javaValidator, input.String())
	sc := bufio.NewScanner(strings.NewReader(out))
	i := 0
	for sc.Scan() {
		require.Less(t, i, len(paths))
		javaOK := sc.Text() == "ok"
		require.Equal(t, javaOK, Validate(paths[i]) == nil, "path %q: Java ok=%v", paths[i], javaOK)
		i++
	}
	require.Equal(t, len(paths), i, "Java answered for every path")
}
