// talosvalidate: Talos's own machine-config loader and validator (github.com/siderolabs/talos/pkg/machinery, the
// version the go.mod of the build pins) as a test peer. Usage: talosvalidate <container|cloud|metal> <file>...
// Prints one JSON object per file: the loader's or the validator's error, and the validator's warnings.
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/siderolabs/talos/pkg/machinery/config/configloader"
)

// mode is the runtime mode the validator checks against (what the node's platform would be).
type mode string

func (m mode) String() string        { return string(m) }
func (m mode) RequiresInstall() bool { return m == "metal" }
func (m mode) InContainer() bool     { return m == "container" }

type result struct {
	File     string   `json:"file"`
	Error    string   `json:"error,omitempty"`
	Warnings []string `json:"warnings"`
}

func main() {
	if len(os.Args) < 2 || (os.Args[1] != "container" && os.Args[1] != "cloud" && os.Args[1] != "metal") {
		fmt.Fprintln(os.Stderr, "usage: talosvalidate <container|cloud|metal> <file>...")
		os.Exit(2)
	}

	m := mode(os.Args[1])
	out := []result{}

	for _, f := range os.Args[2:] {
		r := result{File: f, Warnings: []string{}}

		b, err := os.ReadFile(f)
		if err != nil {
			r.Error = "read: " + err.Error()
		} else if cfg, err := configloader.NewFromBytes(b); err != nil {
			r.Error = "load: " + err.Error()
		} else if w, err := cfg.Validate(m); err != nil {
			r.Error = "validate: " + err.Error()
			r.Warnings = append(r.Warnings, w...)
		} else {
			r.Warnings = append(r.Warnings, w...)
		}

		out = append(out, r)
	}

	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")

	if err := enc.Encode(out); err != nil {
		panic(err)
	}
}
