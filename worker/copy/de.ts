import type { Copy } from "./types";

/**
 * The built-in copy in German (`BUILTIN_COPY.de`).
 *
 * @example
 * de.templates.reminder.cta; // "Zum Warenkorb"
 */
export const de: Copy = {
  templates: {
    payment_failed: {
      subject: "{{name}}, deine Zahlung hat leider nicht geklappt",
      heading: "Bei deiner Zahlung ist etwas schiefgelaufen",
      body: "Deine Bestellung wartet noch auf dich. Die Zahlung ist nicht durchgegangen, das passiert öfter, als man denkt. Versuch es einfach noch einmal oder wähl eine andere Zahlungsart: Dein Warenkorb ist gespeichert.",
      cta: "Noch einmal versuchen",
    },
    extra_costs: {
      subject: "{{name}}, dein Warenkorb wartet, mit einem kleinen Extra",
      heading: "Noch unentschlossen?",
      body: "Wir wissen, dass sich die Kosten an der Kasse schnell summieren. Dein Warenkorb ist gespeichert, und hier ist etwas, das dir die Entscheidung leichter macht.",
      cta: "Bestellung abschließen",
    },
    question: {
      subject: "{{name}}, noch Fragen vor deiner Bestellung?",
      heading: "Noch Fragen vor deiner Bestellung?",
      body: "Wenn etwas unklar geblieben ist, ob zur Bestellung, zum Versand oder zur Rückgabe, helfen wir dir gern. Dein Warenkorb bleibt gespeichert, bis du so weit bist.",
      cta: "Zurück zum Warenkorb",
    },
    reminder: {
      subject: "{{name}}, in deinem Warenkorb liegt noch etwas",
      heading: "Dein Warenkorb ist gespeichert",
      body: "Deine ausgewählten Artikel warten noch auf dich. Mach einfach da weiter, wo du aufgehört hast.",
      cta: "Zum Warenkorb",
    },
  },
  reply: "Antworte einfach auf diese E-Mail, und ein echter Mensch meldet sich bei dir.",
  quantity: "Menge {{quantity}}",
  total: "Gesamt",
  offer: "{{description}} Gib an der Kasse den Code {{code}} ein.",
  offerValid: "Gültig für {{duration}}, bis {{until}}.",
  chat: "Chatte mit uns",
  chatOr: "oder antworte auf diese E-Mail.",
  footer: "Du erhältst diese E-Mail, weil du eine Bestellung bei {{shop}} begonnen hast.",
  unsubscribe: "Von diesen Erinnerungen abmelden",
  unsubscribeAfter: ".",
  sms: "{{shop}}: {{text}} {{link}}{{code}} {{stop}}",
  smsText: {
    payment_failed: "Deine Zahlung hat nicht geklappt. Dein Warenkorb wartet:",
    extra_costs: "Dein Warenkorb wartet, mit einem kleinen Extra:",
    question: "Noch Fragen? Wir helfen dir gern. Dein Warenkorb wartet:",
    reminder: "Dein Warenkorb wartet auf dich. Hier geht's weiter:",
  },
  smsStop: "Antworte STOP zum Abmelden.",
  smsCode: "Code {{code}}.",
  theShop: "dem Shop",
  expiredTitle: "Link abgelaufen",
  expiredHeading: "Dieser Link ist abgelaufen",
  expiredBody: "Warenkörbe werden {{duration}} lang gespeichert. Besuch den Shop, um neu zu beginnen.",
  orderedTitle: "Bereits bestellt",
  orderedHeading: "Du hast das bereits bestellt",
  orderedBody: "Danke! Deine Bestellung bei {{shop}} ist eingegangen, es gibt also nichts wiederherzustellen.",
  waitingTitle: "Dein Warenkorb",
  waitingHeading: "Dein Warenkorb wartet auf dich",
  waitingButton: "Warenkorb öffnen",
  unsubscribeTitle: "Abmelden",
  unsubscribeHeading: "Abmelden?",
  unsubscribeBody: "{{email}} erhält dann keine Warenkorb-Erinnerungen mehr von {{shop}}.",
  unsubscribeButton: "Abmelden",
  unsubscribedTitle: "Abgemeldet",
  unsubscribedHeading: "Du bist abgemeldet",
  unsubscribedBody: "{{email}} erhält keine Warenkorb-Erinnerungen mehr.",
  unknownTitle: "Unbekannter Link",
  unknownHeading: "Dieser Link ist nicht gültig",
};
