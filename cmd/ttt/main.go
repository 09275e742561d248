// Command ttt runs the TTT reference and its backends from the terminal.
//
//	ttt replay [-backend cpu|gpu] [-form naive|primal|dual|stream] FILE.json
//	ttt check  [-gpu]
//	ttt bench  [-backend cpu|gpu] [-form F|all] [-model linear|mlp] [-T N] [-d N] [-heads N] [-b N] [-runs N] [-json]
//	ttt stream [-T N] [-d N] [-b N] [-model linear|mlp] [-opt gd|momentum|adam] [-beta X] [-wd X]
//	ttt experiment [-backend cpu|gpu] [-params JSON] [-json|-csv] equivalence|lanes|race|sweep|cost
//	ttt train  [-mixer ttt-linear|ttt-mlp|attention|linear-attention|rope-linear-attention] [-steps N] [-out FILE] [-checkpoint FILE [-resume]] [-eval FILE]
package main

import (
	"fmt"
	"io"
	"os"
)

const usage = `usage: ttt <command> [flags]

commands:
  replay   run one case file (the reference-case format) and print its outputs as JSON
  check    the ladder: every form and backend against the float64 reference cases
  bench    tokens per second of each form on seeded random inputs
  stream   a short streamed run, token by token, in the terminal
  train    train a character-level TTT language model on Moby-Dick (or score saved weights)
  serve    the site: the page, the scenario API and oEmbed, on 127.0.0.1:8080
  experiment  one of the page's experiments (equivalence, lanes, race, sweep, cost), natively

Run 'ttt <command> -h' for its flags.
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	cmds := map[string]func(args []string, stdout io.Writer) error{
		"replay":     replay,
		"check":      check,
		"bench":      bench,
		"stream":     stream,
		"serve":      serve,
		"experiment": runExperiment,
		"train":      train,
	}
	name := os.Args[1]
	run, ok := cmds[name]
	if !ok {
		if name == "-h" || name == "-help" || name == "--help" || name == "help" {
			fmt.Print(usage)
			return
		}
		fmt.Fprintf(os.Stderr, "ttt: unknown command %q\n\n%s", name, usage)
		os.Exit(2)
	}
	if err := run(os.Args[2:], os.Stdout); err != nil {
		if err == errUsage {
			os.Exit(2)
		}
		fmt.Fprintf(os.Stderr, "ttt %s: %v\n", name, err)
		os.Exit(1)
	}
}
