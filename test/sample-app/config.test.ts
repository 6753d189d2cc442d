// Start-up validation of the environment contract, checked on the real process (exit code + stderr).
import { strict as assert } from "node:assert";
import { AppProcess, ensureBuilt } from "./app-process";
import { loadConfig } from "../../sample-app/src/config";

describe("sample app configuration", function () {
  this.timeout(60_000);
  before(function () {
    this.timeout(300_000);
    ensureBuilt();
  });

  const cases: ReadonlyArray<{ readonly why: string; readonly env: Record<string, string>; readonly names: RegExp }> = [
    { why: "missing KAFKA_BROKERS", env: {}, names: /KAFKA_BROKERS is required/ },
    {
      why: "a bad PRODUCE_RATE",
      env: { KAFKA_BROKERS: "127.0.0.1:9", PRODUCE_RATE: "fast" },
      names: /PRODUCE_RATE must be .*"max".*got "fast"/,
    },
    {
      why: "an unknown APP_ROLE",
      env: { KAFKA_BROKERS: "127.0.0.1:9", APP_ROLE: "worker" },
      names: /APP_ROLE must be one of producer \| consumer \| both; got "worker"/,
    },
    {
      why: "only one SASL variable",
      env: { KAFKA_BROKERS: "127.0.0.1:9", KAFKA_SASL_USERNAME: "u" },
      names: /KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD must be set together/,
    },
  ];
  for (const c of cases) {
    it(`exits non-zero naming the variable for ${c.why}`, async () => {
      const p = new AppProcess(c.env);
      const code = await p.exited;
      const stderr = p.stderr.join("");
      assert.notEqual(code, 0);
      assert.match(stderr, c.names);
      assert.equal(p.lines.length, 0, "nothing started before validation failed");
    });
  }

  it("applies the documented defaults", () => {
    const c = loadConfig({ KAFKA_BROKERS: "a:9092, b:9092" });
    assert.deepEqual(
      {
        brokers: c.brokers,
        topic: c.topic,
        groupId: c.groupId,
        role: c.role,
        rate: c.produceRate,
        port: c.httpPort,
        sasl: c.sasl,
        tls: c.tlsCaFile,
      },
      {
        brokers: ["a:9092", "b:9092"],
        topic: "demo-events",
        groupId: "sample-app",
        role: "both",
        rate: 100,
        port: 8080,
        sasl: undefined,
        tls: undefined,
      },
    );
    assert.equal(loadConfig({ KAFKA_BROKERS: "a:1", PRODUCE_RATE: "max" }).produceRate, "max");
    assert.equal(c.lingerMs, 5, "PRODUCE_LINGER_MS default");
    assert.throws(
      () => loadConfig({ KAFKA_BROKERS: "a:1", PRODUCE_LINGER_MS: "-1" }),
      /PRODUCE_LINGER_MS must be an integer from 0 to 1000; got "-1"/,
    );
    assert.equal(loadConfig({ KAFKA_BROKERS: "a:1", PRODUCE_RATE: "0" }).produceRate, 0);
  });

  it("validates the memory bounds, naming the variable", () => {
    const c = loadConfig({ KAFKA_BROKERS: "a:1" });
    assert.deepEqual([c.resendMaxBytes, c.maxStreams, c.streamIdleMs], [32 << 20, 100_000, 3600_000]);
    assert.throws(
      () => loadConfig({ KAFKA_BROKERS: "a:1", PRODUCE_RESEND_MAX_BYTES: "64MB" }),
      /PRODUCE_RESEND_MAX_BYTES must be an integer from 1048576 to 4294967296; got "64MB"/,
    );
    assert.throws(
      () => loadConfig({ KAFKA_BROKERS: "a:1", PRODUCE_RESEND_MAX_BYTES: "1000" }),
      /PRODUCE_RESEND_MAX_BYTES must be an integer/,
    );
    assert.throws(() => loadConfig({ KAFKA_BROKERS: "a:1", STREAM_IDLE_MS: "0" }), /STREAM_IDLE_MS must be an integer from 1000/);
    assert.throws(
      () => loadConfig({ KAFKA_BROKERS: "a:1", MAX_STREAMS: "500", PRODUCE_KEYS: "1000" }),
      /MAX_STREAMS \(500\) must be at least PRODUCE_KEYS \(1000\)/,
    );
  });

  it("validates the HTTP server's limits, naming the variable", () => {
    const c = loadConfig({ KAFKA_BROKERS: "a:1" });
    assert.deepEqual([c.httpHeadersTimeoutMs, c.httpRequestTimeoutMs, c.httpMaxBodies], [10_000, 30_000, 4]);
    assert.throws(
      () => loadConfig({ KAFKA_BROKERS: "a:1", HTTP_MAX_BODIES: "0" }),
      /HTTP_MAX_BODIES must be an integer from 1 to 1000; got "0"/,
    );
    assert.throws(
      () => loadConfig({ KAFKA_BROKERS: "a:1", HTTP_REQUEST_TIMEOUT_MS: "30s" }),
      /HTTP_REQUEST_TIMEOUT_MS must be an integer from 1000 to 300000; got "30s"/,
    );
    assert.throws(
      () => loadConfig({ KAFKA_BROKERS: "a:1", HTTP_HEADERS_TIMEOUT_MS: "20000", HTTP_REQUEST_TIMEOUT_MS: "5000" }),
      /HTTP_HEADERS_TIMEOUT_MS \(20000\) must not exceed HTTP_REQUEST_TIMEOUT_MS \(5000\)/,
    );
  });

  it("gives the metrics a port of their own, and takes a POST token only long enough, never echoing it", () => {
    const c = loadConfig({ KAFKA_BROKERS: "a:1" });
    assert.deepEqual([c.metricsPort, c.postToken], [9464, undefined]);
    assert.throws(
      () => loadConfig({ KAFKA_BROKERS: "a:1", HTTP_PORT: "9000", METRICS_PORT: "9000" }),
      /METRICS_PORT \(9000\) must differ from HTTP_PORT/,
    );
    assert.doesNotThrow(() => loadConfig({ KAFKA_BROKERS: "a:1", HTTP_PORT: "0", METRICS_PORT: "0" }), "0 = any free port, twice");
    assert.throws(
      () => loadConfig({ KAFKA_BROKERS: "a:1", APP_POST_TOKEN: "short-guessable" }),
      (err: Error) => !err.message.includes("short-guessable") && /APP_POST_TOKEN must be 32-512 printable ASCII/.test(err.message),
    );
    const token = "a".repeat(64);
    assert.equal(loadConfig({ KAFKA_BROKERS: "a:1", APP_POST_TOKEN: token }).postToken, token);
  });

  it("never echoes the SASL password in an error", () => {
    assert.throws(
      () => loadConfig({ KAFKA_BROKERS: "a:1", KAFKA_SASL_PASSWORD: "s3cret-value" }),
      (err: Error) => !err.message.includes("s3cret-value") && /KAFKA_SASL_USERNAME/.test(err.message),
    );
  });
});
