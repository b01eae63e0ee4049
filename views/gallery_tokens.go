package views

import (
	"time"

	"github.com/a-h/templ"

	"hxchat/chat"
)

// sampleTokens are three of Ana's access tokens, the newest first: one
// never used, one in use, one with a long name.
func sampleTokens() []chat.Token {
	return []chat.Token{
		{ID: 14, User: ana.ID, Name: "Release notes bot", CreatedAt: sampleTime.Add(-time.Hour)},
		{ID: 9, User: ana.ID, Name: "Deploy bot", CreatedAt: sampleTime.AddDate(0, 0, -12), LastUsed: sampleTime.Add(-4 * time.Minute)},
		{ID: 3, User: ana.ID, Name: "Phone app for the weekly on-call rotation, second handset",
			CreatedAt: sampleTime.AddDate(0, -2, 0), LastUsed: sampleTime.AddDate(0, 0, -9)},
	}
}

// tokenPages are the samples of /account/tokens.
func tokenPages() []Sample {
	page := func(p TokensPage) func(Layout) templ.Component {
		return func(l Layout) templ.Component {
			p.Layout = signedIn(l, "Access tokens")
			p.Email = accounts[0].Email
			p.Form.CSRF = "sample"
			return Tokens(p)
		}
	}
	tokens := sampleTokens()
	return []Sample{
		{Name: "tokens", Title: "Access tokens", From: "GET /account/tokens", Page: true,
			shown: page(TokensPage{Tokens: tokens[1:]})},
		{Name: "tokens-empty", Title: "Access tokens: none yet", From: "GET /account/tokens before making one", Page: true,
			shown: page(TokensPage{})},
		{Name: "tokens-created", Title: "Access tokens: one just made", From: "POST /account/tokens: the secret, shown this once", Page: true,
			shown: page(TokensPage{Tokens: tokens, Created: tokens[0], Secret: "hxc_Vq3rN8xKp2LmZ7wT1yB5cD9fG4hJ6kE0aS8uR2iO3pQ"})},
		{Name: "tokens-name-refused", Title: "Access tokens: name refused", From: "POST /account/tokens with an empty name (422)", Page: true,
			shown: page(TokensPage{Tokens: tokens[1:], Form: TokenForm{Err: chat.Fail(chat.Empty, chat.FieldTokenName)}})},
		{Name: "tokens-too-many", Title: "Access tokens: too many", From: "POST /account/tokens when the account holds the most it may (429)", Page: true,
			shown: page(TokensPage{Tokens: tokens, Form: TokenForm{Name: "One more bot",
				Err: &chat.Error{Reason: chat.TooManyTokens, Limit: chat.MaxTokens}}})},
	}
}
