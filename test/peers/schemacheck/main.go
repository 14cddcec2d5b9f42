// schemacheck: loads a Pulumi package schema with Pulumi's own schema package (pkg/codegen/schema, the code
// `pulumi package gen-sdk` and `pulumi package add` use): the metaschema check and the binder, which resolves
// every type reference and reports each problem with its path. With -python DIR it also generates the
// Python SDK with pkg/codegen/python into DIR; with -go DIR, the Go SDK with pkg/codegen/go.
//
//	schemacheck [-pkg name=schema.json ...] [-python DIR | -go DIR] schema.json
//
// Referenced packages (e.g. kubernetes) are served from the -pkg files; a reference to a package without one
// is reported as an error (nothing is downloaded). Prints one JSON object: {"errors": [...], "warnings":
// [...], "generated": [...]}; exit 0 when there are no errors, 1 otherwise, 2 for bad usage.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/blang/semver"
	gogen "github.com/pulumi/pulumi/pkg/v3/codegen/go"
	"github.com/pulumi/pulumi/pkg/v3/codegen/python"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)

type fileLoader struct {
	files map[string]string
	refs  map[string]schema.PackageReference
}

func (l *fileLoader) LoadPackage(pkg string, v *semver.Version) (*schema.Package, error) {
	ref, err := l.LoadPackageReference(pkg, v)
	if err != nil {
		return nil, err
	}
	return ref.Definition()
}

func (l *fileLoader) LoadPackageV2(_ context.Context, d *schema.PackageDescriptor) (*schema.Package, error) {
	return l.LoadPackage(d.Name, d.Version)
}

func (l *fileLoader) LoadPackageReference(pkg string, _ *semver.Version) (schema.PackageReference, error) {
	if ref, ok := l.refs[pkg]; ok {
		return ref, nil
	}
	path, ok := l.files[pkg]
	if !ok {
		return nil, fmt.Errorf("no schema of package %q here (pass -pkg %s=schema.json)", pkg, pkg)
	}
	spec, err := readSpec(path)
	if err != nil {
		return nil, err
	}
	// A dependency is bound leniently: only our package is under test.
	p, _, err := schema.BindSpec(spec, l, schema.ValidationOptions{AllowDanglingReferences: true})
	if err != nil {
		return nil, err
	}
	l.refs[pkg] = p.Reference()
	return l.refs[pkg], nil
}

func (l *fileLoader) LoadPackageReferenceV2(_ context.Context, d *schema.PackageDescriptor) (schema.PackageReference, error) {
	return l.LoadPackageReference(d.Name, d.Version)
}

func readSpec(path string) (schema.PackageSpec, error) {
	var spec schema.PackageSpec
	data, err := os.ReadFile(path)
	if err != nil {
		return spec, err
	}
	return spec, json.Unmarshal(data, &spec)
}

type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

func main() {
	var pkgs multi
	flag.Var(&pkgs, "pkg", "name=schema.json of a referenced package (repeatable)")
	pythonDir := flag.String("python", "", "generate the Python SDK into this directory")
	goDir := flag.String("go", "", "generate the Go SDK into this directory")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: schemacheck [-pkg name=schema.json ...] [-python DIR] schema.json")
		os.Exit(2)
	}
	loader := &fileLoader{files: map[string]string{}, refs: map[string]schema.PackageReference{}}
	for _, p := range pkgs {
		name, path, ok := strings.Cut(p, "=")
		if !ok {
			fmt.Fprintf(os.Stderr, "-pkg %q: want name=schema.json\n", p)
			os.Exit(2)
		}
		loader.files[name] = path
	}
	out := struct {
		Errors    []string `json:"errors"`
		Warnings  []string `json:"warnings"`
		Generated []string `json:"generated"`
	}{Errors: []string{}, Warnings: []string{}, Generated: []string{}}
	finish := func() {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(out)
		if len(out.Errors) > 0 {
			os.Exit(1)
		}
		os.Exit(0)
	}

	spec, err := readSpec(flag.Arg(0))
	if err != nil {
		out.Errors = append(out.Errors, fmt.Sprintf("reading %s: %v", flag.Arg(0), err))
		finish()
	}
	pkg, diags, err := schema.BindSpec(spec, loader, schema.ValidationOptions{})
	for _, d := range diags {
		msg := d.Summary
		if d.Detail != "" {
			msg += ": " + d.Detail
		}
		if d.Subject != nil && d.Subject.Filename != "" {
			msg = d.Subject.Filename + ": " + msg
		}
		if d.Severity == 1 { // hcl.DiagError
			out.Errors = append(out.Errors, msg)
		} else {
			out.Warnings = append(out.Warnings, msg)
		}
	}
	if err != nil {
		out.Errors = append(out.Errors, err.Error())
	}
	if pkg == nil || len(out.Errors) > 0 || (*pythonDir == "" && *goDir == "") {
		finish()
	}
	var files map[string][]byte
	outDir := *pythonDir
	if *goDir != "" {
		outDir = *goDir
		files, err = gogen.GeneratePackage("schemacheck", pkg, nil)
		if err != nil {
			out.Errors = append(out.Errors, "go codegen: "+err.Error())
			finish()
		}
	} else {
		files, err = python.GeneratePackage("schemacheck", pkg, nil, loader)
		if err != nil {
			out.Errors = append(out.Errors, "python codegen: "+err.Error())
			finish()
		}
	}
	names := make([]string, 0, len(files))
	for name, data := range files {
		p := filepath.Join(outDir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err == nil {
			err = os.WriteFile(p, data, 0o644)
		}
		if err != nil {
			out.Errors = append(out.Errors, err.Error())
		}
		names = append(names, name)
	}
	sort.Strings(names)
	out.Generated = names
	finish()
}
