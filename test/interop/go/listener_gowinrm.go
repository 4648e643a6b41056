// Drive masterzen/winrm (the Go WinRM client of Packer and Terraform) against our listener and
// print one JSON line with each scenario's result.
//
// usage: listener_gowinrm HOST PORT USER PASSWORD [http|https] [basic|ntlm]
// Built by the interop test with GOPATH=/usr/share/gocode GO111MODULE=off (Debian's
// golang-github-masterzen-winrm-dev).
package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/masterzen/winrm"
)

type result struct {
	Stdout string `json:"stdout"`
	Stderr string `json:"stderr"`
	Code   int    `json:"code"`
	Err    string `json:"err,omitempty"`
}

func main() {
	host, user, password := os.Args[1], os.Args[3], os.Args[4]
	port, _ := strconv.Atoi(os.Args[2])
	https := len(os.Args) > 5 && os.Args[5] == "https"
	endpoint := winrm.NewEndpoint(host, port, https, true, nil, nil, nil, 30*time.Second)
	params := *winrm.DefaultParameters
	if len(os.Args) > 6 && os.Args[6] == "ntlm" {
		params.TransportDecorator = func() winrm.Transporter { return &winrm.ClientNTLM{} }
	}
	client, err := winrm.NewClientWithParameters(endpoint, user, password, &params)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	out := map[string]result{}
	run := func(name, cmd, stdin string) {
		var so, se bytes.Buffer
		var code int
		var err error
		if stdin == "" {
			code, err = client.Run(cmd, &so, &se)
		} else {
			var o, e string
			o, e, code, err = client.RunWithString(cmd, stdin)
			so.WriteString(o)
			se.WriteString(e)
		}
		r := result{Stdout: base64.StdEncoding.EncodeToString(so.Bytes()), Stderr: base64.StdEncoding.EncodeToString(se.Bytes()), Code: code}
		if err != nil {
			r.Err = err.Error()
		}
		out[name] = r
	}
	run("hello", "echo hello world", "")
	run("stderr_exit", "echo out; echo err >&2; exit 7", "")
	run("unicode", "printf 'h\u00e9llo \u2713'", "")
	run("slow", "for i in 1 2 3; do echo tick $i; sleep 0.3; done", "")
	run("big", "head -c 1500000 /dev/zero | tr '\\0' 'x'", "")
	// RunWithString closes stdin only after the command ends, so the command must not wait for EOF.
	run("stdin", "head -n 1", "piped input\n")
	b, _ := json.Marshal(out)
	fmt.Println(string(b))
}
