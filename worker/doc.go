// Command worker is the site (package site) as a Cloudflare Worker: wrangler
// serves the page's files from its assets directory and sends /api/*, /s/*,
// /e/* and /oembed here; scenarios live in the KV namespace bound as
// SCENARIOS, and the page's HTML for /s/ and /e/ is read through the ASSETS
// binding.
//
// Build (make worker):
//
//	go run github.com/syumai/workers/cmd/workers-assets-gen -mode=go -o build/worker
//	GOOS=js GOARCH=wasm go build -o build/worker/app.wasm ./worker
//	go run ./worker -web web -out build/worker-assets
//
// The last line runs this package natively (prepare.go): it copies the web
// directory and writes the _headers file that gives wrangler's static files
// the same headers as `ttt serve`.
package main
