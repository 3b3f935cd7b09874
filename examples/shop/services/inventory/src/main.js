import { runService } from "@shop/server";
import { createInventory } from "./app.js";

await runService(createInventory());
