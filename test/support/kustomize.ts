import { execFileSync } from "node:child_process";
import { join } from "node:path";

const VERSION = "v5.7.1";

/** kustomize from the PATH or Go's bin directory, installed with `go install` when neither has it. */
export function kustomize(): string {
  const gobin = () => join(execFileSync("go", ["env", "GOPATH"], { encoding: "utf8" }).trim(), "bin", "kustomize");
  const candidates = [process.env.KUSTOMIZE, "kustomize", gobin];
  for (const candidate of candidates) {
    try {
      const path = typeof candidate === "function" ? candidate() : candidate;
      if (!path) continue;
      execFileSync(path, ["version"], { stdio: "ignore" });
      return path;
    } catch {
      // not there; try the next
    }
  }
  try {
    execFileSync("go", ["install", `sigs.k8s.io/kustomize/kustomize/v5@${VERSION}`], { stdio: "inherit" });
    return gobin();
  } catch (error) {
    throw new Error(
      `kustomize is needed to render deploy/kubernetes and could not be installed with Go (${String(error)}); set KUSTOMIZE to its path`,
    );
  }
}
