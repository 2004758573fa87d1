// Package proto defines ZooKeeper's records and constants: the client
// protocol (request and reply headers, every request and response body,
// watch events), the transactions written to the log and sent in proposals,
// the quorum packets, and the file headers of logs and snapshots.
//
// Every record mirrors the jute definition of the same name in ZooKeeper's
// zookeeper.jute, field for field and in the same order; that order is the
// wire format (see package jute for the encoding of each field type). Java's
// Id becomes ID here; everything else keeps ZooKeeper's names.
//
// Client framing, which this package does not do itself:
//
//	client → server   int32 length | ConnectRequest | readOnly byte      (first packet)
//	                  int32 length | RequestHeader | request body         (later packets)
//	server → client   int32 length | ConnectResponse | readOnly byte     (first reply)
//	                  int32 length | ReplyHeader | response body          (err == 0)
//	                  int32 length | ReplyHeader                          (err != 0)
//
// Codes are the wire values of KeeperException.Code; a Code is also a Go
// error, so the server can return one from deep inside and the connection
// layer writes it to the wire unchanged.
package proto
