// One command through masterzen/winrm (the Go WinRM client of Packer and Terraform), as a
// one-shot process: the baseline of bench/cli.bench.ts's `wsman run` row.
//
// usage: run_gowinrm URL USER PASSWORD COMMAND
// Built by the bench with GOPATH=/usr/share/gocode GO111MODULE=off (Debian's
// golang-github-masterzen-winrm-dev). Basic over HTTP, as the CLI row uses.
package main

import (
	"fmt"
	"net/url"
	"os"
	"strconv"
	"time"

	"github.com/masterzen/winrm"
)

func main() {
	u, err := url.Parse(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(255)
	}
	port, _ := strconv.Atoi(u.Port())
	endpoint := winrm.NewEndpoint(u.Hostname(), port, u.Scheme == "https", true, nil, nil, nil, 30*time.Second)
	client, err := winrm.NewClient(endpoint, os.Args[2], os.Args[3])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(255)
	}
	code, err := client.Run(os.Args[4], os.Stdout, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(255)
	}
	os.Exit(code)
}
