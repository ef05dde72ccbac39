// Drives the published npm client @rantalainen/lemonsoft-api-client, unchanged, through a plan
// the Python test (tests/test_npm_client.py) writes to stdin:
//   {"baseURL": ..., "credentials": {userName, password, database, apiKey},
//    "steps": [{"key", "namespace", "method", "args": [...]}]}
// It builds the client as the package's README says and calls client.api[namespace][method]
// with each step's arguments in order; an argument {"$ref": "KEY.a.b"} is the answer of the
// step KEY at data.a.b. It prints one JSON array: per step its key, the HTTP status and the
// answer's data (or "error" when no answer came). The client logs in by itself.
'use strict';

const fs = require('fs');
const { LemonsoftApiClient } = require('@rantalainen/lemonsoft-api-client');

function resolve(value, results) {
  if (Array.isArray(value)) {
    return value.map((item) => resolve(item, results));
  }
  if (value !== null && typeof value === 'object') {
    if (typeof value.$ref === 'string') {
      const [key, ...path] = value.$ref.split('.');
      let found = results[key] === undefined ? undefined : results[key].data;
      for (const part of path) {
        found = found === null || found === undefined ? undefined : found[part];
      }
      if (found === undefined) {
        throw new Error(`unresolved reference ${value.$ref}`);
      }
      return found;
    }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolve(v, results)]));
  }
  return value;
}

async function main() {
  const plan = JSON.parse(fs.readFileSync(0, 'utf8'));
  const client = new LemonsoftApiClient(plan.credentials, { baseURL: plan.baseURL, timeout: 30000 });
  const results = {};
  const report = [];
  for (const step of plan.steps) {
    const record = { key: step.key, namespace: step.namespace, method: step.method };
    try {
      const call = client.api[step.namespace][step.method];
      if (typeof call !== 'function') {
        throw new Error(`the client has no api.${step.namespace}.${step.method}`);
      }
      const response = await call(...resolve(step.args, results));
      record.status = response.status;
      record.data = response.data;
    } catch (error) {
      if (error && error.response) {
        record.status = error.response.status;
        record.data = error.response.data;
      } else {
        record.error = String((error && error.message) || error);
      }
    }
    results[step.key] = record;
    report.push(record);
  }
  return JSON.stringify(report);
}

// Exit once the report is written (a pipe writes asynchronously): the client keeps a 20-minute
// session timer that would hold the process open.
main().then(
  (text) => process.stdout.write(text, () => process.exit(0)),
  (error) => {
    process.stderr.write(`${(error && error.stack) || error}\n`);
    process.exit(1);
  },
);
