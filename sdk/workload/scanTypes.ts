/** The shapes of `workload scan`: a resource read from the manifests, and a control that judges resources. */
export type Severity = "Low" | "Medium" | "High" | "Critical";

export interface ScanResource {
  readonly file: string;
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly namespace: string;
  readonly object: Record<string, any>;
}

export interface Control {
  readonly id: string;
  readonly name: string;
  readonly severity: Severity;
  /** What a failure means and how to fix it. */
  readonly remediation: string;
  /** The resources the control judges. */
  applies(r: ScanResource): boolean;
  /** The reasons it fails (empty: passes). `all` is every resource of the scan (for cross-resource controls). */
  check(r: ScanResource, all: readonly ScanResource[]): string[];
}
