package views

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// TestGallerySamplesRefer renders every sample and checks that the ids
// its labels and descriptions point at exist, once each: a broken
// reference leaves a field without its label or error for a screen
// reader.
func TestGallerySamplesRefer(t *testing.T) {
	for _, s := range GallerySamples() {
		t.Run(s.Name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := s.Render(Layout{}, "light").Render(context.Background(), &buf); err != nil {
				t.Fatalf("render: %v", err)
			}
			if s.Name != "error-internal" && strings.Contains(buf.String(), somethingWrong) {
				t.Errorf("the sample says %q, which only the server's own faults may", somethingWrong)
			}
			doc, err := html.Parse(&buf)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			ids := map[string]int{}
			var refs []string
			var walk func(*html.Node)
			walk = func(n *html.Node) {
				if n.Type == html.ElementNode {
					for _, a := range n.Attr {
						switch a.Key {
						case "id":
							ids[a.Val]++
						case "for", "aria-describedby", "aria-labelledby":
							refs = append(refs, strings.Fields(a.Val)...)
						}
					}
				}
				for c := n.FirstChild; c != nil; c = c.NextSibling {
					walk(c)
				}
			}
			walk(doc)
			for id, n := range ids {
				if n > 1 {
					t.Errorf("id %q is used %d times", id, n)
				}
			}
			for _, r := range refs {
				if ids[r] == 0 {
					t.Errorf("a label or description points at %q, which is not in the page", r)
				}
			}
		})
	}
}
