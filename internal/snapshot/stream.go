package snapshot

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"

	"github.com/zkit-go/zkit/internal/jute"
)

// StreamMaxLen is the default bound on a string or buffer in a snapshot
// body read by ReadBody: jute.maxbuffer (0xfffff) plus its default extra
// allowance (zookeeper.jute.maxbuffer.extrasize, which defaults to
// jute.maxbuffer), the limit Java's BinaryInputArchive applies to the
// learner stream.
const StreamMaxLen = 2 * 0xfffff

// WriteBody writes the body of a snapshot of src to w: sessions, ACL cache,
// nodes and the "/" end marker, exactly as in a snapshot file but without
// the FileHeader, the seals and the digest section. It is what a ZooKeeper
// leader streams to a learner after the SNAP packet
// (ZKDatabase.serializeSnapshot); src.Digest is ignored. w should be
// buffered: the body is written in chunks of about 64 KiB.
func WriteBody(w io.Writer, src *Source) error {
	sw := &swriter{w: w}
	if !sw.writeBody(src) {
		return sw.err
	}
	sw.maybeFlush(true)
	return sw.err
}

// ReadBody reads a snapshot body written by WriteBody (or by a Java leader
// after SNAP) from r into sink. It reads exactly the body's bytes and never
// reads ahead, so the caller's (buffered) reader is positioned right after
// the "/" end marker afterwards. Strings and buffers longer than
// StreamMaxLen are rejected as ErrCorrupt before anything is allocated for
// them. Unlike Load, it does not call sink.Reset.
func ReadBody(r io.Reader, sink Sink) error {
	return ReadBodyLimit(r, sink, StreamMaxLen)
}

// ReadBodyLimit is ReadBody with its own bound on string and buffer
// lengths (maxLen ≤ 0 means StreamMaxLen).
func ReadBodyLimit(r io.Reader, sink Sink, maxLen int) error {
	if maxLen <= 0 {
		maxLen = StreamMaxLen
	}
	maxLen = min(maxLen, math.MaxInt32)
	sr := &sreader{r: r, maxLen: int32(maxLen)}
	_, err := sr.readBody(sink, slog.New(slog.DiscardHandler), "stream")
	return corruptOnEOF(err)
}

// corruptOnEOF turns a truncated or malformed body into ErrCorrupt, as Read
// does; other errors (a network timeout, a sink error) pass unchanged.
func corruptOnEOF(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, jute.ErrMalformed) {
		return fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	return err
}
