export { connectEvents, memoryEvents, TOPICS } from "./events.js";
