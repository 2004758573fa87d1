// Package logging builds the zkit binary's slog.Logger: a level, a text or
// JSON format (slog's own handlers), and a limit on repeated messages.
//
// # Repeats
//
// A member that has lost its peer logs the same line on every retry. The
// handler lets the first Burst records with the same level and message
// through in each Window and drops the rest; the first record let through
// after a window with drops carries suppressed=<n>, the number dropped, so
// the count is never lost:
//
//	level=WARN msg="cannot connect to peer" peer=2 ...
//	level=WARN msg="cannot connect to peer" peer=2 ... suppressed=37
//
// The limiter's state is shared by every logger derived with With or
// WithGroup, so a message is limited wherever it is logged from.
package logging
