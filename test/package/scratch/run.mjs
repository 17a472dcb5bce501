// Run by Node in the scratch project (package.test.ts): every entry imports, the client outside a
// browser does nothing and says why once, the server entry signs a token. Prints what it saw as JSON.
const names = ["cartback", "cartback/checkout", "cartback/connect", "cartback/sync", "cartback/server"];
const warnings = [];
console.warn = (...args) => warnings.push(args.join(" "));
const modules = {};
for (const name of names) modules[name] = Object.keys(await import(name)).sort();
const { createCartback } = await import("cartback");
const options = { site: "pk_live_abc", endpoint: "https://cartback.example.com" };
const cartback = createCartback(options);
await cartback.addLine({ id: "tea-100g", name: "Green tea", price: 1250, quantity: 1 });
const cart = await cartback.getCart();
createCartback(options).identify({ email: "ana@example.com" });
const { signShopperToken } = await import("cartback/server");
const token = await signShopperToken({ site: "pk_live_abc", userId: "u-1", secret: "sk_test" });
const pkg = (await import("cartback/package.json", { with: { type: "json" } })).default;
const resolved = Object.fromEntries(names.map((name) => [name, import.meta.resolve(name)]));
console.log(JSON.stringify({ modules, cart: cart ?? null, warnings, token, version: pkg.version, resolved }));
