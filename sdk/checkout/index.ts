// For bundler users: `import { watchCheckout } from "cartback/checkout"` on checkout pages.
export { type CheckoutOptions, e164, type Identify, type Report, watchCheckout } from "./detectors";
