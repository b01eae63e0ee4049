package chat_test

import (
	"strings"
	"testing"

	"hxchat/chat"
)

func TestNameRules(t *testing.T) {
	tests := []struct {
		name, in string
		// want is the name kept; "" when refused with reason.
		want   string
		reason chat.Reason
	}{
		{"plain", "Ana", "Ana", ""},
		{"spaces trimmed and collapsed", "  Ana   Lima ", "Ana Lima", ""},
		{"full-width letters folded", "Ａｎａ", "Ana", ""},
		{"accents", "José Müller", "José Müller", ""},
		{"Vietnamese two marks", "Nguyễn", "Nguyễn", ""},
		{"Arabic", "مريم", "مريم", ""},
		{"Hebrew with digits", "דנה 2", "דנה 2", ""},
		{"Japanese mixes Han and kana", "山田はなこ", "山田はなこ", ""},
		{"Korean mixes Han and Hangul", "김民俊", "김民俊", ""},
		{"emoji", "Ana 🌻", "Ana 🌻", ""},
		{"empty", "", "", chat.Empty},
		{"blank", " \t ", "", chat.Empty},
		{"bell", "Ana\a", "", chat.ControlCharacters},
		{"right-to-left override", "Ana\u202eLima", "", chat.Disallowed},
		{"left-to-right mark", "\u200eAna", "", chat.Disallowed},
		{"zero-width space", "A\u200bna", "", chat.Disallowed},
		{"zero-width joiner between letters", "A\u200dna", "", chat.Disallowed},
		{"unassigned", "Ana\U000E0080", "", chat.Disallowed},
		{"combining flood", "Ana" + strings.Repeat("\u0301", 5), "", chat.TooManyMarks},
		{"Cyrillic a among Latin", "\u0410na", "", chat.MixedScripts},
		{"Greek omicron among Latin", "B\u03bfb", "", chat.MixedScripts},
		{"Hiragana with Hangul", "はな김", "", chat.MixedScripts},
		{"too long after folding", strings.Repeat("ｘ", chat.MaxDisplayName+1), "", chat.TooLong},
		{"a numbered name kept for new people", "member42", "", chat.Taken},
		{"a numbered name in capitals", "MEMBER42", "", chat.Taken},
		{"the person's own numbered name", "MEMBER1", "MEMBER1", ""},
		{"member and a word", "member of staff", "member of staff", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc, _, u, _ := MustService(t)
			got, err := svc.Rename(t.Context(), u, tt.in)
			if tt.reason != "" {
				e := chat.AsError(err)
				if e == nil || e.Reason != tt.reason || e.Field != chat.FieldDisplayName {
					t.Fatalf("Rename(%q): got %+v, %v, want refused for %q", tt.in, got, err, tt.reason)
				}
				return
			}
			if err != nil || got.Name != tt.want {
				t.Fatalf("Rename(%q): got %q, %v, want %q", tt.in, got.Name, err, tt.want)
			}
		})
	}
}

func TestNameKey(t *testing.T) {
	same := [][2]string{{"Ana", "ANA"}, {"Ana", "Ａｎａ"}, {"straße", "STRASSE"}, {"Ana Lima", " ana  lima "}}
	for _, p := range same {
		if chat.NameKey(p[0]) != chat.NameKey(p[1]) {
			t.Errorf("NameKey(%q) = %q, NameKey(%q) = %q: want one name", p[0], chat.NameKey(p[0]), p[1], chat.NameKey(p[1]))
		}
	}
	if chat.NameKey("Ana") == chat.NameKey("Anna") {
		t.Error("Ana and Anna share a key")
	}
}
