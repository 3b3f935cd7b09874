import { runService } from "@shop/server";
import { createBilling } from "./app.js";

await runService(createBilling());
