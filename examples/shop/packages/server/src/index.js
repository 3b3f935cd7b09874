export { createService, runService } from "./service.js";
export { httpDependency, getJson } from "./client.js";
