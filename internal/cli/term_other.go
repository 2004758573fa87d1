//go:build !linux

package cli

import (
	"errors"
	"os"
)

// isTerminal is false off Linux: the shell reads plain lines there.
func isTerminal(*os.File) bool { return false }

func makeRaw(*os.File) (func(), error) { return nil, errors.New("cli: raw mode not supported") }
