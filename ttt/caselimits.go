package ttt

import (
	"strconv"
	"strings"
)

// MaxCaseValues bounds every array that a case makes a run allocate: the
// input (T×D), the views and outputs (T×d), the projections (D×d or D×D),
// the inner weights, the dual form's b×b coefficients and the primal form's
// b virtual weight sets. 2^25 float32 is 128 MiB. The decoder checks the
// dimensions against it before it allocates anything, so a small file that
// claims T = 1,000,000 and D = 4096 is an error naming T, not an
// out-of-memory crash.
const MaxCaseValues = 1 << 25

// within fails field unless the product of factors (each ≥ 1) is at most
// MaxCaseValues; what spells the product in the case's names ("T×D").
func (r *reader) within(field, what string, factors ...int) {
	if r.err != nil {
		return
	}
	n := 1
	for _, f := range factors {
		if f > MaxCaseValues/n {
			s := make([]string, len(factors))
			for i, f := range factors {
				s[i] = strconv.Itoa(f)
			}
			r.fail(field, "%s = %s values, over the limit of %d for one array", what, strings.Join(s, "×"), MaxCaseValues)
			return
		}
		n *= f
	}
}

// runLimits checks the arrays that a run of heads of model m and size d
// allocates for T tokens of width D, projected by a D×cols matrix (proj
// names it), in mini-batches of b ≤ T tokens.
func (r *reader) runLimits(m Model, T, D int, proj string, cols, d, b int) {
	r.within("T", "T×D", T, D)
	r.within("T", "T×d", T, d)
	r.within("D", proj, D, cols)
	r.within("d", "the inner weights", weightValues(m, d))
	r.within("mini_batch_size", "b×b (the dual form)", b, b)
	r.within("mini_batch_size", "b × the inner weights (the primal form)", b, weightValues(m, d))
}

// weightValues is the number of values in one head's inner weights.
func weightValues(m Model, d int) int {
	if m == MLP {
		return 2*d*Hidden(d) + Hidden(d) + d
	}
	return d*d + d
}
