package views

import (
	"errors"
	"strings"
	"testing"
	"time"

	"hxchat/chat"
)

func TestErrorTextSaysEveryReason(t *testing.T) {
	fields := []chat.Field{"", chat.FieldRoomName, chat.FieldDisplayName, chat.FieldBody, chat.FieldBefore, chat.FieldEmail, chat.FieldPassword}
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
		{&chat.Error{Reason: chat.WeakPassword, Field: chat.FieldPassword, Limit: 10, Length: 4}, "Password must be at least 10 characters."},
		{chat.Fail(chat.WrongPassword), "That email and password do not match an active account."},
		{&chat.Error{Reason: chat.WrongPassword, Field: chat.FieldPassword}, "That is not your current password."},
		{chat.Fail(chat.LinkExpired), "This link has been used, replaced or has expired. Ask an administrator for a new one."},
		{chat.Fail(chat.SignedOut), "You are signed out. Sign in again."},
		{chat.Fail(chat.Removed), "You are no longer in this room."},
		{&chat.Error{Reason: chat.TooManySignIns, Wait: 150 * time.Second}, "Too many failed sign-ins. Try again in 3 minutes."},
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
	for _, status := range []int{400, 401, 403, 404, 405, 413, 500, 503} {
		if errorHeading(status) == "" || errorPageText(status, errors.New("x")) == "" {
			t.Errorf("status %d: heading %q, text %q, want both", status, errorHeading(status), errorPageText(status, errors.New("x")))
		}
	}
}

func TestErrorTextNamesTheFormsLabel(t *testing.T) {
	weak := &chat.Error{Reason: chat.WeakPassword, Field: chat.FieldPassword, Limit: 10}
	if got, want := errorText(weak, newPasswordLabel), "New password must be at least 10 characters."; got != want {
		t.Errorf("weak new password: got %q, want %q", got, want)
	}
	empty := chat.Fail(chat.Empty, chat.FieldDisplayName)
	if got, want := errorText(empty, accountLabel), "Name can't be empty."; got != want {
		t.Errorf("empty name on the account form: got %q, want %q", got, want)
	}
}

func TestWaitWords(t *testing.T) {
	tests := []struct {
		wait time.Duration
		want string
	}{
		{0, "a moment"},
		{time.Second, "1 second"},
		{1500 * time.Millisecond, "2 seconds"},
		{45 * time.Second, "45 seconds"},
		{59*time.Second + time.Millisecond, "1 minute"},
		{time.Minute, "1 minute"},
		{61 * time.Second, "2 minutes"},
		{3 * time.Minute, "3 minutes"},
	}
	for _, tt := range tests {
		if got := waitWords(tt.wait); got != tt.want {
			t.Errorf("waitWords(%v) = %q, want %q", tt.wait, got, tt.want)
		}
	}
}

func TestAuditWordsSayEveryAction(t *testing.T) {
	actions := []string{"deactivate", "reactivate", "make_admin", "remove_admin", "reset_link", "reset_invitation",
		"rename_room", "archive_room", "restore_room", "add_member", "remove_member"}
	seen := map[string]string{}
	for _, a := range actions {
		got := auditWords(a)
		if got == a {
			t.Errorf("auditWords(%q) = %q, want a sentence", a, got)
		}
		if other, ok := seen[got]; ok {
			t.Errorf("actions %q and %q both read %q", other, a, got)
		}
		seen[got] = a
	}
}
