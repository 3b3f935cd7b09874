// actions/github-script for the local executor: the step's script, run under node as the
// action runs it (an async function of require, github, context, core, ...), against a local
// stand-in of the GitHub REST API for issue comments whose state lives in a JSON file.
//
// argv: <script file> <state file> <result file> <permissions JSON> <result-encoding>
// The API answers as GitHub does where cigen's scripts can tell: 403 without a write
// permission (a fork's pull request has none), 403 when editing someone else's comment,
// 404 for an unknown comment, 422 for a body over 65,536 characters.
"use strict";

const fs = require("fs");

const [scriptFile, stateFile, resultFile, permissionsJson, encoding] = process.argv.slice(2);
const env = process.env;
const payload = JSON.parse(fs.readFileSync(env.GITHUB_EVENT_PATH, "utf8"));
const [owner, repo] = env.GITHUB_REPOSITORY.split("/");
const BOT = { login: "github-actions[bot]", id: 41898282, type: "Bot" };
const BODY_LIMIT = 65536;

const state = fs.existsSync(stateFile)
  ? JSON.parse(fs.readFileSync(stateFile, "utf8"))
  : { next_id: 1, comments: [] };
const save = () => fs.writeFileSync(stateFile, JSON.stringify(state, null, 2));

class RequestError extends Error {
  constructor(status, message) {
    super(`${message} (HTTP ${status})`);
    this.status = status;
  }
}

const permissions = JSON.parse(permissionsJson);
const headRepo = payload.pull_request?.head?.repo?.full_name;
const fromFork = headRepo !== undefined && headRepo !== env.GITHUB_REPOSITORY;

function mayWrite() {
  // A pull request from a fork gets a read-only token, whatever the workflow asks for.
  if (fromFork) return false;
  if (permissions === null) return true; // no permissions key: the permissive default
  return permissions["pull-requests"] === "write" || permissions.issues === "write";
}

function checkRepo(params) {
  if (params.owner !== owner || params.repo !== repo) {
    throw new RequestError(404, `Not Found: ${params.owner}/${params.repo}`);
  }
}

function checkBody(body) {
  if (typeof body !== "string" || body.length > BODY_LIMIT) {
    throw new RequestError(422, `Validation Failed: body is too long (maximum is ${BODY_LIMIT} characters)`);
  }
}

const url = (id) => `${env.GITHUB_SERVER_URL}/${owner}/${repo}/pull/${payload.number}#issuecomment-${id}`;

const issues = {
  async listComments(params) {
    checkRepo(params);
    const perPage = params.per_page ?? 30;
    const page = params.page ?? 1;
    const all = state.comments.filter((c) => c.issue_number === params.issue_number);
    return { status: 200, data: all.slice((page - 1) * perPage, page * perPage) };
  },
  async createComment(params) {
    checkRepo(params);
    if (!mayWrite()) throw new RequestError(403, "Resource not accessible by integration");
    checkBody(params.body);
    const id = state.next_id++;
    const comment = { id, issue_number: params.issue_number, body: params.body, user: BOT, html_url: url(id) };
    state.comments.push(comment);
    save();
    return { status: 201, data: comment };
  },
  async updateComment(params) {
    checkRepo(params);
    const comment = state.comments.find((c) => c.id === params.comment_id);
    if (!comment) throw new RequestError(404, "Not Found");
    if (!mayWrite() || comment.user.login !== BOT.login) {
      throw new RequestError(403, "Resource not accessible by integration");
    }
    checkBody(params.body);
    comment.body = params.body;
    save();
    return { status: 200, data: comment };
  },
};

const github = {
  rest: { issues },
  async paginate(method, params) {
    const perPage = params.per_page ?? 30;
    const items = [];
    for (let page = 1; ; page++) {
      const { data } = await method({ ...params, page });
      items.push(...data);
      if (data.length < perPage) return items;
    }
  },
};

const outputs = {};
let failed = null;
const core = {
  debug: (m) => console.log(`::debug::${m}`),
  info: (m) => console.log(m),
  notice: (m) => console.log(`::notice::${m}`),
  warning: (m) => console.log(`::warning::${m}`),
  error: (m) => console.log(`::error::${m}`),
  setOutput: (name, value) => { outputs[name] = typeof value === "string" ? value : JSON.stringify(value); },
  setFailed: (m) => { failed = String(m); console.log(`::error::${m}`); },
  getInput: () => "",
};

const context = {
  payload,
  eventName: env.GITHUB_EVENT_NAME,
  sha: env.GITHUB_SHA,
  ref: env.GITHUB_REF,
  workflow: env.GITHUB_WORKFLOW,
  job: env.GITHUB_JOB,
  actor: env.GITHUB_ACTOR,
  runId: Number(env.GITHUB_RUN_ID),
  runNumber: Number(env.GITHUB_RUN_NUMBER),
  serverUrl: env.GITHUB_SERVER_URL,
  apiUrl: env.GITHUB_API_URL,
  repo: { owner, repo },
  issue: { owner, repo, number: payload.pull_request?.number ?? payload.issue?.number ?? payload.number },
};

const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor;
const unsupported = (name) => () => { throw new Error(`${name} is not available in the local executor`); };

(async () => {
  try {
    const fn = new AsyncFunction("require", "github", "context", "core", "glob", "io", "exec", "fetch",
      fs.readFileSync(scriptFile, "utf8"));
    const result = await fn(require, github, context, core, unsupported("glob"), unsupported("io"),
      unsupported("exec"), unsupported("fetch"));
    if (result !== undefined) outputs.result = encoding === "string" ? String(result) : JSON.stringify(result);
  } catch (err) {
    failed = `Unhandled error: ${err.message || err}`;
    console.log(`::error::${failed}`);
  }
  fs.writeFileSync(resultFile, JSON.stringify({ outputs, failed }));
})();
