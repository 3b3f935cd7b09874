import { runService } from "@shop/server";
import { createAuth } from "./app.js";

await runService(createAuth());
