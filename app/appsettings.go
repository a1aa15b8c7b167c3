package app

import (
	"bytes"
	"encoding/json"
	"io"
)

// AppSettings is the user's effective app settings, as settings/ and the
// auth payload show them: {theme_preset, theme_mode, api_base_url} from the
// columns with the stored JSON object's keys merged on top, keeping key
// order as Python dicts do (base keys first, then new keys in stored
// order). Rendered as compact JSON without HTML escaping.
func (u *User) AppSettings() json.RawMessage {
	o := newOrderedObject()
	o.set("theme_preset", mustJSON(u.ThemePreset))
	o.set("theme_mode", mustJSON(u.ThemeMode))
	o.set("api_base_url", mustJSON(u.APIBaseURL))
	if stored, err := parseOrderedObject([]byte(u.AppSettingsJSON)); err == nil {
		for _, k := range stored.keys {
			o.set(k, stored.vals[k])
		}
	}
	return o.marshal()
}

func mustJSON(v any) json.RawMessage {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return json.RawMessage("null")
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// orderedObject is a JSON object that keeps its key order, as Python dicts
// do.
type orderedObject struct {
	keys []string
	vals map[string]json.RawMessage
}

func newOrderedObject() *orderedObject { return &orderedObject{vals: map[string]json.RawMessage{}} }

func (o *orderedObject) set(k string, v json.RawMessage) {
	if _, ok := o.vals[k]; !ok {
		o.keys = append(o.keys, k)
	}
	o.vals[k] = v
}

func (o *orderedObject) marshal() json.RawMessage {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range o.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(mustJSON(k))
		b.WriteByte(':')
		b.Write(compactJSON(o.vals[k]))
	}
	b.WriteByte('}')
	return b.Bytes()
}

func compactJSON(v json.RawMessage) []byte {
	var b bytes.Buffer
	if err := json.Compact(&b, v); err != nil {
		return []byte("null")
	}
	return b.Bytes()
}

// parseOrderedObject parses a JSON object's top level keeping key order; an
// error when data is not exactly one JSON object.
func parseOrderedObject(data []byte) (*orderedObject, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, errNotObject{}
	}
	o := newOrderedObject()
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		o.set(t.(string), v)
	}
	// Like json.loads: the object must be closed and nothing but
	// whitespace may follow, else nothing is merged.
	if t, err := dec.Token(); err != nil || t != json.Delim('}') {
		return nil, errNotObject{}
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errNotObject{}
	}
	return o, nil
}

type errNotObject struct{}

func (errNotObject) Error() string { return "not a JSON object" }
