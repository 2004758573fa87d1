package group_test

import (
	"testing"

	rt "github.com/zkit-go/zkit/recipes/recipestest"
)

func TestMain(m *testing.M) { rt.Main(m) }
