const escape = (text) =>
  String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

const layout = (title, body) => `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${escape(title)} · Shop</title><link rel="stylesheet" href="/styles.css"></head>
<body><header><a href="/">Shop</a></header><main>${body}</main></body>
</html>
`;

const item = (p) => `<li><a href="/products/${encodeURIComponent(p.id)}">${escape(p.name)}</a> <span>${escape(p.price)}</span></li>`;

export function homePage(products) {
  return layout("Products", `<h1>Products</h1><ul>${products.map(item).join("")}</ul>`);
}

export function productPage({ product, related }) {
  const more = related.length ? `<h2>You may also like</h2><ul>${related.map(item).join("")}</ul>` : "";
  return layout(product.name, `<h1>${escape(product.name)}</h1><p>${escape(product.price)}</p>${more}`);
}
