import { runService } from "@shop/server";
import { createApi } from "./app.js";

await runService(createApi());
