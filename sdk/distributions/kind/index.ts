// Kind node-image renderers (pure). Re-exports only.
export * from "./kubeadm";
export * from "./containerd";
export * from "./bootstrap";
export * from "./loadbalancer";
export * from "./files";
