//go:build !js

package site_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"

	"tttexplainer/site"
)

// The site with a bbolt store and a web directory, as `ttt serve` runs it:
// save a scenario, read it back by its id, and send a bad one.
func ExampleNew() {
	dir, _ := os.MkdirTemp("", "site-example-")
	defer os.RemoveAll(dir)
	store, err := site.OpenBolt(dir)
	if err != nil {
		panic(err)
	}
	defer store.Close()
	srv := httptest.NewServer(site.New(site.Config{Store: store, Assets: site.Dir("web")}))
	defer srv.Close()

	res, _ := http.Post(srv.URL+"/api/scenarios", "application/json",
		strings.NewReader(`{"model":"mlp","form":"dual","b":8,"lr":1,"input":"text","text":"<b>only ever text</b>"}`))
	var made struct{ ID string }
	json.NewDecoder(res.Body).Decode(&made)
	res.Body.Close()
	fmt.Println(res.Status, res.Header.Get("Location") == "/api/scenarios/"+made.ID)

	res, _ = http.Get(srv.URL + "/api/scenarios/" + made.ID)
	var s struct{ Model, Form, Text string }
	json.NewDecoder(res.Body).Decode(&s)
	res.Body.Close()
	fmt.Println(res.Status, s.Model, s.Form, s.Text)

	res, _ = http.Post(srv.URL+"/api/scenarios", "application/json", strings.NewReader(`{"b":0}`))
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	fmt.Print(res.Status, " ", string(body))
	// Output:
	// 201 Created true
	// 200 OK mlp dual <b>only ever text</b>
	// 400 Bad Request {"error":"invalid scenario: b: 0, want 1..64","field":"b"}
}
