export { createService, runService } from "./service.js";
export { getJson, httpDependency, sendJson } from "./client.js";
