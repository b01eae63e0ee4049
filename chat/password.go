package chat

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Password rules.
const (
	// MinPassword is the shortest password accepted, in characters.
	MinPassword = 10
	// MaxPassword is the longest, in bytes: argon2id takes any length,
	// but hashing megabytes on request would be a way to burn CPU.
	MaxPassword = 1024
)

// Hasher hashes passwords with argon2id. The zero value uses OWASP's
// first recommended setting: 19 MiB of memory, 2 passes, 1 lane.
type Hasher struct {
	// Memory in KiB, Time in passes, Threads in lanes.
	Memory  uint32
	Time    uint32
	Threads uint8
}

// params returns h with its defaults filled.
func (h Hasher) params() Hasher {
	if h.Memory == 0 {
		h.Memory = 19 * 1024
	}
	if h.Time == 0 {
		h.Time = 2
	}
	if h.Threads == 0 {
		h.Threads = 1
	}
	return h
}

// Hash returns password's argon2id hash in the PHC string format,
// "$argon2id$v=19$m=19456,t=2,p=1$salt$hash", with a fresh salt.
func (h Hasher) Hash(password string) (string, error) {
	p := h.params()
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, 32)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// errBadHash is a stored hash that is not argon2id in PHC form.
var errBadHash = errors.New("chat: unreadable password hash")

// Verify reports whether password matches hash, in time that does not
// depend on where the two differ. A hash's own parameters are used, so
// hashes made before a change of Hasher still verify.
func Verify(hash, password string) (bool, error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errBadHash
	}
	var version int
	var p Hasher
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, errBadHash
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return false, errBadHash
	}
	enc := base64.RawStdEncoding
	salt, err := enc.DecodeString(parts[4])
	if err != nil {
		return false, errBadHash
	}
	want, err := enc.DecodeString(parts[5])
	if err != nil || len(want) == 0 {
		return false, errBadHash
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// checkPassword applies the password rules.
func checkPassword(password string) error {
	if n := utf8.RuneCountInString(password); n < MinPassword {
		return &Error{Reason: WeakPassword, Field: FieldPassword, Limit: MinPassword, Length: n}
	}
	if len(password) > MaxPassword {
		return &Error{Reason: TooLong, Field: FieldPassword, Limit: MaxPassword, Length: utf8.RuneCountInString(password)}
	}
	return nil
}
