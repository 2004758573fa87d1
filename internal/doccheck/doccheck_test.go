package doccheck

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const root = "../.."

// publicPackages are the module's importable packages (cmd and internal
// excluded), found by walking the tree.
func publicPackages(t *testing.T) []string {
	t.Helper()
	var pkgs []string
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if d.IsDir() {
			if rel != "." && (strings.HasPrefix(d.Name(), ".") || rel == "internal" || rel == "cmd" ||
				rel == "docs" || rel == "scripts" || rel == "deploy" || d.Name() == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(p, ".go") && !strings.HasSuffix(p, "_test.go") {
			dir := filepath.Dir(rel)
			if len(pkgs) == 0 || pkgs[len(pkgs)-1] != dir {
				pkgs = append(pkgs, dir)
			}
		}
		return nil
	})
	require.NoError(t, err)
	return pkgs
}

// TestPublicPackagesDocumented: a doc.go with the package comment, and
// at least one Example function, for each main public package.
func TestPublicPackagesDocumented(t *testing.T) {
	pkgs := publicPackages(t)
	for _, want := range []string{"server", "testing", "recipes", "lock", "election", "queue", "barrier", "config", "naming", "counter"} {
		assert.Contains(t, pkgs, want)
	}
	for _, pkg := range pkgs {
		dir := filepath.Join(root, pkg)
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, filepath.Join(dir, "doc.go"), nil, parser.ParseComments|parser.PackageClauseOnly)
		if !assert.NoError(t, err, "%s has a doc.go", pkg) {
			continue
		}
		assert.NotNil(t, f.Doc, "%s/doc.go has the package comment", pkg)
		if strings.HasSuffix(pkg, "test") { // helper packages for tests (recipestest)
			continue
		}
		examples := 0
		tests, _ := filepath.Glob(filepath.Join(dir, "*_test.go"))
		for _, tf := range tests {
			f, err := parser.ParseFile(fset, tf, nil, 0)
			require.NoError(t, err)
			for _, d := range f.Decls {
				if fn, ok := d.(*ast.FuncDecl); ok && fn.Recv == nil && strings.HasPrefix(fn.Name.Name, "Example") {
					examples++
				}
			}
		}
		assert.Positive(t, examples, "%s has Example functions", pkg)
	}
}

// staleClaims were once true and are not any more.
var staleClaims = []string{
	"StartEnsemble does not exist yet",
	"keeps the tree in memory behind",
	"built on unknown",
}

func TestNoStaleClaims(t *testing.T) {
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && strings.HasPrefix(d.Name(), ".") && p != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, c := range staleClaims {
			assert.NotContains(t, string(b), c, p)
		}
		return nil
	})
	require.NoError(t, err)
}
