// For bundler users: `import { watchCheckout } from "cartback/checkout"` on checkout pages.
export { type CheckoutOptions, type Report, watchCheckout } from "./detectors";
