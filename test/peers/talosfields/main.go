// talosfields: the YAML field tree that Talos's machine-config decoder accepts (github.com/siderolabs/talos/pkg/machinery
// at the version the go.mod of the build pins), read by reflection from the Go types the decoder fills: each struct
// field's yaml tag, inline structs merged, lists, maps, and types with their own unmarshalling left open ("any").
// Usage: talosfields KIND... — prints {"documents": {"v1alpha1" | KIND: shape}, "types": {name: {field: shape}}} where
// a shape is "scalar", "any", {"ref": type}, {"list": shape} or {"map": shape}. scripts/gen-talos-fields.sh turns it
// into sdk/distributions/talos/fields.json; the peer test checks the two agree.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path"
	"reflect"
	"strings"

	"github.com/siderolabs/talos/pkg/machinery/config/configloader"
)

var (
	types = map[string]map[string]any{}
	// pkgOf: the package path behind each short name, so that two packages with the same last element never share one.
	pkgOf = map[string]string{}
)

// custom: the type decodes itself, so any value below it is the type's business, not the field tree's.
func custom(t reflect.Type) bool {
	for _, m := range []string{"UnmarshalYAML", "UnmarshalText", "UnmarshalJSON"} {
		if _, ok := reflect.PointerTo(t).MethodByName(m); ok {
			return true
		}
	}
	return false
}

func typeName(t reflect.Type) string {
	short := path.Base(t.PkgPath()) + "." + t.Name()
	if p, seen := pkgOf[short]; seen && p != t.PkgPath() {
		return t.PkgPath() + "." + t.Name()
	}
	pkgOf[short] = t.PkgPath()
	return short
}

func shape(t reflect.Type) any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if custom(t) {
		return "any"
	}
	switch t.Kind() {
	case reflect.Struct:
		name := typeName(t)
		if _, seen := types[name]; !seen {
			types[name] = map[string]any{}
			types[name] = fields(t)
		}
		return map[string]any{"ref": name}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return "scalar"
		}
		return map[string]any{"list": shape(t.Elem())}
	case reflect.Map:
		return map[string]any{"map": shape(t.Elem())}
	case reflect.Interface:
		return "any"
	default:
		return "scalar"
	}
}

func fields(t reflect.Type) map[string]any {
	out := map[string]any{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("yaml")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if strings.Contains(","+opts+",", ",inline,") || (f.Anonymous && name == "") {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			switch {
			case ft.Kind() == reflect.Struct && !custom(ft):
				for k, v := range fields(ft) {
					out[k] = v
				}
			case ft.Kind() == reflect.Map:
				out["*"] = shape(ft.Elem())
			default:
				out["*"] = "any"
			}
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = shape(f.Type)
	}
	return out
}

func main() {
	docs := map[string]any{}
	load := func(label string, texts ...string) {
		cfg, err := configloader.NewFromBytes([]byte(texts[0]))
		for _, t := range texts[1:] {
			if err == nil {
				break
			}
			cfg, err = configloader.NewFromBytes([]byte(t))
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "talosfields: %s: %v\n", label, err)
			os.Exit(1)
		}
		d := cfg.Documents()
		if len(d) != 1 {
			fmt.Fprintf(os.Stderr, "talosfields: %s: %d documents\n", label, len(d))
			os.Exit(1)
		}
		docs[label] = shape(reflect.TypeOf(d[0]))
	}
	load("v1alpha1", "version: v1alpha1\nmachine:\n  type: worker\n")
	for _, kind := range os.Args[1:] {
		// Named documents need a name to decode; unnamed ones refuse it.
		load(kind, fmt.Sprintf("apiVersion: v1alpha1\nkind: %s\nname: probe\n", kind), fmt.Sprintf("apiVersion: v1alpha1\nkind: %s\n", kind))
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", " ")
	if err := enc.Encode(map[string]any{"documents": docs, "types": types}); err != nil {
		panic(err)
	}
}
