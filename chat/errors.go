package chat

import (
	"errors"
	"fmt"
)

// Code classifies an error so that callers can react without matching
// on strings.
type Code string

// Error codes.
const (
	// Invalid: the input breaks a rule; the message says which.
	Invalid Code = "invalid"
	// Conflict: the input clashes with what is stored (a taken name).
	Conflict Code = "conflict"
	// NotFound: the thing asked for does not exist.
	NotFound Code = "not_found"
	// Forbidden: the caller may not do this.
	Forbidden Code = "forbidden"
	// TooMany: the caller is over a rate limit.
	TooMany Code = "too_many"
	// Unavailable: a dependency is down; trying again later may work.
	Unavailable Code = "unavailable"
	// Internal: anything else; the message is not for users.
	Internal Code = "internal"
)

// Error is a domain error with a code and a message fit to show a user.
type Error struct {
	// Code classifies the error.
	Code Code
	// Message is written for the person who caused it.
	Message string
}

// Error implements error.
func (e *Error) Error() string { return e.Message }

// Errorf returns an *Error with code and a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain,
// Internal for any other non-nil error, and "" for nil.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Code
	}
	return Internal
}

// ErrorMessage returns the user-facing message of err: the message of an
// *Error, or a generic sentence for anything else.
func ErrorMessage(err error) string {
	if e, ok := errors.AsType[*Error](err); ok && e.Code != Internal {
		return e.Message
	}
	return "Something went wrong on our side. Please try again."
}
