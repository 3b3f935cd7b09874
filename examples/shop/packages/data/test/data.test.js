import assert from "node:assert/strict";
import { test } from "node:test";
import { Catalog, cartTotal } from "../src/index.js";

test("the catalog lists products sorted by id with display prices", () => {
  const list = new Catalog().list();
  assert.deepEqual(list.map((p) => p.id), ["beans", "filter", "grinder", "kettle", "mug"]);
  assert.equal(list.find((p) => p.id === "mug").price, "€12.50");
});

test("get answers null for an unknown product", () => {
  assert.equal(new Catalog().get("teapot"), null);
});

test("cartTotal adds up quantities and rejects unknown products", () => {
  const catalog = new Catalog();
  assert.deepEqual(cartTotal(catalog, [{ id: "mug", quantity: 2 }, { id: "filter", quantity: 1 }]), {
    cents: 2950,
    display: "€29.50",
  });
  assert.throws(() => cartTotal(catalog, [{ id: "teapot", quantity: 1 }]), /no product "teapot"/);
  assert.throws(() => cartTotal(catalog, [{ id: "mug", quantity: 0 }]), /1 or more/);
});
