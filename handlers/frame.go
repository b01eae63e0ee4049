package handlers

import (
	"encoding/json"
	"errors"
	"strconv"
)

// frame is what a page sends over its websocket, decoded. htmx's
// websocket extension sends a form's fields as a JSON object of strings
// (an array when a name repeats), plus a HEADERS object that hxchat does
// not need.
type frame struct {
	// Resume is true for the resume form, sent each time the socket opens.
	Resume bool
	// After is the newest message Seq the page holds (resume only).
	After int64
	// Body is the message typed (send only).
	Body string
	// Token is the send form's token (send only).
	Token string
}

// errFrame is returned for any frame that is not one of ours.
var errFrame = errors.New("handlers: malformed frame")

// decodeFrame parses a frame from a page. A frame with an "after" field
// is a resume; one with "body" and "token" is a message.
func decodeFrame(data []byte) (frame, error) {
	var raw struct {
		After *json.RawMessage `json:"after"`
		Body  *json.RawMessage `json:"body"`
		Token *json.RawMessage `json:"token"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return frame{}, errFrame
	}
	switch {
	case raw.After != nil && raw.Body == nil:
		s, err := str(raw.After)
		if err != nil {
			return frame{}, err
		}
		after, err := strconv.ParseInt(s, 10, 64)
		if err != nil || after < 0 {
			return frame{}, errFrame
		}
		return frame{Resume: true, After: after}, nil
	case raw.Body != nil && raw.Token != nil && raw.After == nil:
		body, err := str(raw.Body)
		if err != nil {
			return frame{}, err
		}
		token, err := str(raw.Token)
		if err != nil {
			return frame{}, err
		}
		return frame{Body: body, Token: token}, nil
	}
	return frame{}, errFrame
}

// str decodes a JSON string, refusing arrays and other types.
func str(raw *json.RawMessage) (string, error) {
	var s string
	if err := json.Unmarshal(*raw, &s); err != nil {
		return "", errFrame
	}
	return s, nil
}
