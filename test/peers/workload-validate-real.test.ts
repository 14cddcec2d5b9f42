// L3 real peer: `workload validate --strict` against a real kube-apiserver v1.36.3 (the release whose
// definitions the package ships). Every document of test/fixtures/workload/corpus is sent to the API server as a
// server-side dry run with strict field validation (`?dryRun=All&fieldValidation=Strict`, what `kubectl apply
// --dry-run=server` does): the validator must accept exactly what the API server accepts, and where both refuse,
// both must name the same field. (The corpus holds schema-class errors only: wrong types, unknown fields,
// a list where a map belongs. The API server's semantic checks — names, selectors matching labels, enum
// values Kubernetes does not publish in its schema — are beyond any schema validator, kubeconform's included.)
import { after, before, describe, test } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as YAML from "yaml";
import { validateManifests } from "../../sdk/workload/validate";
import { repoRoot } from "../harness/paths";
import { skipRealKubeApiServer, startRealKubeApiServer, type RealKubeApiServer } from "./kubeApiserver";

const CORPUS = path.join(repoRoot(), "test/fixtures/workload/corpus");
const COLLECTION: Record<string, string> = {
  "apps/v1/Deployment": "/apis/apps/v1/namespaces/default/deployments",
  "batch/v1/CronJob": "/apis/batch/v1/namespaces/default/cronjobs",
  "v1/Service": "/api/v1/namespaces/default/services",
  "v1/ConfigMap": "/api/v1/namespaces/default/configmaps",
  "v1/Pod": "/api/v1/namespaces/default/pods",
};
/** The field each invalid document gets wrong, as both sides must name it. */
const WRONG: Record<string, string> = {
  "bad-replicas": "replicas",
  "bad-port": "containerPort",
  "bad-field": "prot",
  "bad-data": "data",
  "bad-containers": "containers",
};

describe(
  "workload validate agrees with a real kube-apiserver (server-side dry run, strict field validation)",
  { skip: skipRealKubeApiServer },
  () => {
    let api: RealKubeApiServer;
    before(async () => {
      api = await startRealKubeApiServer();
    });
    after(async () => api?.stop());

    for (const file of ["valid.yaml", "invalid.yaml"]) {
      test(`${file}: the same verdict on every document, the same field named`, async () => {
        const ours = validateManifests([path.join(CORPUS, file)], { strict: true });
        const docs = YAML.parseAllDocuments(fs.readFileSync(path.join(CORPUS, file), "utf8")).map((d) => d.toJS() as any);
        assert.ok(docs.length >= 4);
        for (const doc of docs) {
          const gvk = `${doc.apiVersion}/${doc.kind}`;
          const name = doc.metadata.name as string;
          const r = await api.request("POST", `${COLLECTION[gvk]}?dryRun=All&fieldValidation=Strict`, doc);
          const server = r.status === 201 ? "accepts" : r.status === 400 || r.status === 422 ? "refuses" : `answers ${r.status}: ${r.body}`;
          const mine = ours.issues.filter((i) => i.name === name);
          assert.equal(
            mine.length === 0 ? "accepts" : "refuses",
            server,
            `${gvk} ${name}: ours ${JSON.stringify(mine)}; API server ${r.body}`,
          );
          if (server === "refuses") {
            const field = WRONG[name];
            assert.ok(field, `${name} is not in the table of wrong fields`);
            assert.ok(r.body.includes(field), `the API server names ${field}: ${r.body}`);
            assert.ok(
              mine.some((i) => i.path.includes(field)),
              `we name ${field}: ${JSON.stringify(mine)}`,
            );
          }
        }
      });
    }
  },
);
