// k8sprovider: the Pulumi Kubernetes provider plugin (pulumi-resource-kubernetes) built from its Go module, as a
// test peer for programs that run KSailCluster through the real engine. The upstream main embeds a schema file
// that its build generates (schema.json with the package version set); the module carries schema.json, which
// scripts/tools/build.sh copies beside this file, and the version is stamped here instead.
package main

import (
	_ "embed"
	"encoding/json"
	"log"

	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/provider"
	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version"
)

//go:embed schema.json
var schema []byte

//go:embed terraform-mapping.json
var terraformMapping []byte

func main() {
	var spec map[string]json.RawMessage
	if err := json.Unmarshal(schema, &spec); err != nil {
		log.Fatalf("schema.json: %v", err)
	}
	v, _ := json.Marshal(version.Version)
	spec["version"] = v
	stamped, err := json.Marshal(spec)
	if err != nil {
		log.Fatalf("schema.json: %v", err)
	}
	provider.Serve("kubernetes", version.Version, stamped, terraformMapping)
}
