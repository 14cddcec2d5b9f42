// L3 with real peers: the metadata-guard policy (sdk/components/values/metadataGuard.ts) in a real kube-apiserver
// v1.36.3 that has Cilium v1.20.0's own CiliumClusterwideNetworkPolicy CRD (pkg/k8s/apis/cilium.io/client/crds/v2,
// copied from its Go module by scripts/tools/build.sh cilium-crds). With strict field validation the API server
// refuses any field the CRD's schema does not have, so every field of the policy is one Cilium knows.
//
// Why `enableDefaultDeny: {egress: false}` is there, from Cilium's source: Rule.Sanitize (pkg/policy/api/
// rule_validation.go) gives a rule with egress or egressDeny peers a default-deny egress posture unless the rule sets
// it, and only when the agent runs with enable-non-default-deny-policies (pkg/defaults: true; the 1.20 chart's
// enableNonDefaultDenyPolicies: true); without the explicit false, every pod the guard selects would lose all egress.
// What only a running Cilium can confirm: the datapath dropping a pod's traffic to 169.254.169.254 and nothing else.
import { after, before, describe, test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as YAML from "yaml";
import { metadataGuardPolicy } from "../../sdk/components/values/metadataGuard";
import { builtTool, missingReason, pinnedVersion } from "./tools";
import { skipRealKubeApiServer, startRealKubeApiServer, type RealKubeApiServer } from "./kubeApiserver";

const VERSION = pinnedVersion("CILIUM_CRDS_VERSION");
const crds = builtTool("cilium-crds", VERSION);
const skipCrds = crds ? false : missingReason(`Cilium ${VERSION} CRDs`, "cilium-crds");
const POLICIES = "/apis/cilium.io/v2/ciliumclusterwidenetworkpolicies";

describe("the metadata guard against Cilium's own CRD in a real kube-apiserver (L3)", { skip: skipRealKubeApiServer || skipCrds }, () => {
  let api: RealKubeApiServer;
  before(async () => {
    api = await startRealKubeApiServer();
    const crd = YAML.parse(fs.readFileSync(path.join(crds as string, "ciliumclusterwidenetworkpolicies.yaml"), "utf8"));
    const r = await api.request("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd);
    assert.equal(r.status, 201, r.body);
    for (let i = 0; ; i++) {
      const got = await api.request(
        "GET",
        "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/ciliumclusterwidenetworkpolicies.cilium.io",
      );
      if (/"type":"Established","status":"True"/.test(got.body)) break;
      assert.ok(i < 100, "the CRD is established");
      await new Promise((res) => setTimeout(res, 100));
    }
  });
  after(async () => {
    await api?.stop();
  });

  test("the policy passes the schema with strict field validation and is stored as written", async () => {
    const policy = metadataGuardPolicy();
    const r = await api.request("POST", `${POLICIES}?fieldValidation=Strict`, policy);
    assert.equal(r.status, 201, r.body);
    const stored = JSON.parse((await api.request("GET", `${POLICIES}/${policy.metadata.name}`)).body);
    assert.deepEqual(stored.spec, policy.spec);
  });

  test("the control: a field Cilium does not know is refused under strict validation", async () => {
    const policy = metadataGuardPolicy();
    const bad = { ...policy, metadata: { name: "typo" }, spec: { ...policy.spec, enableDefaultDeny: { egres: false } } };
    const r = await api.request("POST", `${POLICIES}?fieldValidation=Strict`, bad);
    assert.equal(r.status, 400, r.body);
    assert.match(JSON.parse(r.body).message, /strict decoding error: unknown field "spec\.enableDefaultDeny\.egres"/);
  });
});
