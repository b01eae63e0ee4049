package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// chatBody is what the tool reads of a MESSAGE body,
// {"type":"CHAT","chatRoomId":"5",...,"writerId":"3","message":"...","seq":42,...}.
type chatBody struct {
	typ, room, author, message []byte
	seq                        int64
}

// errNotObject is a MESSAGE body that is not a JSON object.
var errNotObject = errors.New("not a JSON object")

// parseChatBody reads the fields the tool needs from a MESSAGE body in
// place: every delivery goes through it, a million a second in -preset
// bigroom -transport stomp. A CHAT body of the client's room as the
// server's encoder lays it out, which starts with head (sentHeads.body),
// is read by chatBodyAsEncoded, any other by scanChatBody; a string
// holding an escape, which the run's own bodies never do, by
// encoding/json. BenchmarkParseChatBody: 0.05 µs and no allocation a
// body as laid out, 0.16-0.2 µs scanned, against 2.4 µs and 10
// allocations through encoding/json, which at that rate would be 1.2 of
// the two cores the tool shares with the server.
func parseChatBody(b []byte, head string, cb *chatBody) error {
	// A body without a backslash has no escape in any string, whose end
	// then is the next quote.
	plain := bytes.IndexByte(b, '\\') < 0
	if plain && chatBodyAsEncoded(b, head, cb) {
		return nil
	}
	var err error
	*cb, err = scanChatBody(b, plain)
	return err
}

// The parts of a CHAT body as the server's encoder writes it
// (stomp.MessageBody's fields in their order, no space) around the
// values that vary.
const (
	encodedType     = `{"type":"`
	encodedRoom     = `","chatRoomId":"`
	encodedWriter   = `","writer":"`
	encodedWriterID = `","writerId":"`
	encodedMessage  = `","message":"`
	encodedID       = `","id":"`
	encodedSeq      = `","seq":`
	encodedSentAt   = `,"sentAt":"`
	encodedEnd      = `"}`
)

// chatBodyAsEncoded reads into cb a CHAT body that starts with head, the
// type, room and writer's key, laid out as the server's encoder writes
// it and holding no backslash: each string then ends at the next quote,
// so that a value is one search for a quote (or a run of digits) and a
// key one comparison. It reports false for any other body.
func chatBodyAsEncoded(b []byte, head string, cb *chatBody) bool {
	const fixed = len(encodedType) + len("CHAT") + len(encodedRoom) + len(encodedWriter)
	if len(head) <= fixed || len(b) < len(head) || string(b[:len(head)]) != head {
		return false
	}
	cb.typ = b[len(encodedType) : len(encodedType)+len("CHAT")]
	cb.room = b[len(encodedType)+len("CHAT")+len(encodedRoom) : len(head)-len(encodedWriter)]
	rest := b[len(head):]
	q := bytes.IndexByte(rest, '"')
	if q < 0 {
		return false
	}
	var n int
	if rest, n = digitsField(rest[q:], encodedWriterID); n == 0 {
		return false
	}
	cb.author = rest[:n]
	rest, ok := bytes.CutPrefix(rest[n:], []byte(encodedMessage))
	if !ok {
		return false
	}
	if q = bytes.IndexByte(rest, '"'); q < 0 {
		return false
	}
	cb.message = rest[:q]
	if rest, n = digitsField(rest[q:], encodedID); n == 0 {
		return false
	}
	if rest, n = digitsField(rest[n:], encodedSeq); n == 0 {
		return false
	}
	cb.seq, _ = leadingInt(rest[:n])
	if rest, ok = bytes.CutPrefix(rest[n:], []byte(encodedSentAt)); !ok {
		return false
	}
	if q = bytes.IndexByte(rest, '"'); q < 0 {
		return false
	}
	return string(rest[q:]) == encodedEnd
}

// digitsField reads, at the start of b, key and the n digits after it,
// with which rest starts.
func digitsField(b []byte, key string) (rest []byte, n int) {
	if len(b) < len(key) || string(b[:len(key)]) != key {
		return nil, 0
	}
	b = b[len(key):]
	_, n = leadingInt(b)
	return b, n
}

// scanChatBody reads any JSON object for parseChatBody, from key to key;
// plain says b holds no backslash.
func scanChatBody(b []byte, plain bool) (chatBody, error) {
	var cb chatBody
	i := skipSpace(b, 0)
	if i == len(b) || b[i] != '{' {
		return cb, errNotObject
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return cb, afterObject(b, i)
	}
	for {
		key, j, esc, err := jsonString(b, i, plain)
		if err != nil {
			return cb, err
		}
		i = skipSpace(b, j)
		if i == len(b) || b[i] != ':' {
			return cb, errors.New("no colon after a key")
		}
		i = skipSpace(b, i+1)
		if i == len(b) {
			return cb, errors.New("truncated")
		}
		var val []byte
		if b[i] == '"' {
			var vesc bool
			if val, i, vesc, err = jsonString(b, i, plain); err != nil {
				return cb, err
			}
			esc = esc || vesc
		} else {
			j := i
			for j < len(b) && b[j] != ',' && b[j] != '}' && b[j] != ' ' && b[j] != '\n' && b[j] != '\t' && b[j] != '\r' {
				if b[j] == '{' || b[j] == '[' {
					return slowChatBody(b) // a nested value: not ours to skip by hand
				}
				j++
			}
			val, i = b[i:j], j
		}
		switch string(key) {
		case "type", "chatRoomId", "writerId", "message":
			if esc {
				return slowChatBody(b)
			}
			switch string(key) {
			case "type":
				cb.typ = val
			case "chatRoomId":
				cb.room = val
			case "writerId":
				cb.author = val
			default:
				cb.message = val
			}
		case "seq":
			n, digits := leadingInt(val)
			if digits == 0 || digits != len(val) {
				return cb, fmt.Errorf("seq %q is not a whole number", val)
			}
			cb.seq = n
		}
		i = skipSpace(b, i)
		switch {
		case i < len(b) && b[i] == ',':
			i = skipSpace(b, i+1)
		case i < len(b) && b[i] == '}':
			return cb, afterObject(b, i)
		default:
			return cb, errors.New("no comma or closing brace after a value")
		}
	}
}

// afterObject checks that nothing but space follows the object that
// ends at b[i].
func afterObject(b []byte, i int) error {
	if skipSpace(b, i+1) != len(b) {
		return errors.New("more after the object")
	}
	return nil
}

// slowChatBody is parseChatBody through encoding/json.
func slowChatBody(b []byte) (chatBody, error) {
	var v struct {
		Type, ChatRoomID, WriterID, Message string
		Seq                                 int64
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return chatBody{}, err
	}
	return chatBody{typ: []byte(v.Type), room: []byte(v.ChatRoomID), author: []byte(v.WriterID), message: []byte(v.Message), seq: v.Seq}, nil
}

// jsonString reads the JSON string starting at b[i] (its opening quote)
// and returns its contents, raw, the index after its closing quote, and
// whether it holds an escape; plain says b holds no backslash at all.
func jsonString(b []byte, i int, plain bool) (s []byte, next int, escaped bool, err error) {
	if i >= len(b) || b[i] != '"' {
		return nil, 0, false, errors.New("a string expected")
	}
	if plain {
		if j := bytes.IndexByte(b[i+1:], '"'); j >= 0 {
			return b[i+1 : i+1+j], i + 2 + j, false, nil
		}
		return nil, 0, false, errors.New("unterminated string")
	}
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			escaped = true
			j++
		case '"':
			return b[i+1 : j], j + 1, escaped, nil
		}
	}
	return nil, 0, false, errors.New("unterminated string")
}

// skipSpace returns the index of the first byte at or after i that is
// not JSON whitespace.
func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\t' || b[i] == '\r') {
		i++
	}
	return i
}
