package queue

import (
	"encoding/json"
	"fmt"
)

// Serializer turns one queue item into bytes and back (Curator's
// QueueSerializer<T>). A Typed queue frames the bytes of each item in
// Curator's multi-item format; the serializer sees one item's bytes only.
type Serializer[T any] interface {
	Marshal(v T) ([]byte, error)
	Unmarshal(b []byte) (T, error)
}

// JSON encodes items with encoding/json; a Java side reads them with a
// Jackson-based QueueSerializer.
func JSON[T any]() Serializer[T] { return jsonSerializer[T]{} }

type jsonSerializer[T any] struct{}

func (jsonSerializer[T]) Marshal(v T) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("queue: json: %w", err)
	}
	return b, nil
}

func (jsonSerializer[T]) Unmarshal(b []byte) (T, error) {
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		return v, fmt.Errorf("queue: json: %w", err)
	}
	return v, nil
}

// Bytes passes items through unchanged: the item is exactly what a Java
// QueueSerializer<byte[]> that returns its argument reads and writes.
func Bytes() Serializer[[]byte] { return bytesSerializer{} }

type bytesSerializer struct{}

func (bytesSerializer) Marshal(v []byte) ([]byte, error)   { return v, nil }
func (bytesSerializer) Unmarshal(b []byte) ([]byte, error) { return b, nil }

// String stores a string as its bytes (UTF-8 for valid Go strings), as a
// Java QueueSerializer<String> using getBytes(UTF_8) / new String(b, UTF_8).
func String() Serializer[string] { return stringSerializer{} }

type stringSerializer struct{}

func (stringSerializer) Marshal(v string) ([]byte, error)   { return []byte(v), nil }
func (stringSerializer) Unmarshal(b []byte) (string, error) { return string(b), nil }
