import * as fs from "node:fs";
import { Option, type Command } from "commander";
import type { SetExitCode } from "./exitCode";

/**
 * `ksail-pulumi gate PREVIEW_JSON [--allow recreate,rolling,reboot] [--output json|text]`: reads
 * `pulumi preview --json` (a file, or `-` for stdin), extracts the impact of every KSail cluster and applies
 * the policy. In-place changes are always allowed. Exit 0 pass, 1 unreadable input, 2 a class not allowed.
 */
export function registerGate(program: Command, setExitCode: SetExitCode): void {
  program
    .command("gate")
    .description(
      "Read `pulumi preview --json` output and report the update impact of every KSail cluster in it (KSail's JSON shape). " +
        "Exit 0 when only allowed classes appear, 2 when a class not allowed appears, 1 for unreadable input. In-place is always allowed.",
    )
    .argument("<preview>", "file holding `pulumi preview --json` output, or - for stdin")
    .option("-a, --allow <classes>", "comma-separated classes to allow besides in-place: reboot, rolling, recreate", "")
    .addOption(new Option("-o, --output <format>", "output format").choices(["json", "text"]).default("json"))
    .action(async (file: string, opts: { allow: string; output: "json" | "text" }) => {
      // Loaded here, not at the top: the CLI loads only what the command it runs needs.
      const { KsailError } = await import("../../errors");
      const { parseAllow, previewImpact, readPreview, violations } = await import("../preview");
      const { gateJson, gateText } = await import("../gateReport");
      const allowed = parseAllow(opts.allow);
      let text: string;
      try {
        text = fs.readFileSync(file === "-" ? 0 : file, "utf8");
      } catch (e) {
        throw new KsailError([
          {
            path: file,
            message: `cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)}); pass the file \`pulumi preview --json > preview.json\` wrote`,
          },
        ]);
      }
      const impact = previewImpact(readPreview(text, file));
      const v = violations(impact, allowed);
      process.stdout.write(opts.output === "json" ? gateJson(impact, allowed, v) : gateText(impact, allowed, v));
      if (opts.output === "json" && v.length > 0) {
        process.stderr.write(`gate: ${v.length} change(s) of a class not allowed: ${[...new Set(v.map((x) => x.category))].join(", ")}\n`);
      }
      setExitCode(v.length > 0 ? 2 : 0);
    });
}
