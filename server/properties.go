package server

import (
	"io"

	"github.com/zkit-go/zkit/internal/javaprops"
)

// parseProperties reads a Java .properties file, the syntax of zoo.cfg
// (package javaprops). Keys keep their first-seen order in the returned
// slice.
func parseProperties(r io.Reader) (keys []string, props map[string]string, err error) {
	return javaprops.Parse(r)
}
