// Package zpath validates and takes apart znode paths the way ZooKeeper 3.8
// does (org.apache.zookeeper.common.PathUtils and the path handling in
// PrepRequestProcessor).
//
// # What a valid path is
//
// Validate accepts exactly the paths Java's PathUtils.validatePath accepts
// after the server has decoded the request's UTF-8 bytes into a Java string:
//
//   - not empty, starts with '/';
//   - "/" alone is the root and is valid;
//   - otherwise no trailing '/', no empty component ("//"), no component
//     that is exactly "." or "..";
//   - no character U+0000, U+0001–U+001F, U+007F–U+009F, U+E000–U+F8FF,
//     U+FFF0–U+FFFF.
//
// Java checks UTF-16 code units, and also forbids U+D800–U+DFFF. Two
// consequences for the bytes a client sends, both of which Validate
// reproduces:
//
//   - A character outside the Basic Multilingual Plane (4-byte UTF-8, for
//     example an emoji) becomes a surrogate pair in Java and is rejected.
//   - Bytes that are not valid UTF-8 (including encoded surrogates and
//     overlong forms) are decoded by Java into U+FFFD, which lies in the
//     forbidden U+FFF0–U+FFFF range, so they are rejected too.
//
// Every rejection wraps both ErrInvalid and proto.ErrBadArguments, the code
// the server answers with.
//
// # Caller duties
//
// Java's create path first runs a cheap check (ParentForCreate: the path
// must contain '/', and no NUL) to find the parent, checks ACLs on the
// parent, appends the sequence suffix (SequenceSuffix) for sequential
// modes, and only then runs the full Validate on the final path. Reads do
// no validation beyond a NUL check for exists; the caller decides where to
// call what.
package zpath
