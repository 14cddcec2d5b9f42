// Command k8s-schemas writes the OpenAPI definitions of every built-in Kubernetes kind (the same Go
// definitions a kube-apiserver of this version serves at /openapi/v2), plus CustomResourceDefinition and
// APIService, as one compact JSON document for `ksail-pulumi workload validate`:
//
//	{"kubernetesVersion": "...", "kinds": {"apps/v1/Deployment": "io.k8s.api.apps.v1.Deployment", ...},
//	 "definitions": {"io.k8s.api.apps.v1.Deployment": {...}, ...}}
//
// Descriptions are dropped (size); everything that decides validity is kept. Run from this directory:
//
//	go run . > ../../sdk/workload/schemas/kubernetes.json
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strings"

	apiextensionsscheme "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset/scheme"
	apiextensionsopenapi "k8s.io/apiextensions-apiserver/pkg/generated/openapi"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	aggregatorscheme "k8s.io/kube-aggregator/pkg/client/clientset_generated/clientset/scheme"
	aggregatoropenapi "k8s.io/kube-aggregator/pkg/generated/openapi"
	"k8s.io/kube-openapi/pkg/common"
	"k8s.io/kube-openapi/pkg/validation/spec"
	kubeopenapi "k8s.io/kubernetes/pkg/generated/openapi"
)

// friendly turns a Go definition path (k8s.io/api/apps/v1.Deployment) into the name the API server
// publishes (io.k8s.api.apps.v1.Deployment); names already in that form are kept.
func friendly(path string) string {
	if !strings.Contains(path, "/") {
		return path // newer generators already key definitions by the published name
	}
	dot := strings.LastIndex(path, ".")
	pkg, name := path[:dot], path[dot+1:]
	parts := strings.Split(pkg, "/")
	host := strings.Split(parts[0], ".")
	for i, j := 0, len(host)-1; i < j; i, j = i+1, j-1 {
		host[i], host[j] = host[j], host[i]
	}
	return strings.Join(append(append(host, parts[1:]...), name), ".")
}

func strip(s *spec.Schema) {
	if s == nil {
		return
	}
	s.Description = ""
	for k, p := range s.Properties {
		strip(&p)
		s.Properties[k] = p
	}
	if s.Items != nil {
		strip(s.Items.Schema)
		for i := range s.Items.Schemas {
			strip(&s.Items.Schemas[i])
		}
	}
	if s.AdditionalProperties != nil {
		strip(s.AdditionalProperties.Schema)
	}
	for i := range s.AllOf {
		strip(&s.AllOf[i])
	}
	for i := range s.OneOf {
		strip(&s.OneOf[i])
	}
	for i := range s.AnyOf {
		strip(&s.AnyOf[i])
	}
	// Extensions that do not decide validity go; list/map semantics stay (they are documented facts).
	for k := range s.Extensions {
		if k != "x-kubernetes-int-or-string" && k != "x-kubernetes-preserve-unknown-fields" && k != "x-kubernetes-embedded-resource" {
			delete(s.Extensions, k)
		}
	}
}

func main() {
	ref := func(path string) spec.Ref { return spec.MustCreateRef("#/definitions/" + friendly(path)) }
	defs := map[string]common.OpenAPIDefinition{}
	for _, get := range []func(common.ReferenceCallback) map[string]common.OpenAPIDefinition{
		kubeopenapi.GetOpenAPIDefinitions, apiextensionsopenapi.GetOpenAPIDefinitions, aggregatoropenapi.GetOpenAPIDefinitions,
	} {
		for k, v := range get(ref) {
			defs[k] = v
		}
	}
	out := map[string]any{}
	definitions := map[string]spec.Schema{}
	for path, d := range defs {
		s := d.Schema
		strip(&s)
		definitions[friendly(path)] = s
	}
	version := "unknown"
	if len(os.Args) > 1 {
		version = os.Args[1]
	}
	var servedMajor, servedMinor int
	fmt.Sscanf(version, "v%d.%d", &servedMajor, &servedMinor)
	kinds := map[string]string{}
	for _, sch := range []*runtime.Scheme{clientgoscheme.Scheme, apiextensionsscheme.Scheme, aggregatorscheme.Scheme} {
		for gvk, t := range sch.AllKnownTypes() {
			if gvk.Version == runtime.APIVersionInternal || strings.HasSuffix(gvk.Kind, "Options") || gvk.Kind == "WatchEvent" {
				continue
			}
			if t.Kind() == reflect.Ptr {
				t = t.Elem()
			}
			// Versions removed from the API server (APILifecycleRemoved, generated from the
			// +k8s:prerelease-lifecycle-gen:removed tags) are not served: no schema, as in kubeconform.
			if removed, ok := reflect.New(t).Interface().(interface{ APILifecycleRemoved() (int, int) }); ok {
				if major, minor := removed.APILifecycleRemoved(); major < servedMajor || (major == servedMajor && minor <= servedMinor) {
					continue
				}
			}
			name := friendly(t.PkgPath() + "." + t.Name())
			if _, ok := definitions[name]; !ok {
				continue
			}
			apiVersion := gvk.Version
			if gvk.Group != "" {
				apiVersion = gvk.Group + "/" + gvk.Version
			}
			kinds[apiVersion+"/"+gvk.Kind] = name
		}
	}
	keys := make([]string, 0, len(kinds))
	for k := range kinds {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out["kubernetesVersion"] = version
	out["kinds"] = kinds
	out["definitions"] = definitions
	b, err := json.Marshal(out)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Stdout.Write(b)
	fmt.Fprintf(os.Stderr, "%d kinds, %d definitions\n", len(keys), len(definitions))
}
