package ttt

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// reader walks decoded JSON and keeps the first error, named by its path
// (inputs.theta.Q[3][2]), so that a case's validation reads as a list of
// fields rather than a ladder of if err != nil.
type reader struct{ err error }

func (r *reader) fail(path, format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%s: %s", path, fmt.Sprintf(format, args...))
	}
}

// decodeJSON parses data with numbers kept as json.Number, and says where a
// syntax error is in lines and columns.
func decodeJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			line, col := lineCol(data, se.Offset-1) // Offset counts the bad byte itself
			msg := fmt.Sprintf("not valid JSON at line %d, column %d: %v", line, col, err)
			if bad := data[min(max(se.Offset-1, 0), int64(len(data)-1))]; bad == 'N' || bad == 'I' {
				msg += " (NaN and Infinity are not JSON numbers)"
			}
			return nil, errors.New(msg)
		}
		if err == io.EOF {
			return nil, errors.New("empty file, want a JSON object")
		}
		if err == io.ErrUnexpectedEOF {
			return nil, errors.New("not valid JSON: the file ends in the middle of a value (truncated?)")
		}
		return nil, fmt.Errorf("not valid JSON: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("not valid JSON: more data after the top-level object")
	}
	if p, dup := duplicateKey(data); dup {
		return nil, fmt.Errorf("%s: duplicate key (a key may appear once in an object)", p)
	}
	return v, nil
}

func lineCol(data []byte, off int64) (line, col int) {
	off = min(max(off, 0), int64(len(data)))
	before := data[:off]
	line = bytes.Count(before, []byte{'\n'}) + 1
	col = int(off) - bytes.LastIndexByte(before, '\n')
	return line, col
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func (r *reader) object(v any, path string) map[string]any {
	m, ok := v.(map[string]any)
	if !ok && r.err == nil {
		r.fail(path, "want an object, got %s", kindOf(v))
	}
	return m
}

// has reports whether key is present and not null.
func has(m map[string]any, key string) bool {
	v, ok := m[key]
	return ok && v != nil
}

func (r *reader) field(m map[string]any, path, key string) any {
	v, ok := m[key]
	if !ok || v == nil {
		r.fail(join(path, key), "missing")
		return nil
	}
	return v
}

func (r *reader) str(m map[string]any, path, key string) string {
	return scalar[string](r, m, path, key, "a string")
}

func (r *reader) boolean(m map[string]any, path, key string) bool {
	return scalar[bool](r, m, path, key, "true or false")
}

// scalar reads a JSON string or boolean as T; want says what was expected.
func scalar[T any](r *reader, m map[string]any, path, key, want string) T {
	v := r.field(m, path, key)
	x, ok := v.(T)
	if !ok && v != nil {
		r.fail(join(path, key), "want %s, got %s", want, kindOf(v))
	}
	return x
}

// integer reads a whole number in [lo, hi].
func (r *reader) integer(m map[string]any, path, key string, lo, hi int) int {
	p := join(path, key)
	v := r.field(m, path, key)
	if v == nil {
		return 0
	}
	n, ok := v.(json.Number)
	if !ok {
		r.fail(p, "want a whole number, got %s", kindOf(v))
		return 0
	}
	i, err := strconv.ParseInt(string(n), 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(string(n), 64)
		if ferr != nil || f != math.Trunc(f) {
			r.fail(p, "want a whole number, got %s", n)
			return 0
		}
		if math.Abs(f) > math.MaxInt32 {
			r.fail(p, "%s is out of range, want %d..%d", n, lo, hi)
			return 0
		}
		i = int64(f)
	}
	if i < int64(lo) || i > int64(hi) {
		r.fail(p, "%d is out of range, want %d..%d", i, lo, hi)
		return 0
	}
	return int(i)
}

// number reads one finite number that fits in float32.
func (r *reader) number(v any, path string) float32 {
	f := r.float64(v, path)
	if r.err == nil && math.IsInf(float64(float32(f)), 0) {
		r.fail(path, "%g overflows float32", f)
	}
	return float32(f)
}

func (r *reader) float64(v any, path string) float64 {
	if r.err != nil {
		return 0
	}
	n, ok := v.(json.Number)
	if !ok {
		r.fail(path, "want a number, got %s", kindOf(v))
		return 0
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		r.fail(path, "%s is not a finite number", n)
		return 0
	}
	return f
}

func (r *reader) num(m map[string]any, path, key string) float32 {
	return r.number(r.field(m, path, key), join(path, key))
}

// optNum reads an optional number, def when it is absent or null.
func (r *reader) optNum(m map[string]any, path, key string, def float32) float32 {
	if !has(m, key) {
		return def
	}
	return r.num(m, path, key)
}

// vector reads a list of exactly n numbers (n < 0: any length ≥ 1).
func (r *reader) vector(v any, path string, n int) []float32 {
	if r.err != nil {
		return nil
	}
	list, ok := v.([]any)
	if !ok {
		r.fail(path, "want a list of %s numbers, got %s", count(n), kindOf(v))
		return nil
	}
	if (n >= 0 && len(list) != n) || (n < 0 && len(list) == 0) {
		r.fail(path, "want %s numbers, got %d", count(n), len(list))
		return nil
	}
	out := make([]float32, len(list))
	for i, x := range list {
		out[i] = r.number(x, fmt.Sprintf("%s[%d]", path, i))
	}
	return out
}

func (r *reader) vec(m map[string]any, path, key string, n int) []float32 {
	return r.vector(r.field(m, path, key), join(path, key), n)
}

// matrix reads rows×cols numbers as nested lists, row-major.
func (r *reader) matrix(v any, path string, rows, cols int, what string) []float32 {
	if r.err != nil {
		return nil
	}
	list, ok := v.([]any)
	if !ok {
		r.fail(path, "want a %d×%d matrix (%s), got %s", rows, cols, what, kindOf(v))
		return nil
	}
	if len(list) != rows {
		r.fail(path, "want a %d×%d matrix (%s), got %d rows", rows, cols, what, len(list))
		return nil
	}
	out := make([]float32, 0, rows*cols)
	for i, row := range list {
		p := fmt.Sprintf("%s[%d]", path, i)
		rl, ok := row.([]any)
		if !ok || len(rl) != cols {
			got := kindOf(row)
			if ok {
				got = fmt.Sprintf("%d values", len(rl))
			}
			r.fail(p, "want a row of %d values (%s), got %s", cols, what, got)
			return nil
		}
		for j, x := range rl {
			out = append(out, r.number(x, fmt.Sprintf("%s[%d]", p, j)))
		}
		if r.err != nil {
			return nil
		}
	}
	return out
}

func (r *reader) mat(m map[string]any, path, key string, rows, cols int, what string) []float32 {
	return r.matrix(r.field(m, path, key), join(path, key), rows, cols, what)
}

// flatten reads nested lists of numbers of any shape as float64, row-major.
func (r *reader) flatten(v any, path string, dst []float64) []float64 {
	switch x := v.(type) {
	case []any:
		for i, e := range x {
			dst = r.flatten(e, fmt.Sprintf("%s[%d]", path, i), dst)
		}
		return dst
	default:
		return append(dst, r.float64(v, path))
	}
}

func count(n int) string {
	if n < 0 {
		return "one or more"
	}
	return strconv.Itoa(n)
}

func kindOf(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case string:
		if len(x) > 20 {
			x = x[:20] + "…"
		}
		return strconv.Quote(x)
	case json.Number:
		return "the number " + string(x)
	case []any:
		return fmt.Sprintf("a list of %d", len(x))
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if len(keys) > 4 {
			keys = append(keys[:4], "…")
		}
		return "an object {" + strings.Join(keys, ", ") + "}"
	}
	return fmt.Sprintf("%T", v)
}
