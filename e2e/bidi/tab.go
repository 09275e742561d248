package bidi

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
)

// Tab is one top-level browsing context.
type Tab struct {
	c  *Conn
	ID string
}

// Tab returns the session's first top-level browsing context, creating
// one if there is none.
func (c *Conn) Tab(ctx context.Context) (*Tab, error) {
	var tree struct {
		Contexts []struct {
			Context string `json:"context"`
		} `json:"contexts"`
	}
	if err := c.Call(ctx, "browsingContext.getTree", map[string]any{"maxDepth": 0}, &tree); err != nil {
		return nil, err
	}
	if len(tree.Contexts) > 0 {
		return &Tab{c: c, ID: tree.Contexts[0].Context}, nil
	}
	var created struct {
		Context string `json:"context"`
	}
	if err := c.Call(ctx, "browsingContext.create", map[string]any{"type": "tab"}, &created); err != nil {
		return nil, err
	}
	return &Tab{c: c, ID: created.Context}, nil
}

// SetViewport sets the tab's viewport in CSS pixels.
func (t *Tab) SetViewport(ctx context.Context, width, height int) error {
	return t.c.Call(ctx, "browsingContext.setViewport", map[string]any{
		"context": t.ID, "viewport": map[string]int{"width": width, "height": height},
	}, nil)
}

// Navigate loads url and waits for the document's load event.
func (t *Tab) Navigate(ctx context.Context, url string) error {
	return t.c.Call(ctx, "browsingContext.navigate", map[string]any{"context": t.ID, "url": url, "wait": "complete"}, nil)
}

// Eval evaluates a JavaScript expression in the tab, awaits it if it is a
// Promise and decodes its value, sent as JSON, into out (if not nil). A
// thrown error or a rejected Promise is an error carrying its message.
func (t *Tab) Eval(ctx context.Context, expr string, out any) error {
	// BiDi's own serialisation of values is typed and nested; JSON is what
	// the page's API promises, so ask for that.
	wrapped := "Promise.resolve((" + expr + "\n)).then((v) => JSON.stringify(v === undefined ? null : v))"
	var res struct {
		Type   string `json:"type"`
		Result struct {
			Type  string `json:"type"`
			Value string `json:"value"`
		} `json:"result"`
		ExceptionDetails struct {
			Text string `json:"text"`
		} `json:"exceptionDetails"`
	}
	err := t.c.Call(ctx, "script.evaluate", map[string]any{
		"expression": wrapped, "target": map[string]string{"context": t.ID},
		"awaitPromise": true, "resultOwnership": "none",
	}, &res)
	switch {
	case err != nil:
		return err
	case res.Type == "exception":
		return &ScriptError{Text: res.ExceptionDetails.Text}
	case res.Result.Type != "string":
		return fmt.Errorf("script.evaluate: a %s where JSON text was expected", res.Result.Type)
	case out == nil:
		return nil
	}
	return json.Unmarshal([]byte(res.Result.Value), out)
}

// ScriptError is an exception thrown (or a rejection) in the page.
type ScriptError struct{ Text string }

func (e *ScriptError) Error() string { return "the page threw: " + e.Text }

// Screenshot captures the tab's viewport as PNG.
func (t *Tab) Screenshot(ctx context.Context) ([]byte, error) {
	var res struct {
		Data string `json:"data"`
	}
	if err := t.c.Call(ctx, "browsingContext.captureScreenshot", map[string]any{"context": t.ID, "origin": "viewport"}, &res); err != nil {
		return nil, err
	}
	if res.Data == "" {
		return nil, errors.New("browsingContext.captureScreenshot: no image data")
	}
	return base64.StdEncoding.DecodeString(res.Data)
}
