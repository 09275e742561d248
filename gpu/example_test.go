package gpu_test

import (
	"fmt"

	"tttexplainer/gpu"
	"tttexplainer/ttt"
)

// A whole prefill on the GPU: the same call as on ttt.CPU, one submit and one
// readback however many mini-batches and heads. The examples need a WebGPU
// adapter (natively Mesa's lavapipe, which make test installs): without
// one they print why, and fail.
func ExampleBackend_Run() {
	be, err := gpu.New()
	if err != nil {
		fmt.Println(err) // no adapter: the error says which driver to install
		return
	}
	defer be.Close()
	heads := []ttt.HeadInput{
		ttt.RandomProblem(ttt.Linear, 100, 16, 16, 1).Input(),
		ttt.RandomProblem(ttt.Linear, 100, 16, 16, 2).Input(),
	}
	res, err := be.Run(ttt.Dual, heads)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(res[0].Z), be.Stats())
	// Output: 1600 {1 1}
}

// The page's live view: one token for every head per Step, and the current
// weights W_t when it redraws them.
func ExampleStream() {
	be, err := gpu.New()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer be.Close()
	const H, T, d, b = 2, 20, 8, 16
	probs := []*ttt.Problem{ttt.RandomProblem(ttt.MLP, T, d, b, 1), ttt.RandomProblem(ttt.MLP, T, d, b, 2)}
	st, err := be.NewStream([]*ttt.Head{&probs[0].Head, &probs[1].Head}, []*ttt.Weights{probs[0].W0, probs[1].W0})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer st.Close()
	q, k, v, lr := make([]float32, H*d), make([]float32, H*d), make([]float32, H*d), make([]float32, H)
	z, losses := make([]float32, H*d), make([]ttt.Losses, H)
	for t := 0; t < T; t++ {
		for h, p := range probs {
			lr[h] = p.Seq.Token(t, q[h*d:(h+1)*d], k[h*d:(h+1)*d], v[h*d:(h+1)*d])
		}
		if err := st.Step(z, losses, q, k, v, lr); err != nil {
			fmt.Println(err)
			return
		}
	}
	W, err := st.Weights()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(losses[0].After < losses[0].W0, len(W[0].W1))
	// Output: true 256
}
