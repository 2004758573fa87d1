package naming

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// ErrBadPayload is returned when an instance's payload cannot carry its
// PayloadClass: the payload is not a JSON object, or it names another
// class in its own "@class".
var ErrBadPayload = errors.New("naming: payload cannot carry its class")

// classProperty is the property Jackson's default typing (Curator's
// ServiceInstance.getPayload is annotated @JsonTypeInfo(use = CLASS))
// reads the payload's Java class from.
const classProperty = "@class"

// SetPayload stores v, encoded as JSON, as the instance's payload, with
// class as the Java class a Curator ServiceDiscovery<T> decodes it to
// (empty for none). For Curator to read it, v must encode as a JSON
// object whose fields are T's bean properties.
func (in *Instance) SetPayload(class string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("naming: payload: %w", err)
	}
	in.Payload, in.PayloadClass = b, class
	return nil
}

// DecodePayload decodes the payload into v. A Curator payload's "@class"
// property is left to v's decoder (a Go struct ignores it).
func (in Instance) DecodePayload(v any) error {
	if len(in.Payload) == 0 {
		return fmt.Errorf("naming: instance %s has no payload", in.ID)
	}
	if err := json.Unmarshal(in.Payload, v); err != nil {
		return fmt.Errorf("naming: payload: %w", err)
	}
	return nil
}

// payloadClass returns the "@class" of a JSON object payload, or "".
func payloadClass(p json.RawMessage) string {
	p = bytes.TrimSpace(p)
	if len(p) == 0 || p[0] != '{' {
		return ""
	}
	var c struct {
		Class string `json:"@class"`
	}
	if json.Unmarshal(p, &c) != nil {
		return ""
	}
	return c.Class
}

// withClass returns payload with "@class":class as its first property. A
// payload that already names class is returned as it is.
func withClass(payload json.RawMessage, class string) (json.RawMessage, error) {
	p := bytes.TrimSpace(payload)
	if len(p) == 0 || p[0] != '{' || !json.Valid(p) {
		return nil, fmt.Errorf("%w: class %s needs a JSON object payload", ErrBadPayload, class)
	}
	switch have := payloadClass(p); have {
	case class:
		return p, nil
	case "":
	default:
		return nil, fmt.Errorf("%w: payload's @class %q is not PayloadClass %q", ErrBadPayload, have, class)
	}
	name, _ := json.Marshal(class)
	var b bytes.Buffer
	b.WriteString(`{"@class":`)
	b.Write(name)
	rest := bytes.TrimSpace(p[1:])
	if rest[0] != '}' {
		b.WriteByte(',')
	}
	b.Write(rest)
	return b.Bytes(), nil
}

// MarshalJSON writes Curator's JSON; a PayloadClass goes into the payload
// as its "@class" property.
func (in Instance) MarshalJSON() ([]byte, error) {
	type plain Instance
	p := plain(in)
	if in.PayloadClass != "" {
		payload, err := withClass(in.Payload, in.PayloadClass)
		if err != nil {
			return nil, err
		}
		p.Payload = payload
	}
	return json.Marshal(p)
}
