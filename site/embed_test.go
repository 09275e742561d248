//go:build !js

package site

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"tttexplainer/scenario"
	"tttexplainer/snippet"
)

// ?embed=1 on the page or a saved scenario's page leads to the embed view,
// which any site may frame: the page itself says frame-ancestors 'self', so a
// frame of /?embed=1 would otherwise be refused before the page's script
// could move on.
func TestEmbedRedirect(t *testing.T) {
	ts := newTestSite(t)
	c := ts.create(t, `{"model":"mlp"}`)
	for _, tc := range []struct{ target, want string }{
		{"/?embed=1&seed=5&autoplay=0", "/embed.html?autoplay=0&seed=5"},
		{"/index.html?embed=1", "/embed.html"},
		{"/s/" + c.ID + "?embed=1", "/e/" + c.ID},
	} {
		rec := ts.do("GET", tc.target, nil)
		if rec.Code != http.StatusFound || rec.Header().Get("Location") != tc.want {
			t.Errorf("GET %s = %d, Location %q; want 302 to %q", tc.target, rec.Code, rec.Header().Get("Location"), tc.want)
		}
		if xfo := rec.Header().Get("X-Frame-Options"); xfo != "" {
			t.Errorf("GET %s: X-Frame-Options %q on the way to the embed view", tc.target, xfo)
		}
	}
	for _, target := range []string{"/?embed=0", "/?seed=5", "/style.css?embed=1"} {
		if rec := ts.do("GET", target, nil); rec.Code == http.StatusFound {
			t.Errorf("GET %s redirected to %q; want the file itself", target, rec.Header().Get("Location"))
		}
	}
}

// The embed view draws in view.html, so a site that frames the embed view
// frames view.html too: it must be as frameable as embed.html.
func TestViewFrameable(t *testing.T) {
	if KindOf("view.html") != KindEmbed || KindOf("embed.html") != KindEmbed || KindOf("index.html") != KindPage {
		t.Errorf("KindOf: view.html %v, embed.html %v, index.html %v; want embed, embed, page", KindOf("view.html"), KindOf("embed.html"), KindOf("index.html"))
	}
}

// oEmbed's html for a page URL is snippet.ForPage of that URL: what the
// page's "Copy embed code" copies (wasm/embedcode.go calls the same).
func TestOEmbedIsTheSnippet(t *testing.T) {
	ts := newTestSite(t)
	c := ts.create(t, `{"model":"mlp","b":4}`)
	saved, err := scenario.DecodeJSON(c.Scenario)
	if err != nil {
		t.Fatal(err)
	}
	for _, page := range []string{
		testOrigin + "/",
		testOrigin + "/?model=mlp&b=4&input=recall&autoplay=0",
		testOrigin + "/embed.html?form=dual&lr=0.3",
		testOrigin + "/?mode=lm&lmtext=Call+me+Ishmael.",
		testOrigin + "/s/" + c.ID,
	} {
		rec := ts.do("GET", "/oembed?url="+url.QueryEscape(page), nil)
		if rec.Code != http.StatusOK {
			t.Fatalf("oEmbed of %s = %d %s", page, rec.Code, rec.Body)
		}
		var o OEmbed
		if err := json.Unmarshal(rec.Body.Bytes(), &o); err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(page)
		s := saved
		if _, ok := snippet.Saved(u.Path); !ok {
			if s, err = scenario.FromQuery(u.Query()); err != nil {
				t.Fatal(err)
			}
		}
		want, err := snippet.ForPage(page, &s)
		if err != nil {
			t.Fatal(err)
		}
		if o.HTML != want {
			t.Errorf("oEmbed html of %s:\n%s\nwant snippet.ForPage:\n%s", page, o.HTML, want)
		}
	}
}
