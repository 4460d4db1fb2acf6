import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { ServiceAccount, ConfigMap, Service } from "kubernetes-models/v1";
import { Deployment } from "kubernetes-models/apps/v1";
import { Job } from "kubernetes-models/batch/v1";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1";
import { Role, RoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1";
import { KafkaConnect, KafkaConnector } from "@kubernetes-models/strimzi-kafka-operator/kafka.strimzi.io/v1beta2";
import { parseAllDocuments, parse } from "yaml";
import { describe, expect, it } from "vitest";
import { CONFIG_VARIABLES, loadConfig } from "../../src/config.js";
import { kustomize } from "../support/kustomize.js";
import { problems } from "../support/config-problems.js";

/**
 * The Kubernetes manifests as kustomize renders them, each object validated against the
 * Kubernetes schemas (kubernetes-models' validators, Kubernetes 1.27), and held to what the
 * service needs from them: every configuration variable supplied, the hardening, the probes.
 */
type Manifest = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; [field: string]: unknown };

const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  "v1/ServiceAccount": ServiceAccount,
  "v1/ConfigMap": ConfigMap,
  "v1/Service": Service,
  "apps/v1/Deployment": Deployment,
  "batch/v1/Job": Job,
  "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
  "autoscaling/v2/HorizontalPodAutoscaler": HorizontalPodAutoscaler,
  "networking.k8s.io/v1/NetworkPolicy": NetworkPolicy,
  "rbac.authorization.k8s.io/v1/Role": Role,
  "rbac.authorization.k8s.io/v1/RoleBinding": RoleBinding,
  // Strimzi's custom resources, by the schema models of its CRDs.
  "kafka.strimzi.io/v1beta2/KafkaConnect": KafkaConnect,
  "kafka.strimzi.io/v1beta2/KafkaConnector": KafkaConnector,
};

const kustomizeBin = kustomize();
function render(dir: string): Manifest[] {
  const output = execFileSync(kustomizeBin, ["build", dir], { encoding: "utf8" });
  return parseAllDocuments(output).map((document) => document.toJS() as Manifest);
}

/** Throws with the schema's complaints when the object does not fit its kind's schema. */
function validate(manifest: Manifest): void {
  const Model = MODELS[`${manifest.apiVersion}/${manifest.kind}`];
  if (!Model) throw new Error(`no schema for ${manifest.apiVersion} ${manifest.kind}`);
  new Model(manifest as never).validate();
}

const byKind = (manifests: Manifest[], kind: string) => manifests.find((m) => m.kind === kind)! as never as Record<string, any>;
/** The service's configuration (the other ConfigMap holds the alerting rules). */
const serviceConfig = (manifests: Manifest[]) =>
  manifests.find((m) => m.kind === "ConfigMap" && m.metadata.name === "order-service-config")! as never as Record<string, any>;
const overlays = { base: "deploy/kubernetes/base", production: "deploy/kubernetes/overlays/production" };
const SECRETS = ["DATABASE_URL", "JWT_SECRET", "GATEWAY_SECRET", "IDEMPOTENCY_HASH_KEY", "CAPABILITY_TOKEN_SECRET"];

for (const [name, dir] of Object.entries(overlays)) {
  describe(`kubernetes manifests: ${name}`, () => {
    const manifests = render(dir);

    it("every rendered object fits its Kubernetes schema", () => {
      expect(manifests.map((m) => m.kind).sort()).toEqual([
        "ConfigMap",
        "ConfigMap",
        "Deployment",
        "HorizontalPodAutoscaler",
        "Job",
        "NetworkPolicy",
        "PodDisruptionBudget",
        "Service",
        "ServiceAccount",
      ]);
      for (const manifest of manifests) expect(() => validate(manifest), `${manifest.kind} ${manifest.metadata.name}`).not.toThrow();
    });

    it("the Deployment and the migration Job get every configuration variable, the secrets from the Secret", () => {
      const config = serviceConfig(manifests);
      for (const workload of [byKind(manifests, "Deployment"), byKind(manifests, "Job")]) {
        const container = workload.spec.template.spec.containers[0];
        expect(container.envFrom).toEqual([{ configMapRef: { name: config.metadata.name } }]);
        const fromSecret = (container.env as { name: string; valueFrom?: { secretKeyRef?: { name: string } } }[])
          .filter((variable) => variable.valueFrom?.secretKeyRef?.name === "order-service-secrets")
          .map((variable) => variable.name);
        expect(fromSecret.sort()).toEqual([...SECRETS].sort());
        const supplied = [...Object.keys(config.data), ...fromSecret].sort();
        expect(supplied).toEqual([...CONFIG_VARIABLES].sort());
      }
    });

    const secrets = {
      DATABASE_URL: "postgres://orders@db:5432/orders",
      JWT_SECRET: "x".repeat(32),
      IDEMPOTENCY_HASH_KEY: "y".repeat(32),
      CAPABILITY_TOKEN_SECRET: "z".repeat(32),
    };

    if (name === "base") {
      it("the base ConfigMap with the Secret's keys is refused in production for exactly what an overlay must add: the shop's origins and its Payment service", () => {
        const data = serviceConfig(manifests).data as Record<string, string>;
        expect(problems({ ...data, ...secrets }).map((problem) => problem.split(":")[0])).toEqual([
          "CORS_ORIGINS",
          "ALLOW_SIMULATED_PAYMENTS",
        ]);
      });
    } else {
      it("the ConfigMap as rendered, with the Secret's keys, is a configuration the service accepts in production", () => {
        const data = serviceConfig(manifests).data as Record<string, string>;
        const config = loadConfig({ ...data, ...secrets });
        expect(config.environment).toBe("production");
        expect(config.database.migrateAtStart).toBe(false);
      });

      it("the same in gateway mode, with the gateway's secret in place of the JWT key, and refused without it", () => {
        const data = { ...(serviceConfig(manifests).data as Record<string, string>), AUTH_MODE: "gateway" };
        const { JWT_SECRET: _jwt, ...gatewaySecrets } = { ...secrets, GATEWAY_SECRET: "g".repeat(32) };
        expect(loadConfig({ ...data, ...gatewaySecrets }).auth.mode).toBe("gateway");
        const { GATEWAY_SECRET: _gateway, ...withoutSecret } = gatewaySecrets;
        expect(problems({ ...data, ...withoutSecret }).map((problem) => problem.split(":")[0])).toEqual(["GATEWAY_SECRET"]);
      });
    }

    it("the pods run as a numeric non-root user, read-only, without privileges or capabilities, under RuntimeDefault seccomp", () => {
      for (const workload of [byKind(manifests, "Deployment"), byKind(manifests, "Job")]) {
        const pod = workload.spec.template.spec;
        expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: "RuntimeDefault" } });
        expect(pod.automountServiceAccountToken).toBe(false);
        expect(pod.containers[0].securityContext).toEqual({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          privileged: false,
          capabilities: { drop: ["ALL"] },
        });
      }
    });

    it("liveness and readiness are native gRPC health probes, startup is /readyz, and the memory limit has room above the V8 cap", () => {
      const container = byKind(manifests, "Deployment").spec.template.spec.containers[0];
      expect(container.livenessProbe.grpc).toEqual({ port: 50051, service: "liveness" });
      expect(container.readinessProbe.grpc).toEqual({ port: 50051, service: "" });
      expect(container.startupProbe.httpGet).toEqual({ path: "/readyz", port: "http" });
      const oldSpace = Number(/--max-old-space-size=(\d+)/.exec(readFileSync("Containerfile", "utf8"))![1]);
      const limitMi = Number(/^(\d+)Mi$/.exec(container.resources.limits.memory)![1]);
      expect(limitMi).toBeGreaterThanOrEqual(oldSpace * 1.5);
      expect(container.resources.requests.cpu).toBeDefined();
    });

    it("each Service port names its protocol, the autoscaler scales the Deployment on CPU, the budget and policy select its pods", () => {
      const service = byKind(manifests, "Service");
      expect(service.spec.ports.map((p: { name: string; appProtocol: string }) => [p.name, p.appProtocol])).toEqual([
        ["grpc", "kubernetes.io/h2c"],
        ["http", "http"],
        ["admin", "http"],
      ]);
      const hpa = byKind(manifests, "HorizontalPodAutoscaler");
      expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: "apps/v1", kind: "Deployment", name: "order-service" });
      expect(hpa.spec.metrics[0].resource.name).toBe("cpu");
      const labels = byKind(manifests, "Deployment").spec.template.metadata.labels;
      for (const selector of [
        byKind(manifests, "PodDisruptionBudget").spec.selector.matchLabels,
        byKind(manifests, "NetworkPolicy").spec.podSelector.matchLabels,
      ]) {
        expect(labels).toMatchObject(selector);
      }
      expect(service.spec.selector).toEqual(byKind(manifests, "Deployment").spec.selector.matchLabels);
    });

    it("the alerting rules ship as a ConfigMap labelled for Prometheus, holding the rules file promtool checks", () => {
      const alerts = manifests.find((m) => m.kind === "ConfigMap" && m.metadata.name.startsWith("order-service-alerts-"))! as Record<
        string,
        any
      >;
      expect(alerts.metadata.labels["prometheus-rules"]).toBe("true");
      expect(alerts.data["order-service.rules.yaml"]).toBe(readFileSync("deploy/kubernetes/base/alerts/order-service.rules.yaml", "utf8"));
    });

    it("the network policy lets in only the API ports from clients and metrics from monitoring, and out only to its dependencies", () => {
      const policy = byKind(manifests, "NetworkPolicy");
      const ports = (rules: { ports: { port: number }[] }[]) => rules.map((rule) => rule.ports.map((p) => p.port));
      expect(ports(policy.spec.ingress)).toEqual([[50051, 8080], [9090]]);
      expect(ports(policy.spec.egress)).toEqual([[53, 53], [5432], [9092], [50051]]);
      expect(policy.spec.egress[3].to[0].podSelector.matchExpressions[0].values).toEqual([
        "product-service",
        "inventory-service",
        "payment-service",
      ]);
    });
  });
}

describe("kubernetes manifests: validation can fail", () => {
  const deployment = () => structuredClone(render(overlays.base).find((m) => m.kind === "Deployment")!) as Record<string, any>;

  it("a Deployment with replicas as text is rejected", () => {
    const broken = deployment();
    broken.spec.replicas = "three";
    expect(() => validate(broken as Manifest)).toThrow(/replicas must be integer/);
  });

  it("a probe on a port given as a name (gRPC probes take numbers) is rejected", () => {
    const broken = deployment();
    broken.spec.template.spec.containers[0].livenessProbe.grpc.port = "grpc";
    expect(() => validate(broken as Manifest)).toThrow(/grpc\/port must be integer/);
  });

  it("a Strimzi KafkaConnector with its task count as text is rejected", () => {
    const connector = structuredClone(
      render("deploy/kubernetes/overlays/production-debezium").find((m) => m.kind === "KafkaConnector")!,
    ) as Record<string, any>;
    connector.spec.tasksMax = "one";
    expect(() => validate(connector as Manifest)).toThrow(/tasksMax must be integer/);
  });

  it("a container without a name is rejected", () => {
    const broken = deployment();
    delete broken.spec.template.spec.containers[0].name;
    expect(() => validate(broken as Manifest)).toThrow(/containers\/0 must have required property name/);
  });
});

describe("container and compose", () => {
  it("docs/configuration.md lists every variable", () => {
    const table = readFileSync("docs/configuration.md", "utf8");
    expect(CONFIG_VARIABLES.filter((name) => !table.includes(`\`${name}\``))).toEqual([]);
  });

  it("compose sets only variables the service reads", () => {
    const compose = parse(readFileSync("deploy/compose.yaml", "utf8")) as {
      services: Record<string, { environment?: Record<string, string> }>;
    };
    const names = Object.keys(compose.services["order-service"]!.environment!);
    expect(names.length).toBeGreaterThan(0);
    expect(names.filter((variable) => !CONFIG_VARIABLES.includes(variable))).toEqual([]);
    expect(loadConfig(compose.services["order-service"]!.environment).environment).toBe("development");
  });

  it("the image builds the Node that package.json names", () => {
    const containerfile = readFileSync("Containerfile", "utf8");
    const pinned = JSON.parse(readFileSync("package.json", "utf8")).devDependencies.node;
    expect(containerfile).toContain(`ARG NODE_VERSION=${pinned}`);
    expect(existsSync(".containerignore") && existsSync(".dockerignore")).toBe(true);
  });
});

describe("kubernetes manifests: production-debezium", () => {
  const manifests = render("deploy/kubernetes/overlays/production-debezium");
  const find = (kind: string) => manifests.find((m) => m.kind === kind)! as never as Record<string, any>;
  const config = () => serviceConfig(manifests).data as Record<string, string>;
  const pom = readFileSync("scripts/connect/pom.xml", "utf8");
  const pomVersion = (property: string) => new RegExp(`<${property}>([^<]+)</${property}>`).exec(pom)![1];

  it("every rendered object fits its schema: production's, plus Strimzi's KafkaConnect and KafkaConnector and the secret reader's Role", () => {
    expect(manifests.map((m) => m.kind).sort()).toEqual(
      [...render(overlays.production).map((m) => m.kind), "KafkaConnect", "KafkaConnector", "Role", "RoleBinding"].sort(),
    );
    for (const manifest of manifests) expect(() => validate(manifest), `${manifest.kind} ${manifest.metadata.name}`).not.toThrow();
  });

  it("the service runs no relay, in a configuration production accepts", () => {
    const loaded = loadConfig({
      ...config(),
      DATABASE_URL: "postgres://orders@db:5432/orders",
      JWT_SECRET: "x".repeat(32),
      IDEMPOTENCY_HASH_KEY: "y".repeat(32),
      CAPABILITY_TOKEN_SECRET: "z".repeat(32),
    });
    expect(loaded.outbox.publisher).toBe("debezium");
    expect(loaded.environment).toBe("production");
  });

  it("Connect and Debezium are the versions the tests run (scripts/connect/pom.xml), and the connector belongs to that cluster", () => {
    const connect = find("KafkaConnect");
    expect(connect.spec.version).toBe(pomVersion("kafka.version"));
    expect(connect.spec.build.plugins[0].artifacts[0]).toMatchObject({
      group: "io.debezium",
      artifact: "debezium-connector-postgres",
      version: pomVersion("debezium.version"),
    });
    expect(find("KafkaConnector").metadata.labels["strimzi.io/cluster"]).toBe(connect.metadata.name);
  });

  it("the connector reads the slot and publishes to the topics and source the service is configured with", () => {
    const connector = find("KafkaConnector").spec.config as Record<string, string>;
    expect(connector["slot.name"]).toBe(config().OUTBOX_SLOT_NAME);
    expect(connector["transforms.source.value.literal"]).toBe(config().EVENT_SOURCE);
    expect(connector["predicates.isCartTopic.pattern"]).toBe(config().CART_EVENTS_TOPIC!.replace(/[.-]/g, "\\$&"));
    // Orders go wherever the outbox row says: the service writes KAFKA_TOPIC there.
    expect(connector["transforms.outbox.route.by.field"]).toBe("topic");
  });

  it("the Connect pods may read exactly the Secret the connector's credentials name, nothing else", () => {
    const connector = find("KafkaConnector").spec.config as Record<string, string>;
    const secrets = new Set(
      [connector["database.user"], connector["database.password"]].map((value) => /^\$\{secrets:[^/]+\/([^:]+):/.exec(value!)![1]),
    );
    const role = manifests.find((m) => m.kind === "Role")! as never as Record<string, any>;
    expect(role.rules).toEqual([{ apiGroups: [""], resources: ["secrets"], resourceNames: [...secrets], verbs: ["get"] }]);
    const binding = find("RoleBinding");
    expect(binding.roleRef.name).toBe(role.metadata.name);
    expect(binding.subjects).toEqual([{ kind: "ServiceAccount", name: `${find("KafkaConnect").metadata.name}-connect` }]);
  });
});
