// The versions live apart from the settings that default to them: scripts/lint.sh reads this file to
// check that the workflows install the same tools.

/** Versions this program is built and tested against; each is a setting's default. */
export const pinned = {
  /** kind CLI that creates the dev cluster (workflows install the same). */
  kind: "v0.31.0",
  /** Node image kind v0.31.0 ships by default, by digest so a re-tag upstream cannot change it. */
  kindNodeImages: {
    "1.35.0": "kindest/node:v1.35.0@sha256:452d707d4862f52530247495d180205e029056831160e22870e37e3f6c1ac31f",
  } as Record<string, string>,
  kubernetes: "1.35.0",
  flux: "2.9.4",
  strimziChart: "1.2.0",
  kedaChart: "2.20.2",
  /** kube-prometheus-stack chart (Prometheus operator v0.93.1, Grafana), installed when monitoring is on. */
  prometheusStackChart: "88.5.3",
  kafka: "4.3.1",
} as const;

/** Kafka versions the Strimzi 1.2.0 operator can run (from its release notes and CRDs). */
export const supportedKafkaVersions = ["4.2.0", "4.2.1", "4.3.0", "4.3.1"] as const;
