package views

import (
	"errors"
	"strings"
	"testing"

	"hxchat/chat"
)

func TestErrorTextSaysEveryReason(t *testing.T) {
	fields := []chat.Field{"", chat.FieldRoomName, chat.FieldDisplayName, chat.FieldBody, chat.FieldBefore}
	seen := map[string]chat.Reason{}
	for _, r := range chat.Reasons() {
		for _, f := range fields {
			e := &chat.Error{Reason: r, Field: f, Limit: 40, Length: 41, Value: "General"}
			got := ErrorText(e)
			if got == somethingWrong || got == "" {
				t.Errorf("ErrorText(%v) = %q, want a sentence of its own", e, got)
			}
			if other, ok := seen[got]; ok && other != r {
				t.Errorf("reasons %q and %q both read %q", other, r, got)
			}
			seen[got] = r
		}
	}
}

func TestErrorTextFacts(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{&chat.Error{Reason: chat.Empty, Field: chat.FieldRoomName}, "Room name can't be empty."},
		{&chat.Error{Reason: chat.Empty, Field: chat.FieldBody}, "Type a message before sending."},
		{&chat.Error{Reason: chat.TooLong, Field: chat.FieldDisplayName, Limit: 40, Length: 41},
			"Display name can be at most 40 characters; this one has 41."},
		{&chat.Error{Reason: chat.TooLong, Field: chat.FieldBody, Limit: 2000, Length: 2300},
			"That message is 2300 characters long; the limit is 2000."},
		{&chat.Error{Reason: chat.Taken, Field: chat.FieldRoomName, Value: "gEnErAl"}, `A room named "gEnErAl" already exists.`},
		{errors.New("pq: relation does not exist"), somethingWrong},
		{nil, somethingWrong},
	}
	for _, tt := range tests {
		if got := ErrorText(tt.err); got != tt.want {
			t.Errorf("ErrorText(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

func TestErrorPageText(t *testing.T) {
	if got := errorPageText(404, chat.Fail(chat.NoRoom)); !strings.Contains(got, "no such room") {
		t.Errorf("unknown room: got %q, want the domain's words", got)
	}
	if got := errorPageText(500, errors.New("disk full")); got != somethingWrong {
		t.Errorf("internal error: got %q, want %q and no detail", got, somethingWrong)
	}
	for _, status := range []int{400, 403, 404, 405, 413, 500, 503} {
		if errorHeading(status) == "" || errorPageText(status, errors.New("x")) == "" {
			t.Errorf("status %d: heading %q, text %q, want both", status, errorHeading(status), errorPageText(status, errors.New("x")))
		}
	}
}
