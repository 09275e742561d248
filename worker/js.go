//go:build js && wasm

package main

import (
	"errors"
	"syscall/js"

	"github.com/syumai/workers/cloudflare"
)

// await blocks the calling goroutine until the promise settles. Go's wasm
// scheduler hands control back to the JavaScript event loop meanwhile.
func await(p js.Value) (js.Value, error) {
	type result struct {
		v   js.Value
		err error
	}
	done := make(chan result, 1)
	onOK := js.FuncOf(func(_ js.Value, args []js.Value) any {
		done <- result{v: arg0(args)}
		return nil
	})
	onErr := js.FuncOf(func(_ js.Value, args []js.Value) any {
		msg := "promise rejected"
		if e := arg0(args); e.Truthy() {
			msg = e.Call("toString").String()
		}
		done <- result{err: errors.New(msg)}
		return nil
	})
	defer onOK.Release()
	defer onErr.Release()
	p.Call("then", onOK, onErr)
	r := <-done
	return r.v, r.err
}

func arg0(args []js.Value) js.Value {
	if len(args) == 0 {
		return js.Undefined()
	}
	return args[0]
}

// binding returns a binding of the worker's env. The env exists only while
// a request is handled, so bindings are looked up per call.
func binding(name string) (js.Value, error) {
	v := cloudflare.GetBinding(name)
	if v.IsUndefined() || v.IsNull() {
		return js.Value{}, errors.New("binding " + name + " is missing: check wrangler.toml")
	}
	return v, nil
}

// newObject is a new, empty JavaScript object.
func newObject() js.Value {
	return js.Global().Get("Object").New()
}
