//go:build !unix

package engine

func maxFDs() uint64 { return 0 }
