// A small manifest tree (a kustomization and one Deployment) for the workload push tests; `replicas` is the knob
// that changes the content.
import * as fs from "node:fs";
import * as path from "node:path";

/** Writes (or rewrites) the tree under `dir` and returns `dir`. */
export function writeWorkloadTree(dir: string, replicas: number): string {
  fs.mkdirSync(path.join(dir, "apps"), { recursive: true });
  fs.writeFileSync(
    path.join(dir, "kustomization.yaml"),
    "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [apps/web.yaml]\n",
  );
  fs.writeFileSync(
    path.join(dir, "apps/web.yaml"),
    `apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: ${replicas}\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: web, image: nginx}]}\n`,
  );
  return dir;
}
