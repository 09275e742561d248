package ttt

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// jsonLevel is one level of nesting that duplicateKey is inside.
type jsonLevel struct {
	object  bool
	wantKey bool                // object: the next string is a key
	keys    map[string]struct{} // object: the keys so far
	key     string              // object: the current key
	index   int                 // list: the current index
}

// duplicateKey returns the path (inputs.theta.Q, inputs.inner_per_head[0].b2)
// of the first key that appears twice in one object of data, which must be
// valid JSON. encoding/json keeps the last of two such keys silently, so a
// case could carry two different W0s and run either; the decoder refuses it.
// It is one pass over the bytes without a tree, a small part of the decode.
func duplicateKey(data []byte) (string, bool) {
	var stack []jsonLevel
	for i := 0; i < len(data); i++ {
		switch data[i] {
		case '{':
			stack = append(stack, jsonLevel{object: true, wantKey: true})
		case '[':
			stack = append(stack, jsonLevel{})
		case '}', ']':
			stack = stack[:len(stack)-1]
		case ',':
			top := &stack[len(stack)-1]
			top.wantKey = top.object
			top.index++
		case '"':
			end := i + 1
			for data[end] != '"' {
				if data[end] == '\\' {
					end++
				}
				end++
			}
			if len(stack) > 0 && stack[len(stack)-1].wantKey {
				top := &stack[len(stack)-1]
				key := string(data[i+1 : end])
				if bytes.IndexByte(data[i+1:end], '\\') >= 0 {
					json.Unmarshal(data[i:end+1], &key) // "\u0061" is the key "a"
				}
				top.key, top.wantKey = key, false
				if _, dup := top.keys[key]; dup {
					return levelsPath(stack), true
				}
				if top.keys == nil {
					top.keys = map[string]struct{}{}
				}
				top.keys[key] = struct{}{}
			}
			i = end
		}
	}
	return "", false
}

// levelsPath spells the path down the levels, each an object's key or a list's index.
func levelsPath(levels []jsonLevel) string {
	p := ""
	for _, l := range levels {
		if l.object {
			p = join(p, l.key)
		} else {
			p = fmt.Sprintf("%s[%d]", p, l.index)
		}
	}
	return p
}
