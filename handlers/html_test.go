package handlers_test

import (
	"strings"
	"testing"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// parseFrame parses a websocket frame as htmx does, as the children of
// a <body>; the returned node holds them.
func parseFrame(t *testing.T, f string) *html.Node {
	t.Helper()
	body := &html.Node{Type: html.ElementNode, Data: "body", DataAtom: atom.Body}
	nodes, err := html.ParseFragment(strings.NewReader(f), body)
	if err != nil {
		t.Fatalf("parse frame %q: %v", f, err)
	}
	for _, n := range nodes {
		body.AppendChild(n)
	}
	return body
}

// elements returns n's element children.
func elements(n *html.Node) []*html.Node {
	var out []*html.Node
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode {
			out = append(out, c)
		}
	}
	return out
}

// topIDs returns the ids of n's element children.
func topIDs(n *html.Node) []string {
	var out []string
	for _, e := range elements(n) {
		out = append(out, attr(e, "id"))
	}
	return out
}

// match tells whether a node is the one looked for.
type match func(*html.Node) bool

func tag(a atom.Atom) match { return func(n *html.Node) bool { return n.DataAtom == a } }

func hasAttr(key, value string) match {
	return func(n *html.Node) bool {
		v, ok := lookup(n, key)
		return ok && v == value
	}
}

func hasClass(class string) match {
	return func(n *html.Node) bool {
		v, _ := lookup(n, "class")
		for _, c := range strings.Fields(v) {
			if c == class {
				return true
			}
		}
		return false
	}
}

func and(ms ...match) match {
	return func(n *html.Node) bool {
		for _, m := range ms {
			if !m(n) {
				return false
			}
		}
		return true
	}
}

// all returns the elements under n (n included) that m matches.
func all(n *html.Node, m match) []*html.Node {
	var out []*html.Node
	if n == nil {
		return nil
	}
	for d := range n.Descendants() {
		if d.Type == html.ElementNode && m(d) {
			out = append(out, d)
		}
	}
	if n.Type == html.ElementNode && m(n) {
		out = append([]*html.Node{n}, out...)
	}
	return out
}

// first returns the first element under n that m matches, or nil.
func first(n *html.Node, m match) *html.Node {
	if found := all(n, m); len(found) > 0 {
		return found[0]
	}
	return nil
}

// byID returns the element with id under n, or nil.
func byID(n *html.Node, id string) *html.Node { return first(n, hasAttr("id", id)) }

func lookup(n *html.Node, key string) (string, bool) {
	if n == nil {
		return "", false
	}
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

// attr returns n's attribute key, or "".
func attr(n *html.Node, key string) string {
	v, _ := lookup(n, key)
	return v
}

// rawText returns the text under n as is.
func rawText(n *html.Node) string {
	if n == nil {
		return ""
	}
	var b strings.Builder
	for d := range n.Descendants() {
		if d.Type == html.TextNode {
			b.WriteString(d.Data)
		}
	}
	return b.String()
}

// textOf returns the text under n with white space collapsed, as a
// screen reader would read it.
func textOf(n *html.Node) string { return strings.Join(strings.Fields(rawText(n)), " ") }
