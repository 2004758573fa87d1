// Package client is a ZooKeeper client speaking the client-port protocol
// through package proto's records: one connection, one session, no
// automatic reconnect. zkit uses it to test opcodes other Go clients lack,
// for `zkit cli` and for `zkit bench`.
//
// # Using a Conn
//
//  1. Dial performs the handshake: a ConnectRequest (with the readOnly byte
//     unless WithOldHandshake) and the server's ConnectResponse. WithSession
//     and WithLastZxid resume a session after Drop; a rejected session
//     (zero timeout in the response) is proto.ErrSessionExpired.
//  2. Call the methods (one per opcode) from any number of goroutines.
//     Requests are pipelined: each gets the next xid as the writer puts it
//     on the wire, and replies must come back in that order; a reply whose
//     xid is not the oldest outstanding one is a protocol error that closes
//     the connection. Ping (-2) and auth (-4) replies are matched on their
//     own queues; notifications (-1) go to Events.
//  3. Drain Events if you set watches: the reader blocks while it is full.
//  4. Close sends closeSession, waits for its reply and for every goroutine.
//     Drop instead closes the socket and keeps the session alive at the
//     server, for reconnect tests.
//
// Errors: a reply with a non-zero err returns that proto.Code (use
// errors.Is(err, proto.ErrNoNode)). A failed multi returns *MultiError,
// which unwraps to the failing op's code. A call interrupted by the end of
// the connection returns an error matching both ErrClosed and
// proto.ErrConnectionLoss. A cancelled ctx abandons the call: its reply is
// read and dropped when it comes.
//
// # Wire format
//
// Every frame, both ways, is an int32 big-endian length and that many bytes
// (see package proto for the records):
//
//	→ len | ConnectRequest | readOnly byte
//	← len | ConnectResponse | readOnly byte
//	→ len | RequestHeader{xid, op} | request record
//	← len | ReplyHeader{xid, zxid, err} | reply record (only when err == 0)
//
// A reply frame longer than jute.maxbuffer (WithMaxBuffer) closes the
// connection. The ping loop sends RequestHeader{-2, 11} every third of the
// negotiated timeout; the reader gives up on a server silent for a whole
// timeout.
//
// Raw writes arbitrary bytes in order with the other requests, and DoXid
// sends a request with a chosen xid: both exist for malformed-packet and
// conformance tests of servers.
package client
