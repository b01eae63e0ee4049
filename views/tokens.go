package views

import (
	"strconv"

	"hxchat/chat"
)

// TokenForm creates an access token on /account/tokens.
type TokenForm struct {
	// CSRF is the form's anti-forgery token.
	CSRF string
	// Name is what was typed, kept when the form is refused.
	Name string
	// Err is why the token was not made, if it was not.
	Err error
}

// TokensPage is /account/tokens: the viewer's personal access tokens,
// each with "Revoke", and the form that makes one ("Name", "Create
// token").
type TokensPage struct {
	Layout
	// Email is the viewer's email: what a program gives as its STOMP
	// login beside a token.
	Email string
	// Tokens are the viewer's tokens, the newest first.
	Tokens []chat.Token
	// Form is the create form.
	Form TokenForm
	// Created and Secret are the token just made and its secret, shown
	// this once; Secret is "" otherwise.
	Created chat.Token
	Secret  string
}

// revokeTokenURL revokes the token with id.
func revokeTokenURL(id int64) string {
	return "/account/tokens/" + strconv.FormatInt(id, 10) + "/revoke"
}

// tokenLabel names a token's form field and its errors: "Name".
func tokenLabel(f chat.Field) string {
	if f == chat.FieldTokenName {
		return labelName
	}
	return fieldLabel(f)
}
