// Package doccheck holds tests that keep the module's documentation true:
// every public package has a package doc and runnable or compiled
// examples, and claims known to have gone stale do not come back. It has
// no code.
package doccheck
