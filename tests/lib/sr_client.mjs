// An independent Schema Registry client for the tests: KafkaJS's
// @kafkajs/confluent-schema-registry with avsc (npm; tests/lib/node/
// package.json pins them). It frames input records the Confluent way and
// decodes churnwatch's framed warnings, talking to the registry over its
// REST API as any Confluent producer or consumer does.
//
// usage: node sr_client.mjs encode URL SUBJECT SCHEMA.avsc IN.jsonl OUT.hex
//            registers SCHEMA under SUBJECT and writes each JSON record of
//            IN, framed, as one hex line of OUT; prints the schema id
//        node sr_client.mjs decode URL IN.hex OUT.jsonl
//            decodes each framed hex line of IN (fetching its writer schema
//            by id) into one JSON line of OUT
// Environment: CW_SR_AUTH=USER:PASSWORD for HTTP Basic auth.
import { createRequire } from "node:module";
import fs from "node:fs";

const require = createRequire(process.env.CW_NODE_MODULES + "/");
const { SchemaRegistry, SchemaType } = require("@kafkajs/confluent-schema-registry");

function registry(url) {
  const opts = { host: url, retry: { retries: 0 } };
  if (process.env.CW_SR_AUTH) {
    const [username, ...rest] = process.env.CW_SR_AUTH.split(":");
    opts.auth = { username, password: rest.join(":") };
  }
  return new SchemaRegistry(opts);
}

function lines(path) {
  return fs.readFileSync(path, "utf8").split("\n").filter((l) => l.length);
}

async function encode(url, subject, schemaPath, inPath, outPath) {
  const r = registry(url);
  const schema = fs.readFileSync(schemaPath, "utf8");
  const { id } = await r.register({ type: SchemaType.AVRO, schema }, { subject });
  const out = [];
  for (const l of lines(inPath)) out.push((await r.encode(id, JSON.parse(l))).toString("hex"));
  fs.writeFileSync(outPath, out.join("\n") + (out.length ? "\n" : ""));
  console.log(id);
}

async function decode(url, inPath, outPath) {
  const r = registry(url);
  const out = [];
  for (const l of lines(inPath)) out.push(JSON.stringify(await r.decode(Buffer.from(l, "hex"))));
  fs.writeFileSync(outPath, out.join("\n") + (out.length ? "\n" : ""));
}

const [cmd, ...args] = process.argv.slice(2);
try {
  if (cmd === "encode" && args.length === 5) await encode(...args);
  else if (cmd === "decode" && args.length === 3) await decode(...args);
  else throw new Error("usage: sr_client.mjs encode URL SUBJECT SCHEMA IN OUT | decode URL IN OUT");
} catch (e) {
  console.error("sr_client: " + (e.stack || e));
  process.exit(1);
}
