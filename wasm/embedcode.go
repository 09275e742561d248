//go:build js

package main

import (
	"fmt"
	"net/url"
	"syscall/js"

	"tttexplainer/scenario"
	"tttexplainer/snippet"
)

// The page's "Copy embed code" copies what the site's oEmbed answers for the
// page's URL: the same Go function builds both (package snippet), and this
// one also works on a static host, which has no oEmbed.
//
//	tttEmbedCode(pageURL, scenarioJSON) → {html} or {error}
//
// scenarioJSON is the scenario shown, which names a saved scenario's
// /s/{id} page; any other page's scenario is its URL's query, as for oEmbed.
func init() {
	js.Global().Set("tttEmbedCode", js.FuncOf(func(_ js.Value, args []js.Value) any {
		out := js.Global().Get("Object").New()
		html, err := embedCode(args)
		if err != nil {
			out.Set("error", err.Error())
		} else {
			out.Set("html", html)
		}
		return out
	}))
}

func embedCode(args []js.Value) (string, error) {
	if len(args) < 2 {
		return "", fmt.Errorf("tttEmbedCode(pageURL, scenarioJSON): %d arguments", len(args))
	}
	u, err := url.Parse(args[0].String())
	if err != nil {
		return "", err
	}
	var s scenario.Scenario
	if _, saved := snippet.Saved(u.Path); saved {
		s, err = scenario.DecodeJSON([]byte(args[1].String()))
	} else {
		s, err = scenario.FromQuery(u.Query())
	}
	if err != nil {
		return "", err
	}
	return snippet.ForPage(u.String(), &s)
}
