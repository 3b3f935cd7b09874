import { runService } from "@shop/server";
import { createBroker } from "./broker.js";

await runService(await createBroker());
