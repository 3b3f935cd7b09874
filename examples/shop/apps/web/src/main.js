import { runService } from "@shop/server";
import { createWeb } from "./app.js";

await runService(createWeb());
