package chat

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/secure/precis"
)

// Names (display names and room names) follow the PRECIS Nickname profile
// (RFC 8266): spaces trimmed and collapsed, Unicode NFKC, and no control,
// format (bidirectional overrides, zero-width characters) or unassigned
// code points. Two more rules keep two names from looking alike or
// drowning their neighbours: one script per name (besides the common
// punctuation and digits, and the scripts that are written together, as
// Han with Hiragana and Katakana), and at most maxMarks combining marks on
// one character.

// maxMarks is the most combining marks one character may carry: enough
// for any language's accents (Vietnamese stacks two), too few to draw
// over the lines around it.
const maxMarks = 3

// cleanName returns name as it is kept, or an error saying which rule it
// breaks; field is the input the error names and max the most characters
// it may hold.
func cleanName(name string, field Field, max int) (string, error) {
	if strings.TrimSpace(name) == "" {
		return "", Fail(Empty, field)
	}
	if i := strings.IndexFunc(name, unicode.IsControl); i >= 0 {
		return "", Fail(ControlCharacters, field)
	}
	clean, err := precis.Nickname.String(name)
	if err != nil {
		return "", &Error{Reason: Disallowed, Field: field, Value: firstDisallowed(name)}
	}
	if n := utf8.RuneCountInString(clean); n > max {
		return "", &Error{Reason: TooLong, Field: field, Limit: max, Length: n}
	}
	if r, ok := stackedMarks(clean); ok {
		return "", &Error{Reason: TooManyMarks, Field: field, Value: string(r)}
	}
	if a, b, mixed := mixedScripts(clean); mixed {
		return "", &Error{Reason: MixedScripts, Field: field, Value: a + ", " + b}
	}
	return clean, nil
}

// NameKey is what two names are compared by: equal keys are the same
// name. It folds case and compatibility forms, so "Ana", "ANA" and the
// full-width "Ａｎａ" are one name.
func NameKey(name string) string {
	k, err := precis.Nickname.CompareKey(name)
	if err != nil {
		k = name
	}
	return cases.Fold().String(k)
}

// firstDisallowed names the first code point of s that the Nickname
// profile refuses, as "U+202E".
func firstDisallowed(s string) string {
	for _, r := range s {
		if _, err := precis.Nickname.String(string(r)); err != nil && !unicode.IsSpace(r) {
			return fmt.Sprintf("U+%04X", r)
		}
	}
	return ""
}

// stackedMarks reports the first character of s that carries more than
// maxMarks combining marks.
func stackedMarks(s string) (base rune, found bool) {
	n := 0
	for _, r := range s {
		if unicode.In(r, unicode.Mn, unicode.Me) {
			if n++; n > maxMarks {
				return base, true
			}
			continue
		}
		base, n = r, 0
	}
	return 0, false
}

// together are the sets of scripts one language writes together:
// Japanese mixes Han, Hiragana and Katakana, Korean Han and Hangul, and
// Chinese phonetic notation Han and Bopomofo.
var together = []map[string]bool{
	{"Han": true, "Hiragana": true, "Katakana": true},
	{"Han": true, "Hangul": true},
	{"Han": true, "Bopomofo": true},
}

// mixedScripts reports whether s holds letters of two scripts that are
// not written together, and names two of them. Common and Inherited
// characters (digits, punctuation, combining marks) go with every script.
func mixedScripts(s string) (a, b string, mixed bool) {
	var scripts []string
	for _, r := range s {
		sc := scriptOf(r)
		if sc == "" || sc == "Common" || sc == "Inherited" || slices.Contains(scripts, sc) {
			continue
		}
		scripts = append(scripts, sc)
	}
	if len(scripts) < 2 {
		return "", "", false
	}
	for _, set := range together {
		if !slices.ContainsFunc(scripts, func(sc string) bool { return !set[sc] }) {
			return "", "", false
		}
	}
	return scripts[0], scripts[1], true
}

// scriptOf returns the name of r's Unicode script, or "".
func scriptOf(r rune) string {
	for name, table := range unicode.Scripts {
		if unicode.Is(table, r) {
			return name
		}
	}
	return ""
}

// numberedNamePrefix starts the name every new person gets: "member7".
const numberedNamePrefix = "member"

// numberedNameOf is the name a new person with id is given.
func numberedNameOf(id int64) string { return numberedNamePrefix + strconv.FormatInt(id, 10) }

// numberedName reports whether name has the form of the names new people
// are given, "member" and a number, compared by NameKey.
func numberedName(name string) bool {
	digits, ok := strings.CutPrefix(NameKey(name), numberedNamePrefix)
	return ok && digits != "" && strings.Trim(digits, "0123456789") == ""
}
