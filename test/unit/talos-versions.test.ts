import { test, describe } from "node:test";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  parseTalosVersion,
  resolveKubernetesVersion,
  contractFor,
  talosImage,
  upgradeRefusal,
  talosInstallerImage,
  DEFAULT_TALOS_VERSION,
  TALOS_MINORS,
  SUPPORTED_TALOS_MINORS,
} from "../../sdk/distributions/talos";
import { isKsailError, KsailError } from "../../sdk/errors";
import { TALOS_SCHEMA_DIR } from "../fixtures/talos/schema";

describe("Talos versions", () => {
  const ok: [string | undefined, string, string][] = [
    [undefined, "1.14.1", "1.13"],
    ["", "1.14.1", "1.13"],
    ["1.14", "1.14.1", "1.13"],
    ["1.13.9", "1.13.9", "1.13"],
    ["v1.12.4", "1.12.4", "1.12"],
    ["1.11", "1.11.6", "1.11"],
    ["v1.12", "1.12.11", "1.12"],
    ["1.13.0-rc.1", "1.13.0-rc.1", "1.13"],
    [" 1.11.2 ", "1.11.2", "1.11"],
  ];
  for (const [input, version, contract] of ok) {
    test(`accepts ${JSON.stringify(input)} → ${version}`, () => {
      const v = parseTalosVersion(input);
      assert.equal(v.version, version);
      assert.equal(v.contract, contract);
      assert.equal(v.tag, `v${version}`);
    });
  }

  const bad: [string, RegExp][] = [
    [
      "1.15.0",
      /Talos "1\.15\.0" is not supported; supported versions: 1\.11\.x, 1\.12\.x, 1\.13\.x, 1\.14\.x \(default 1\.14\.1\)\. Newer Talos minors are not supported yet/,
    ],
    ["1.10.7", /Talos "1\.10\.7" is not supported/],
    ["2.0.0", /not supported/],
    ["latest", /"latest" is not a Talos version; expected MAJOR\.MINOR\.PATCH/],
    ["1", /is not a Talos version/],
    ["v1.13.9.1", /is not a Talos version/],
  ];
  for (const [input, re] of bad) {
    test(`rejects ${input} naming the field, the value and the supported list`, () => {
      assert.throws(
        () => parseTalosVersion(input),
        (e: unknown) =>
          isKsailError(e) && (e as KsailError).issues[0].path === "spec.cluster.talos.version" && re.test((e as Error).message),
      );
    });
  }

  test("default is the newest stable release we could verify (1.14.1: the pkg/machinery module the Go proxy serves), the newest minor", () => {
    assert.equal(DEFAULT_TALOS_VERSION, "1.14.1");
    assert.equal(DEFAULT_TALOS_VERSION, TALOS_MINORS["1.14"].latestPatch);
    assert.equal(SUPPORTED_TALOS_MINORS[SUPPORTED_TALOS_MINORS.length - 1], "1.14");
    // A 1.14 node runs a config in the 1.13 contract (the newest one rendered); its own minor decides the behaviour.
    assert.equal(parseTalosVersion("1.14.1").contract, "1.13");
    assert.equal(parseTalosVersion("1.14.1").minorKey, "1.14");
  });

  test("pinned patches are the tags whose schemas ship in test/fixtures/talos/schemas", () => {
    assert.deepEqual(fs.readdirSync(TALOS_SCHEMA_DIR).sort(), SUPPORTED_TALOS_MINORS.map((m) => `config.schema.v${m}.json`).sort());
    const readme = fs.readFileSync(path.join(TALOS_SCHEMA_DIR, "..", "..", "README.md"), "utf8");
    // 1.14's schema is the newest tag in the snapshot the schemas come from (rc.1); 1.14.1 is the machinery release.
    const schemaTag = (m: string) => (m === "1.14" ? "v1.14.0-rc.1" : `v${TALOS_MINORS[m as keyof typeof TALOS_MINORS].latestPatch}`);
    for (const minor of SUPPORTED_TALOS_MINORS) {
      assert.ok(readme.includes(`config.schema.v${minor}.json | ${schemaTag(minor)} |`), `README lists ${schemaTag(minor)} for ${minor}`);
    }
  });

  test("images: the Image Factory's platform installer (siderolabs/talos pkg/images NewInstallerImage), hcloud kept for snapshots", () => {
    const v = parseTalosVersion("1.12.4");
    assert.equal(talosImage(v), "ghcr.io/siderolabs/talos:v1.12.4");
    const vanilla = "376567988ad370138ad8b2698212367b8edcb69b5fd68c80be1f2ec7d603b4ba";
    assert.equal(talosInstallerImage(v), `factory.talos.dev/metal-installer/${vanilla}:v1.12.4`);
    const schematic = "a".repeat(64);
    assert.equal(talosInstallerImage(v, schematic), `factory.talos.dev/metal-installer/${schematic}:v1.12.4`);
    assert.equal(
      talosInstallerImage(parseTalosVersion("1.14.1"), schematic, "hcloud"),
      `factory.talos.dev/hcloud-installer/${schematic}:v1.14.1`,
    );
    assert.throws(
      () => talosInstallerImage(v, "not-a-schematic"),
      /spec\.cluster\.talos\.schematicId: "not-a-schematic" is not an Image Factory schematic ID/,
    );
  });

  test("Kubernetes version: default per minor; the minor's range (pkg/machinery/compatibility/talos1NN) enforced both ways", () => {
    assert.equal(resolveKubernetesVersion(parseTalosVersion("1.11")), "1.34.0");
    assert.equal(resolveKubernetesVersion(parseTalosVersion("1.12")), "1.35.0");
    assert.equal(resolveKubernetesVersion(parseTalosVersion("1.13")), "1.36.0");
    assert.equal(resolveKubernetesVersion(parseTalosVersion("1.14")), "1.37.0");
    assert.equal(resolveKubernetesVersion(parseTalosVersion("1.13"), "v1.33.4"), "1.33.4");
    assert.throws(
      () => resolveKubernetesVersion(parseTalosVersion("1.12"), "1.36.0"),
      /spec\.cluster\.kubernetesVersion: Kubernetes 1\.36\.0 is newer than Talos 1\.12\.11 supports \(1\.30\.x to 1\.35\.x\)/,
    );
    // Talos 1.14 runs Kubernetes 1.32 to 1.37.
    assert.equal(resolveKubernetesVersion(parseTalosVersion("1.14"), "1.32.0"), "1.32.0");
    assert.throws(
      () => resolveKubernetesVersion(parseTalosVersion("1.14"), "1.31.9"),
      /Kubernetes 1\.31\.9 is older than Talos 1\.14\.1 supports \(1\.32\.x to 1\.37\.x\)/,
    );
    assert.throws(() => resolveKubernetesVersion(parseTalosVersion("1.14"), "1.38.0"), /is newer than Talos 1\.14\.1 supports/);
    assert.throws(() => resolveKubernetesVersion(parseTalosVersion("1.12"), "1.35"), /is not a Kubernetes version/);
  });

  test("upgrade paths (pkg/machinery/compatibility MinimumHostUpgradeVersion): 1.14 needs 1.12.0 or newer", () => {
    assert.equal(upgradeRefusal("v1.12.0", parseTalosVersion("1.14.1")), undefined);
    assert.equal(upgradeRefusal("1.13.9", parseTalosVersion("1.14.1")), undefined);
    assert.match(
      upgradeRefusal("v1.11.6", parseTalosVersion("1.14.1"))!,
      /can only be installed over 1\.12\.0 or newer, and the node runs 1\.11\.6/,
    );
    assert.equal(upgradeRefusal("v1.10.3", parseTalosVersion("1.12.11")), undefined);
    assert.match(upgradeRefusal("v1.14.1", parseTalosVersion("1.13.9"))!, /downgrading Talos across minors/);
  });

  test("contract switches: 1.11 legacy, 1.12 and 1.13 multi-document", () => {
    assert.deepEqual(contractFor("1.11"), {
      hostnameDocument: false,
      registryDocuments: false,
      networkDocuments: false,
      hideRbacAndKeyUsage: false,
      hideDisablePSP: false,
      grubUseUKICmdline: false,
      containerIgnoresEth0: true,
    });
    for (const m of ["1.12", "1.13", "1.14"] as const) {
      assert.ok(Object.entries(contractFor(m)).every(([k, v]) => (k === "containerIgnoresEth0" ? v === false : v === true)));
    }
  });
});
