package stomp

import (
	"strconv"
	"strings"
)

// Destinations. A room is subscribed to as the tutorial names it,
// /subscribe/chat/room/{id}, or as brokers' topics are usually named,
// /topic/room.{id}; messages are sent to the tutorial's
// /publish/chat/message or to /app/chat.message, and refused sends are
// told on /user/queue/errors.
const (
	// roomPrefix and topicPrefix start a room's destination; its ID
	// follows.
	roomPrefix  = "/subscribe/chat/room/"
	topicPrefix = "/topic/room."
	// ErrorsQueue is where a client learns that a SEND was refused.
	ErrorsQueue = "/user/queue/errors"
	// PublishMessage and AppMessage take a message to post.
	PublishMessage = "/publish/chat/message"
	AppMessage     = "/app/chat.message"
	// PublishJoin is the tutorial's join, accepted and ignored: a
	// subscription already makes the person present.
	PublishJoin = "/publish/chat/join"
)

// RoomDestination is the destination of room id as the tutorial names
// it.
func RoomDestination(id int64) string { return roomPrefix + strconv.FormatInt(id, 10) }

// TopicDestination is the destination of room id as a topic.
func TopicDestination(id int64) string { return topicPrefix + strconv.FormatInt(id, 10) }

// roomOf returns the room a SUBSCRIBE's destination names.
func roomOf(dest string) (int64, bool) {
	id, ok := strings.CutPrefix(dest, roomPrefix)
	if !ok {
		id, ok = strings.CutPrefix(dest, topicPrefix)
	}
	if !ok {
		return 0, false
	}
	return parseID(id)
}

// parseID reads a room ID: a positive decimal number, nothing else.
func parseID(s string) (int64, bool) {
	if s == "" || s[0] < '1' || s[0] > '9' {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}
