// Package bidi drives a browser over WebDriver BiDi (the W3C protocol that
// Firefox speaks natively): a WebSocket client of the standard library, the
// session's commands and events, and Firefox started with a throw-away
// profile, headless or on an Xvfb display. It holds only what the page's
// tests use.
package bidi

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
)

// Error is a command's error answer.
type Error struct {
	Method  string
	Code    string `json:"error"`
	Message string `json:"message"`
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s: %s", e.Method, e.Code, e.Message) }

// message is any message from the browser: a command's answer (id set) or
// an event (method set).
type message struct {
	Type    string          `json:"type"` // "success", "error" or "event"
	ID      *int            `json:"id"`
	Result  json.RawMessage `json:"result"`
	Code    string          `json:"error"`
	Message string          `json:"message"`
	Method  string          `json:"method"`
	Params  json.RawMessage `json:"params"`
}

// Conn is a BiDi session's connection: commands from any goroutine, their
// answers matched by id, events handed to OnEvent on the reading goroutine.
type Conn struct {
	ws      *wsConn
	onEvent func(method string, params json.RawMessage)

	mu      sync.Mutex
	next    int
	pending map[int]chan message
	err     error         // why the connection ended, once it has
	done    chan struct{} // closed when the reader stops
}

// Dial connects to a BiDi endpoint (ws://host:port/session). onEvent, if
// not nil, gets every event the session subscribes to.
func Dial(ctx context.Context, url string, onEvent func(method string, params json.RawMessage)) (*Conn, error) {
	ws, err := dialWS(ctx, url)
	if err != nil {
		return nil, err
	}
	c := &Conn{ws: ws, onEvent: onEvent, pending: map[int]chan message{}, done: make(chan struct{})}
	go c.read()
	return c, nil
}

func (c *Conn) read() {
	defer close(c.done)
	for {
		data, err := c.ws.ReadMessage()
		if err != nil {
			c.fail(fmt.Errorf("the BiDi connection ended: %w", err))
			return
		}
		var m message
		if err := json.Unmarshal(data, &m); err != nil {
			c.fail(fmt.Errorf("a BiDi message that is not JSON: %w: %.200s", err, data))
			return
		}
		if m.ID == nil {
			if m.Type == "event" && c.onEvent != nil {
				c.onEvent(m.Method, m.Params)
			}
			continue
		}
		c.mu.Lock()
		ch := c.pending[*m.ID]
		delete(c.pending, *m.ID)
		c.mu.Unlock()
		if ch != nil {
			ch <- m
		}
	}
}

// fail ends every waiting command with err.
func (c *Conn) fail(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil {
		c.err = err
	}
	for id, ch := range c.pending {
		close(ch)
		delete(c.pending, id)
	}
}

// Call sends a command and decodes its result into result (if not nil). It
// returns when the answer comes, the context ends or the connection does.
func (c *Conn) Call(ctx context.Context, method string, params, result any) error {
	if params == nil {
		params = struct{}{}
	}
	ch := make(chan message, 1)
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return fmt.Errorf("%s: %w", method, c.err)
	}
	c.next++
	id := c.next
	c.pending[id] = ch
	c.mu.Unlock()
	data, err := json.Marshal(map[string]any{"id": id, "method": method, "params": params})
	if err != nil {
		return err
	}
	if err := c.ws.WriteText(data); err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	select {
	case m, ok := <-ch:
		if !ok {
			c.mu.Lock()
			defer c.mu.Unlock()
			return fmt.Errorf("%s: %w", method, c.err)
		}
		if m.Type == "error" {
			return &Error{Method: method, Code: m.Code, Message: m.Message}
		}
		if result == nil {
			return nil
		}
		if err := json.Unmarshal(m.Result, result); err != nil {
			return fmt.Errorf("%s: decoding the result: %w", method, err)
		}
		return nil
	case <-ctx.Done():
		c.mu.Lock()
		delete(c.pending, id)
		c.mu.Unlock()
		return fmt.Errorf("%s: %w", method, ctx.Err())
	}
}

// Close closes the connection and waits for its reader to stop, so no
// event is handed on after it returns.
func (c *Conn) Close() error {
	err := c.ws.Close()
	<-c.done
	return err
}

// Subscribe asks for the given events (as "log.entryAdded") across the session.
func (c *Conn) Subscribe(ctx context.Context, events ...string) error {
	return c.Call(ctx, "session.subscribe", map[string]any{"events": events}, nil)
}

// LogEntry is a log.entryAdded event's parameters: a console call or an
// uncaught error in the page.
type LogEntry struct {
	Type  string `json:"type"`  // "console" or "javascript"
	Level string `json:"level"` // "debug", "info", "warn", "error"
	Text  string `json:"text"`
}
