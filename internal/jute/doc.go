// Package jute encodes and decodes ZooKeeper's jute binary archive format,
// the serialisation behind every record on the client port, the quorum port
// and on disk.
//
// The format has no tags, lengths or padding around records: a record is its
// fields in declaration order. Every integer is big-endian.
//
//	boolean   1 byte, 0 or 1 (any non-zero byte reads as true)
//	int       4 bytes, signed
//	long      8 bytes, signed
//	ustring   int length, then that many UTF-8 bytes; length -1 is null
//	buffer    int length, then that many bytes; length -1 is null
//	vector<T> int count (-1 is null), then count elements
//
// Decoding is defensive: a length that is negative (other than -1), larger
// than the bytes left, or larger than the decoder's limit makes the decoder
// fail with ErrMalformed rather than allocate. Errors are sticky, so a caller
// may decode a whole record and check Err once at the end.
package jute
