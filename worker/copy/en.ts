import type { Copy } from "./types";

/**
 * The built-in copy in English (`BUILTIN_COPY.en`).
 *
 * @example
 * en.templates.reminder.cta; // "Return to my cart"
 */
export const en: Copy = {
  templates: {
    payment_failed: {
      subject: "{{name}}, your payment didn't go through",
      heading: "Something went wrong with your payment",
      body: "Your order is still waiting for you. The payment didn't go through, which happens more often than you'd think. You can try again, or choose another payment method: your cart is saved.",
      cta: "Try again",
    },
    extra_costs: {
      subject: "{{name}}, your cart is waiting, with something extra",
      heading: "Still thinking it over?",
      body: "We know costs can add up at checkout. Your cart is saved, and here is something to make it easier.",
      cta: "Complete my order",
    },
    question: {
      subject: "{{name}}, any questions before you order?",
      heading: "Any questions before you order?",
      body: "If anything wasn't clear about your order, delivery or returns, we're happy to help. Your cart is saved until you're ready.",
      cta: "Back to my cart",
    },
    reminder: {
      subject: "{{name}}, you left something in your cart",
      heading: "Your cart is saved",
      body: "The things you picked are still waiting for you. Pick up right where you left off.",
      cta: "Return to my cart",
    },
  },
  reply: "Just reply to this email and a real person will answer.",
  quantity: "Qty {{quantity}}",
  total: "Total",
  offer: "{{description}} Use code {{code}} at checkout.",
  offerValid: "Valid for {{duration}}, until {{until}}.",
  chat: "Chat with us",
  chatOr: "or reply to this email.",
  footer: "You are receiving this because you started an order at {{shop}}.",
  unsubscribe: "Unsubscribe",
  unsubscribeAfter: " from these reminders.",
  sms: "{{shop}}: {{text}} {{link}}{{code}} {{stop}}",
  smsText: {
    payment_failed: "Your payment didn't go through. Your cart is saved:",
    extra_costs: "Your cart is saved, with a little extra:",
    question: "Questions? We're happy to help. Your cart is saved:",
    reminder: "Your cart is saved. Pick up where you left off:",
  },
  smsStop: "Reply STOP to opt out.",
  smsCode: "Code {{code}}.",
  theShop: "the shop",
  expiredTitle: "Link expired",
  expiredHeading: "This link has expired",
  expiredBody: "Carts are kept for {{duration}}. Visit the shop to start again.",
  orderedTitle: "Already ordered",
  orderedHeading: "You already ordered this",
  orderedBody: "Thank you! Your order at {{shop}} went through, so there is nothing to restore.",
  waitingTitle: "Your cart",
  waitingHeading: "Your cart is waiting",
  waitingButton: "Open my cart",
  unsubscribeTitle: "Unsubscribe",
  unsubscribeHeading: "Unsubscribe?",
  unsubscribeBody: "{{email}} will get no more cart reminders from {{shop}}.",
  unsubscribeButton: "Unsubscribe",
  unsubscribedTitle: "Unsubscribed",
  unsubscribedHeading: "You are unsubscribed",
  unsubscribedBody: "{{email}} will get no more cart reminders.",
  unknownTitle: "Unknown link",
  unknownHeading: "This link is not valid",
};
